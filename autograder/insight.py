"""What a class got wrong, and a page per student: from ``batch``'s results files.

Per case, how many students failed it; per catalogued mistake (the grader's ``mistake:NAME`` tag),
how many students made it; both as tables in ``summary.md`` and as a chart, ``insight.png``, so the
instructor sees what to teach again. ``reports/<student>.html`` is one printable page a student
can be sent: the score per exercise, the late penalty if any, and the feedback of every failed
case as Gradescope shows it (a hidden case shows its title and points only).
"""

from __future__ import annotations

import html
import os
import re
from collections import Counter
from pathlib import Path

from . import config
from .results import write_atomic

BEGIN, END = "<!-- class insight -->", "<!-- end class insight -->"


def _exercise(test: dict) -> str:
    return (test.get("tags") or [""])[0]


def _tagged(test: dict, prefix: str) -> list[str]:
    return [t[len(prefix):] for t in test.get("tags") or [] if t.startswith(prefix)]


def case_failures(results: dict[str, dict]) -> list[tuple[str, str, int, int]]:
    """(case id, title, students who failed it, students graded on it), most failed first."""
    failed, graded, titles = Counter(), Counter(), {}
    for data in results.values():
        for t in data.get("tests", []):
            cid = str(t.get("number") or t.get("name"))
            titles.setdefault(cid, str(t.get("name", cid)))
            graded[cid] += 1
            failed[cid] += t.get("status") != "passed"
    order = list(titles)
    return sorted(((c, titles[c], failed[c], graded[c]) for c in order), key=lambda r: (-r[2], order.index(r[0])))


def mistake_counts(results: dict[str, dict]) -> list[tuple[str, str, int]]:
    """(mistake name, its title, students who made it), most frequent first; symptoms after mistakes."""
    from . import mistakes

    made: Counter = Counter()
    for data in results.values():
        names = {("mistake", m) for t in data.get("tests", []) for m in _tagged(t, "mistake:")}
        names |= {("symptom", m) for t in data.get("tests", []) for m in _tagged(t, "symptom:")}
        made.update(names)
    rows = []
    for (kind, name), n in made.items():
        title = mistakes.BY_NAME[name].title if kind == "mistake" and name in mistakes.BY_NAME else kind
        rows.append((name if kind == "mistake" else f"symptom: {name}", title, n))
    return sorted(rows, key=lambda r: (r[0].startswith("symptom"), -r[2], r[0]))


def insight_markdown(results: dict[str, dict]) -> str:
    cases, made = case_failures(results), mistake_counts(results)
    lines = [BEGIN, "## What the class got wrong", "",
             f"Of {len(results)} students with results. ![cases failed and mistakes made](insight.png)", "",
             "| case | failed by | of |", "| --- | ---: | ---: |"]
    lines += [f"| `{c}` | {n} | {g} |" for c, _, n, g in cases if n]
    if not any(n for _, _, n, _ in cases):
        lines.append("| (no case failed) | 0 | |")
    lines += ["", "| named mistake | what | students |", "| --- | --- | ---: |"]
    lines += [f"| `{m}` | {title} | {n} |" for m, title, n in made] or ["| (none recognised) | | 0 |"]
    return "\n".join(lines + ["", END]) + "\n"


def plot_insight(results: dict[str, dict], path: Path, top: int = 15) -> None:
    """Two bar charts: the cases most failed, the mistakes most made (students, not tests)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    cases = [r for r in case_failures(results) if r[2]][:top]
    made = mistake_counts(results)[:top]
    n = max(len(results), 1)
    height = 1.2 + 0.28 * (max(len(cases), 1) + max(len(made), 1))
    fig, axes = plt.subplots(2, 1, figsize=(8, height), gridspec_kw={"height_ratios": [max(len(cases), 1), max(len(made), 1)]})
    for ax, rows, label, color in ((axes[0], [(c, k) for c, _, k, _ in cases], "students who failed the case", "#c44e52"),
                                   (axes[1], [(m, k) for m, _, k in made], "students who made the mistake", "#4c72b0")):
        names = [r[0] for r in rows][::-1] or ["(none)"]
        counts = [r[1] for r in rows][::-1] or [0]
        ax.barh(names, counts, color=color)
        ax.set_xlim(0, n)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"{label} (of {len(results)})")
        ax.tick_params(axis="y", labelsize=8)
        for y, v in enumerate(counts):
            if v:
                ax.text(v, y, f" {v}", va="center", fontsize=8)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


def write_class(out: Path, results: dict[str, dict], status: dict[str, dict]) -> list[str]:
    """The insight section of ``summary.md`` (replaced on a rerun) and ``insight.png``."""
    out = Path(out)
    summary = out / "summary.md"
    text = summary.read_text(encoding="utf-8") if summary.is_file() else "# Grading summary\n"
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", "", text, flags=re.S).rstrip("\n")
    write_atomic(summary, text + "\n\n" + insight_markdown(results))
    plot_insight(results, out / "insight.png")
    return ["summary.md", "insight.png"]


# -------------------------------------------------------------------------- student pages ---
_CSS = """body{font-family:system-ui,sans-serif;max-width:780px;margin:1.5em auto;font-size:14px;color:#222}
h1{font-size:1.4em;margin-bottom:.2em}table{border-collapse:collapse;margin:.6em 0}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}td.n{text-align:right}
.late{background:#fff3cd;padding:.5em;border-left:4px solid #e0a800}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em;font-size:12px;margin:.2em 0 .8em}
.fail{color:#b00020}@media print{body{margin:0}}"""


def student_page(student: str, data: dict, status: dict, pen, assignment) -> str:
    e = html.escape
    raw, max_score = float(data.get("score", 0)), float(data.get("max_score", 0))
    lost = pen.points(raw) if pen is not None else 0.0
    tests = data.get("tests", [])
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(assignment.title)}: {e(student)}</title>",
           f"<style>{_CSS}</style></head><body>",
           f"<h1>{e(assignment.title)}: {e(student)}</h1>",
           f"<p><b>Score: {raw - lost:g} / {max_score:g}</b>"
           + (f" ({raw:g} earned, {lost:g} late penalty)" if lost else "") + "</p>"]
    if pen is not None and pen.reason:
        out.append(f"<p class='late'>Late: {e(pen.reason)}: {raw:g} - {lost:g} = {raw - lost:g} points.</p>")
    if status.get("status") != "ok":
        out.append(f"<p class='fail'>Your submission could not be graded in full: {e(str(status.get('error', ''))[:500])}</p>")
    out.append("<table><tr><th>exercise</th><th>points</th><th>tests passed</th></tr>")
    for ex in config.EXERCISES:
        mine = [t for t in tests if _exercise(t) == ex]
        if mine:
            out.append(f"<tr><td>{e(ex)}</td><td class='n'>{sum(t['score'] for t in mine):g} / "
                       f"{sum(t['max_score'] for t in mine):g}</td>"
                       f"<td class='n'>{sum(t.get('status') == 'passed' for t in mine)} / {len(mine)}</td></tr>")
    out.append("</table>")
    failed = [t for t in tests if t.get("status") != "passed"]
    if failed:
        out.append("<h2>What to fix</h2>")
        for t in failed:
            out.append(f"<p class='fail'><b>{e(str(t.get('name')))}</b> ({t.get('score', 0):g} / {t.get('max_score', 0):g})</p>")
            if t.get("visibility") != "hidden" and t.get("output"):
                out.append(f"<pre>{e(str(t['output']))}</pre>")
    else:
        out.append("<p>Every test passed.</p>")
    notes = str(data.get("output", "")).strip()
    if notes and not notes.startswith("Graded with"):  # the grader's notes: skipped files, not graded, late
        out.append(f"<h2>Notes</h2><pre>{e(notes)}</pre>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_reports(out: Path, results: dict[str, dict], status: dict[str, dict], penalties: dict, assignment) -> list[str]:
    """``reports/<student>.html`` for every student with results."""
    out = Path(out)
    for student, data in results.items():
        page = student_page(student, data, status.get(student, {}), penalties.get(student), assignment)
        write_atomic(out / "reports" / f"{student}.html", page)
    return [f"reports/ ({len(results)} pages)"]
