"""Check an exercise from inside a notebook, with the grader's own cases and isolation.

    from autograder.notebook import check
    check("adam")

grades the current ``exercises/<name>.py`` of this copy of the course exactly as ``python -m
autograder check adam`` does (the same public cases, a fresh sandboxed process, the same judges),
and shows a table of the cases with their points, then the feedback of the failed ones. The
student's code is imported in that fresh process, so an edit is picked up by re-running the cell,
with no kernel restart. An unfinished exercise shows "not implemented yet" and the notebook goes
on; a grader that cannot run here says so instead of showing a score.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import config


def course_root(start: Path | None = None) -> Path:
    """The folder holding ``exercises/``: the current folder or one above it (a notebook runs in book/)."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises" / "__init__.py").is_file():
            return folder
    raise FileNotFoundError(f"no exercises/ folder in {here} or above it: run the notebook inside the course")


@dataclass
class CheckResult:
    """The outcome of :func:`check`: what a notebook displays (HTML) or prints (text)."""

    exercise: str
    rows: list[tuple[str, str, float, float, bool]] = field(default_factory=list)  # id, title, score, max, passed
    feedback: list[tuple[str, str]] = field(default_factory=list)  # (id, output) of failed cases
    problem: str | None = None  # the grader could not run: why, and what to do

    @property
    def score(self) -> float:
        return sum(r[2] for r in self.rows)

    @property
    def max_score(self) -> float:
        return sum(r[3] for r in self.rows)

    @property
    def not_implemented(self) -> bool:
        return bool(self.feedback) and all(out.startswith("not implemented yet") for _, out in self.feedback)

    def summary(self) -> str:
        if self.problem:
            return f"{self.exercise}: not checked: {self.problem}"
        if self.not_implemented and self.score == 0:
            return f"{self.exercise}: not implemented yet (0/{self.max_score:g})"
        return f"{self.exercise}: {self.score:g}/{self.max_score:g}"

    def __repr__(self) -> str:
        lines = [self.summary()]
        if self.problem:
            return lines[0]
        for cid, title, score, max_score, passed in self.rows:
            lines.append(f"  {'ok  ' if passed else 'FAIL'} {score:g}/{max_score:g}  {cid}: {title}")
        if not self.not_implemented:
            for cid, out in self.feedback:
                lines += ["", f"{cid}:", out]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        head = f"<p><strong>{e(self.summary())}</strong></p>"
        if self.problem:
            return head
        rows = "".join(
            f"<tr><td>{'&#10003;' if ok else '&#10007;'}</td><td><code>{e(cid)}</code></td><td>{e(title)}</td>"
            f"<td style='text-align:right'>{score:g}/{max_score:g}</td></tr>"
            for cid, title, score, max_score, ok in self.rows)
        table = (f"<table><thead><tr><th></th><th>case</th><th>what it checks</th><th>points</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
        details = "" if self.not_implemented else "".join(
            f"<details><summary><code>{e(cid)}</code> failed</summary><pre>{e(out)}</pre></details>"
            for cid, out in self.feedback)
        return head + table + details


def check(exercise: str, root: str | os.PathLike | None = None) -> CheckResult:
    """Grade ``exercises/<exercise>.py`` of the course at ``root`` (found from the current folder)."""
    from . import environment, grader
    from .environment import GraderEnvironmentError

    result = CheckResult(exercise)
    if exercise not in config.EXERCISES:
        try:
            folder = course_root(Path(root) if root else None)
        except FileNotFoundError:
            folder = None
        if folder is not None and (folder / "assignment.toml").is_file():  # a copy released for an assignment
            result.problem = (f"not part of this copy's assignment (its exercises: {', '.join(config.EXERCISES)})")
            return result
        raise ValueError(f"unknown exercise {exercise!r}; the exercises are {', '.join(config.EXERCISES)}")
    try:
        folder = course_root(Path(root) if root else None)
        environment.check_python("check")
        from .assignment import load_selection

        selection = load_selection(folder / "assignment.toml") if (folder / "assignment.toml").is_file() else None
        from . import warm

        report = grader.grade(folder, grader.Options(exercises=(exercise,), selection=selection, reference_cache=True,
                                                     zygote=warm.for_kernel()))
    except (GraderEnvironmentError, FileNotFoundError, RuntimeError, ValueError) as exc:
        result.problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return result
    for t in report.tests:
        result.rows.append((t.id, t.title, t.score, t.max_score, t.passed))
        if not t.passed:
            result.feedback.append((t.id, t.output))
    return result
