"""`python -m autograder similarity`: copies are found through renamed variables and reordered
functions; independent solutions and untouched stubs are not flagged."""

from __future__ import annotations

import ast
import csv
import io
import keyword
import shutil
import tokenize
import zipfile
from pathlib import Path

from ag_helpers import ROOT, run_cli

from autograder import config, similarity

FAIR = ROOT / "tests" / "autograder" / "fair"
STUBS = ROOT / "exercises"
# the exercises the Keras-style student wrote (the class below copies that student's files)
KERAS = [e for e in config.EXERCISES if (FAIR / "keras" / "exercises" / f"{e}.py").is_file()]


def disguise(source: str) -> str:
    """What a student hiding a copy does in an editor: rename every variable and argument, reverse the
    order of the top-level functions and classes. The code stays valid Python."""
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg) and a.arg not in ("self", "cls")}
    mapping = {n: f"my_{n[::-1].strip('_')}_var" for n in names if not keyword.iskeyword(n)}
    tokens = [t._replace(string=mapping.get(t.string, t.string)) if t.type == tokenize.NAME else t
              for t in tokenize.generate_tokens(io.StringIO(source).readline)]
    renamed = tokenize.untokenize(tokens)
    tree, lines = ast.parse(renamed), renamed.splitlines(keepends=True)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    first = lambda d: (d.decorator_list[0].lineno if d.decorator_list else d.lineno) - 1  # noqa: E731
    head = "".join(lines[:min(first(d) for d in defs)])
    out = head + "".join("".join(lines[first(d):d.end_lineno]) + "\n\n" for d in reversed(defs))
    compile(out, "disguised.py", "exec")
    assert out != source
    return out


def _independent() -> dict[str, dict[str, str]]:
    """exercise -> style -> source: the independent correct implementations, and the reference."""
    files: dict[str, dict[str, str]] = {e: {} for e in config.EXERCISES}
    for folder in sorted(FAIR.glob("*/exercises")):
        for e in config.EXERCISES:
            if (folder / f"{e}.py").is_file():
                files[e][folder.parent.name] = (folder / f"{e}.py").read_text()
    for e in config.EXERCISES:
        files[e]["reference"] = (ROOT / "solutions" / f"{e}.py").read_text()
    return files


def test_independent_solutions_are_not_flagged_and_disguised_copies_are():
    files = _independent()
    assert all(len(by) >= 5 for by in files.values()), {e: len(by) for e, by in files.items()}
    clean = similarity.compare(files)
    top = max(p.similarity for p in clean.pairs)
    assert not clean.flagged(), [(p.exercise, p.a, p.b, round(p.similarity, 2)) for p in clean.flagged()]
    assert top < similarity.THRESHOLD - 0.05, f"independent solutions reach {top:.2f}, too close to the threshold"

    # every implementation, copied and disguised by another student: each copy is found, ranked above
    # every independent pair, and its pair is the only flagged one that involves the copy
    for e, by_style in files.items():
        for style, text in by_style.items():
            trial = {e: {**by_style, "copier": disguise(text)}}
            result = similarity.compare(trial)
            flagged = {(p.a, p.b) for p in result.flagged()}
            assert flagged == {tuple(sorted(("copier", style)))}, (e, style, flagged)
            best = result.pairs[0]
            assert {best.a, best.b} == {"copier", style} and best.similarity >= 0.7, (e, style, best.similarity)


def test_the_stub_is_boilerplate_and_matching_lines_are_reported():
    stub = (STUBS / "dropout.py").read_text()
    reference = (ROOT / "solutions" / "dropout.py").read_text()
    files = {"dropout": {"ann": stub, "ben": stub, "cy": reference, "dee": disguise(reference)}}
    result = similarity.compare(files)
    assert result.skipped == {"dropout": ["ann", "ben"]}  # two untouched stubs are not a copy
    [pair] = result.flagged()
    assert (pair.a, pair.b) == ("cy", "dee") and pair.lines_a and pair.lines_b
    # the lines the stub gave everyone (the signature of dropout, its docstring) are not marked as matching
    signature = next(i for i, line in enumerate(reference.splitlines(), 1) if line.startswith("def dropout("))
    assert not any(a <= signature <= b for a, b in pair.lines_a)


def _class(tmp_path: Path) -> Path:
    """A Gradescope-style folder per student, Canvas-style zips, a copy, an unusable zip."""
    subs = tmp_path / "subs"
    for style in ("keras", "d2l", "textbook"):
        shutil.copytree(FAIR / style / "exercises", subs / f"submission_{len(style)}{style}" / "exercises")
    with zipfile.ZipFile(subs / "smithjane_LATE_4021_99120_course.zip", "w") as z:
        for e in KERAS:
            z.writestr(f"course-main/exercises/{e}.py", disguise((FAIR / "keras" / "exercises" / f"{e}.py").read_text()))
    with zipfile.ZipFile(subs / "doejohn_4022_99121_homework.zip", "w") as z:
        z.writestr("homework/notes.txt", "I could not finish")
    stubs = subs / "leeann_4023_99122_stub"
    shutil.copytree(STUBS, stubs / "exercises")
    return subs


def test_similarity_command_writes_a_ranked_html_report_and_a_csv(tmp_path):
    subs, out = _class(tmp_path), tmp_path / "out"
    proc = run_cli("similarity", str(subs), "--out", str(out), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "doejohn_4022_99121_homework: no exercises/ folder" in proc.stderr
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    flagged = {(r["exercise"], r["student_a"], r["student_b"]) for r in rows if r["flagged"] == "yes"}
    assert flagged == {(e, "smithjane_LATE_4021_99120_course", "submission_5keras") for e in KERAS}
    assert len(KERAS) >= 3 and [r["flagged"] for r in rows[:len(KERAS)]] == ["yes"] * len(KERAS) and float(rows[0]["similarity"]) >= 0.7
    assert all(r["lines_a"] for r in rows[:len(KERAS)])
    page = (out / "similarity.html").read_text()
    assert page.count("class='flag'") == len(KERAS) and page.count("<mark>") > 10 and "class='side'" in page
    assert "leeann_4023_99122_stub" in page  # listed as nothing beyond the stub, not compared

    bad = run_cli("similarity", str(subs), "--out", str(out), "--threshold", "2")
    assert bad.returncode == 2 and "--threshold" in bad.stderr
    missing = run_cli("similarity", str(tmp_path / "nowhere"), "--out", str(out))
    assert missing.returncode == 2 and "not a folder of submissions" in missing.stderr
