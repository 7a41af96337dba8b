"""Similarity of a class's submissions, exercise by exercise, with copydetect's fingerprints.

copydetect (Lingenfelter's implementation of MOSS's winnowing, Schleimer, Wilkerson and Aiken,
SIGMOD 2003) tokenizes each file with Pygments, replaces every variable, function and class name by
one letter and drops comments and whitespace, so renaming variables changes nothing; it hashes the
k-grams of what is left and keeps the smallest hash of each window, so moving functions around only
breaks the few k-grams across their borders. The k-grams of the stub every student received
(``exercises/<exercise>.py``: signatures, docstrings, the ``_check_p`` helper) are boilerplate
and never count as a match.

A pair's similarity is the mean of copydetect's two shares (the share of each file's fingerprinted
tokens found in the other). Measured on the ten independent correct implementations of
``tests/autograder/fair/`` and the reference, independent pairs reach 0.50 at most; a copy of one
of them with every variable renamed and its functions in reverse order scores 0.79 or more
(``tests/autograder/test_similarity.py`` pins both), hence the default threshold of 0.6.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import config

NOISE_T = 30  # k: matches shorter than this many filtered characters never count
WINDOW = 4  # winnowing window: every match of NOISE_T + WINDOW - 1 characters is found
THRESHOLD = 0.6  # pairs at or above this similarity are flagged
SHOWN = 0.3  # pairs below this are left out of the HTML report (the CSV has every pair)
MAX_DETAILS = 100  # the HTML shows the code side by side for the most similar pairs, up to this many
MAX_ROWS = 2000  # and lists at most this many pairs
STUBS = Path(__file__).resolve().parents[1] / "exercises"


@dataclass
class Pair:
    exercise: str
    a: str
    b: str
    share_a: float  # of a's fingerprinted code, the share found in b
    share_b: float
    tokens: int  # filtered characters in common
    lines_a: list[tuple[int, int]] = field(default_factory=list)  # 1-based inclusive ranges of matching lines
    lines_b: list[tuple[int, int]] = field(default_factory=list)
    html_a: str = ""
    html_b: str = ""

    @property
    def similarity(self) -> float:
        return (self.share_a + self.share_b) / 2


@dataclass
class Result:
    pairs: list[Pair]  # every compared pair, most similar first
    files: dict[str, dict[str, str]]  # exercise -> student -> source
    skipped: dict[str, list[str]]  # exercise -> students with nothing beyond the stub there
    notes: list[str]  # submissions that could not be read, and why
    threshold: float

    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.similarity >= self.threshold]


# ------------------------------------------------------------------------------- sources ---
def exercise_sources(root: Path, exercises=config.EXERCISES) -> dict[str, str]:
    """The exercise files of one submission (``exercises/<e>.py`` or ``<e>.py`` under ``root``)."""
    from .batch import submission_root
    from .grader import MAX_FILE_BYTES, read_student_file

    base = submission_root(root)
    out = {}
    for e in exercises:
        for candidate in (base / "exercises" / f"{e}.py", base / f"{e}.py"):
            data = read_student_file(candidate, MAX_FILE_BYTES)  # regular files only, never a link or a FIFO
            if data is not None:
                out[e] = data.decode("utf-8", errors="replace")
                break
    return out


def collect(submissions: Path, exercises=config.EXERCISES) -> tuple[dict[str, dict[str, str]], list[str]]:
    """exercise -> student -> source for every folder or zip of ``submissions`` (as ``batch`` finds them)."""
    from .batch import UnsafeArchive, discover, extract_zip

    files: dict[str, dict[str, str]] = {e: {} for e in exercises}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="similarity-") as scratch:
        for sub in discover(submissions):
            if sub.source.is_dir():
                root = sub.source
            else:
                root = Path(scratch) / sub.student
                root.mkdir()
                try:
                    extract_zip(sub.source, root)
                except UnsafeArchive as exc:
                    notes.append(f"{sub.student}: {exc}")
                    continue
            found = exercise_sources(root, exercises)
            if not found:
                notes.append(f"{sub.student}: no exercises/ folder and no exercise file "
                             f"({', '.join(f'{e}.py' for e in exercises)}) in {sub.source.name}")
            for e, text in found.items():
                files[e][sub.student] = text
            if not sub.source.is_dir():
                shutil.rmtree(root, ignore_errors=True)
    return files, notes


# ----------------------------------------------------------------------------- comparing ---
def _line_starts(text: str) -> list[int]:
    return [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]


def _lines(starts: list[int], slices) -> list[tuple[int, int]]:
    """1-based line ranges covered by copydetect's character slices (``starts``: where each line begins)."""
    import bisect

    ranges: list[tuple[int, int]] = []
    for lo, hi in zip(slices[0], slices[1]):
        first = bisect.bisect_right(starts, int(lo))
        last = bisect.bisect_right(starts, max(int(lo), int(hi) - 1))
        if ranges and first <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    return ranges


def compare(files: dict[str, dict[str, str]], stubs: dict[str, str] | None = None, threshold: float = THRESHOLD,
            noise_t: int = NOISE_T, window: int = WINDOW, notes: list[str] | None = None) -> Result:
    """Every pair of students, exercise by exercise; ``stubs`` (exercise -> source) is boilerplate."""
    import numpy as np
    from copydetect import CodeFingerprint, compare_files
    from copydetect.utils import highlight_overlap

    stubs = stubs if stubs is not None else {e: (STUBS / f"{e}.py").read_text() for e in files
                                             if (STUBS / f"{e}.py").is_file()}
    pairs: list[Pair] = []
    skipped: dict[str, list[str]] = {}
    everyone: dict[str, dict] = {}  # exercise -> student -> fingerprint
    for exercise, by_student in files.items():
        boilerplate = np.array([], dtype=np.int64)
        if exercise in stubs:  # every k-gram of the stub, not only the winnowed ones (as copydetect does)
            stub = CodeFingerprint(f"{exercise}.py", noise_t, 1, fp=io.StringIO(stubs[exercise]))
            boilerplate = np.unique(np.array(sorted(stub.hashes), dtype=np.int64))
        prints = {}
        for student, text in sorted(by_student.items()):
            fp = CodeFingerprint(f"{exercise}.py", noise_t, window, boilerplate=boilerplate, fp=io.StringIO(text))
            if fp.hashes:
                prints[student] = fp
            else:
                skipped.setdefault(exercise, []).append(student)
        starts = {k: _line_starts(fp.raw_code) for k, fp in prints.items()}
        for a, b in itertools.combinations(sorted(prints), 2):
            tokens, (sa, sb), (slices_a, slices_b) = compare_files(prints[a], prints[b])
            pair = Pair(exercise, a, b, float(sa), float(sb), int(tokens))
            if tokens:
                pair.lines_a = _lines(starts[a], slices_a)
                pair.lines_b = _lines(starts[b], slices_b)
            pairs.append(pair)
        everyone[exercise] = prints
    pairs.sort(key=lambda p: (-p.similarity, p.exercise, p.a, p.b))
    for pair in [p for p in pairs if p.tokens and p.similarity >= min(SHOWN, threshold)][:MAX_DETAILS]:
        fa, fb = everyone[pair.exercise][pair.a], everyone[pair.exercise][pair.b]
        _, _, (slices_a, slices_b) = compare_files(fa, fb)
        pair.html_a = highlight_overlap(fa.raw_code, slices_a, "<mark>", "</mark>", escape_html=True)[0]
        pair.html_b = highlight_overlap(fb.raw_code, slices_b, "<mark>", "</mark>", escape_html=True)[0]
    return Result(pairs, files, skipped, list(notes or []), threshold)


# ------------------------------------------------------------------------------- reports ---
def _ranges(ranges: list[tuple[int, int]]) -> str:
    return ";".join(f"{a}-{b}" if a != b else f"{a}" for a, b in ranges)


def to_csv(result: Result) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(["rank", "exercise", "student_a", "student_b", "similarity", "share_a", "share_b",
                "tokens", "flagged", "lines_a", "lines_b"])
    for i, p in enumerate(result.pairs, 1):
        w.writerow([i, p.exercise, p.a, p.b, f"{p.similarity:.3f}", f"{p.share_a:.3f}", f"{p.share_b:.3f}",
                    p.tokens, "yes" if p.similarity >= result.threshold else "no",
                    _ranges(p.lines_a), _ranges(p.lines_b)])
    return buffer.getvalue()


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
tr.flag td{background:#fde2e2}.side{display:flex;gap:1em}.side>div{flex:1;min-width:0}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:12px;line-height:1.35}
mark{background:#ffd54f}h3{margin-top:2em}"""


def to_html(result: Result) -> str:
    e = html.escape
    listed = [p for p in result.pairs if p.tokens and p.similarity >= min(SHOWN, result.threshold)]
    shown = listed[:MAX_ROWS]
    flagged = result.flagged()
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>Similarity report</title>",
           f"<style>{_CSS}</style></head><body><h1>Similarity report</h1>",
           f"<p>copydetect fingerprints (k = {NOISE_T}, window {WINDOW}), the stubs' code ignored. "
           f"A pair's similarity is the mean of the two shares of code found in the other file. "
           f"<b>{len(flagged)}</b> pair(s) at or above {result.threshold:g} are flagged; pairs below "
           f"{min(SHOWN, result.threshold):g} are left out here (<code>similarity.csv</code> has every pair). "
           "A flag is a reason to read the two files, not a finding.</p>"]
    counts = ", ".join(f"{x}: {len(s)} submissions" for x, s in result.files.items())
    out.append(f"<p>{e(counts)}</p>")
    if result.skipped:
        out.append("<p>Nothing beyond the stub (not compared): " + "; ".join(
            f"{e(x)}: {e(', '.join(s))}" for x, s in result.skipped.items()) + "</p>")
    if result.notes:
        out.append("<p>Not read:</p><ul>" + "".join(f"<li>{e(n)}</li>" for n in result.notes) + "</ul>")
    out.append("<table><tr><th>#</th><th>exercise</th><th>student A</th><th>student B</th><th>similarity</th>"
               "<th>A in B</th><th>B in A</th><th>matching lines (A / B)</th></tr>")
    for i, p in enumerate(shown, 1):
        cls = " class='flag'" if p.similarity >= result.threshold else ""
        link = f"<a href='#pair{i}'>{i}</a>" if p.html_a else str(i)
        out.append(f"<tr{cls}><td>{link}</td><td>{e(p.exercise)}</td><td>{e(p.a)}</td>"
                   f"<td>{e(p.b)}</td><td>{p.similarity:.2f}</td><td>{p.share_a:.0%}</td><td>{p.share_b:.0%}</td>"
                   f"<td>{e(_ranges(p.lines_a))} / {e(_ranges(p.lines_b))}</td></tr>")
    out.append("</table>")
    if not shown:
        out.append("<p>No pair reached the display threshold.</p>")
    if len(listed) > len(shown) or sum(bool(p.html_a) for p in shown) < len(shown):
        out.append(f"<p>{len(listed)} pairs reached {min(SHOWN, result.threshold):g}: the table lists the first "
                   f"{len(shown)}, the code is shown for the first {sum(bool(p.html_a) for p in shown)} "
                   "(similarity.csv has every pair).</p>")
    for i, p in enumerate(shown, 1):
        if not p.html_a:
            break
        out.append(f"<h3 id='pair{i}'>{i}. {e(p.exercise)}: {e(p.a)} and {e(p.b)}, similarity {p.similarity:.2f}</h3>"
                   f"<div class='side'><div><b>{e(p.a)}</b> ({p.share_a:.0%} of it matches)<pre>{p.html_a}</pre></div>"
                   f"<div><b>{e(p.b)}</b> ({p.share_b:.0%} of it matches)<pre>{p.html_b}</pre></div></div>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_reports(result: Result, out: Path) -> tuple[Path, Path]:
    """``out/similarity.html`` and ``out/similarity.csv``, written atomically."""
    from .results import write_atomic

    out = Path(out)
    write_atomic(out / "similarity.csv", to_csv(result))
    write_atomic(out / "similarity.html", to_html(result))
    return out / "similarity.html", out / "similarity.csv"


def run(submissions: Path, out: Path, exercises=config.EXERCISES, stubs_dir: Path = STUBS,
        threshold: float = THRESHOLD) -> Result:
    """Collect the submissions of a folder, compare them and write the two reports."""
    files, notes = collect(submissions, exercises)
    stubs = {e: (Path(stubs_dir) / f"{e}.py").read_text() for e in exercises if (Path(stubs_dir) / f"{e}.py").is_file()}
    result = compare(files, stubs, threshold=threshold, notes=notes)
    write_reports(result, out)
    return result
