"""Results as plain objects and their formats: Gradescope JSON, JUnit XML, Markdown, terminal text."""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TestResult:
    id: str
    exercise: str
    title: str
    score: float
    max_score: float
    status: str  # "passed" or "failed"
    output: str
    visibility: str = "visible"
    mistake: str | None = None
    seconds: float = 0.0
    symptom: str | None = None  # a judge's name for what the data showed (judges.SYMPTOMS)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class Report:
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    isolation: str = ""
    device: str = "cpu"
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # instructor-only data (Gradescope's extra_data)
    # where the time went, in seconds (grader.grade fills it; bench/bench_batch.py prints it); not in any file
    timings: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    def by_exercise(self) -> dict[str, list[TestResult]]:
        out: dict[str, list[TestResult]] = {}
        for t in self.tests:
            out.setdefault(t.exercise, []).append(t)
        return out

    # ------------------------------------------------------------------------------ formats ---
    def to_gradescope(self) -> dict:
        """Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/)."""
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 2),
            "output": "\n".join(self.notes) or f"Graded with {self.isolation} isolation on {self.device}.",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": f"{t.exercise}: {t.title}",
                    "number": t.id,
                    "score": t.score,
                    "max_score": t.max_score,
                    "status": t.status,
                    "output": t.output,
                    "tags": [t.exercise] + ([f"mistake:{t.mistake}"] if t.mistake else [])
                            + ([f"symptom:{t.symptom}"] if t.symptom else []),
                    "visibility": t.visibility,
                }
                for t in self.tests
            ],
            **({"extra_data": self.extra} if self.extra else {}),
        }

    def to_junit(self) -> str:
        suites = ET.Element("testsuites", name="autograder", tests=str(len(self.tests)),
                            failures=str(sum(not t.passed for t in self.tests)), time=f"{self.execution_time:.3f}")
        for exercise, tests in self.by_exercise().items():
            suite = ET.SubElement(suites, "testsuite", name=exercise, tests=str(len(tests)),
                                  failures=str(sum(not t.passed for t in tests)),
                                  time=f"{sum(t.seconds for t in tests):.3f}")
            for t in tests:
                case = ET.SubElement(suite, "testcase", classname=exercise, name=t.id, time=f"{t.seconds:.3f}")
                ET.SubElement(case, "properties").append(
                    ET.Element("property", name="score", value=f"{t.score:g}/{t.max_score:g}"))
                if not t.passed:
                    failure = ET.SubElement(case, "failure", message=t.output.splitlines()[0][:200] if t.output else "failed")
                    failure.text = t.output
        return ET.tostring(suites, encoding="unicode", xml_declaration=True)

    def to_markdown(self, show_hidden: bool = True) -> str:
        lines = [f"## Autograder: {self.score:g} / {self.max_score:g}", ""]
        lines += ["| exercise | score | tests passed |", "| --- | ---: | ---: |"]
        for exercise, tests in self.by_exercise().items():
            lines.append(f"| `{exercise}` | {sum(t.score for t in tests):g} / {sum(t.max_score for t in tests):g} "
                         f"| {sum(t.passed for t in tests)} / {len(tests)} |")
        failed = [t for t in self.tests if not t.passed and (show_hidden or t.visibility == "visible")]
        if failed:
            lines += ["", "### What to fix", ""]
            for t in failed:
                detail = t.output.replace("\n", " ")
                lines.append(f"- **{t.exercise}: {t.title}** ({t.score:g}/{t.max_score:g}): {_md_escape(detail)}")
        lines += ["", f"<sub>isolation: {self.isolation}, device: {self.device}, "
                      f"{self.execution_time:.1f} s</sub>"]
        return "\n".join(lines) + "\n"

    def to_text(self, color: bool = False) -> str:
        green, red, bold, end = ("\033[32m", "\033[31m", "\033[1m", "\033[0m") if color else ("", "", "", "")
        lines = []
        for exercise, tests in self.by_exercise().items():
            got, total = sum(t.score for t in tests), sum(t.max_score for t in tests)
            lines.append(f"{bold}{exercise}{end}: {got:g} / {total:g} points")
            for t in tests:
                mark = f"{green}PASS{end}" if t.passed else f"{red}FAIL{end}"
                lines.append(f"  {mark} {t.title} [{t.score:g}/{t.max_score:g}]")
                if not t.passed:
                    lines.extend("       " + line for line in t.output.splitlines())
            lines.append("")
        lines.append(f"{bold}total: {self.score:g} / {self.max_score:g}{end}")
        lines.extend(self.notes)
        return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_gradescope(report: Report, path: str | Path) -> None:
    write_atomic(path, json.dumps(report.to_gradescope(), indent=2) + "\n")
