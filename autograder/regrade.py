"""Regrades: grade a class again after its cases changed, keep the previous results, say what changed.

``python -m autograder batch SUBMISSIONS --out OUT --regrade POLICY`` on the ``--out`` folder of an
earlier batch:

1. ``begin``: the earlier ``results/`` and ``status/`` (and its gradebook files) move to
   ``history/<UTC time>/``; nothing is deleted. A regrade that was interrupted is resumed: the
   folder ``regrade.json`` names is reused, and only the students without new results are graded.
2. the batch grades every student again, with the cases of now.
3. ``finish``: ``regrade.csv`` lists every case whose score changed (student, case, before, after,
   change) and every student's totals; ``regrade.md`` says which students' totals changed, by how
   much and on which cases. The policy decides what ``results/`` (and so every gradebook) holds:

   - ``new``: the new grading;
   - ``max``: per student, the better of the two gradings (the other is kept in the history:
     the new one as ``history/<time>/regraded/<student>.json``);
   - ``both``: the new grading, and ``gradebook.csv`` shows the previous total beside it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

from .results import write_atomic

POLICIES = ("new", "max", "both")
MARKER = "regrade.json"
MOVED = ("results", "status")
COPIED = ("gradebook.csv", "summary.md", "cases.csv", "canvas.csv", "late.csv")


class RegradeError(ValueError):
    """The --out folder cannot be regraded (no earlier grading in it...)."""


def begin(out: Path) -> Path:
    """Move the earlier grading into ``history/<time>/`` (or resume an interrupted regrade); its folder."""
    out = Path(out)
    marker = out / MARKER
    if marker.is_file():
        previous = out / json.loads(marker.read_text())["previous"]
        if previous.is_dir():
            return previous  # interrupted: the earlier grading is already there, new results are kept
    if not (out / "results").is_dir() or not any((out / "results").glob("*.json")):
        raise RegradeError(f"{out} holds no results/ of an earlier batch to regrade: run batch with --out {out} first")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    previous = out / "history" / stamp
    n = 1
    while previous.exists():
        n += 1
        previous = out / "history" / f"{stamp}-{n}"
    previous.mkdir(parents=True)
    for name in COPIED:
        if (out / name).is_file():
            shutil.copy2(out / name, previous / name)
    write_atomic(marker, json.dumps({"previous": previous.relative_to(out).as_posix()}) + "\n")
    for name in MOVED:  # after the marker: an interruption between the two moves is resumed
        if (out / name).is_dir():
            (out / name).rename(previous / name)
    return previous


def _load(folder: Path) -> dict[str, dict]:
    """Every complete results file of ``folder`` (batch's reader: a torn file counts as none)."""
    from .batch import read_results

    out = {}
    for path in sorted(folder.glob("*.json")):
        data = read_results(path)
        if data is not None:
            out[path.stem] = data
    return out


def _cases(data: dict) -> dict[str, tuple[float, float]]:
    return {str(t.get("number") or t.get("name")): (float(t.get("score", 0)), float(t.get("max_score", 0)))
            for t in data.get("tests", [])}


def compare(before: dict[str, dict], after: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """(changed cases, every student's totals): what a regrade changed."""
    changes, totals = [], []
    for student in sorted(set(before) | set(after)):
        old, new = before.get(student, {}), after.get(student, {})
        oc, nc = _cases(old), _cases(new)
        for case in list(dict.fromkeys([*oc, *nc])):
            o, n = oc.get(case), nc.get(case)
            if o != n:
                changes.append({"student": student, "case": case,
                                "before": "" if o is None else f"{o[0]:g}/{o[1]:g}",
                                "after": "" if n is None else f"{n[0]:g}/{n[1]:g}",
                                "change": f"{(n[0] if n else 0) - (o[0] if o else 0):+g}"})
        totals.append({"student": student,
                       "before": float(old.get("score", 0)), "before_max": float(old.get("max_score", 0)),
                       "after": float(new.get("score", 0)), "after_max": float(new.get("max_score", 0)),
                       "cases": [c["case"] for c in changes if c["student"] == student]})
    return changes, totals


def finish(out: Path, previous: Path, policy: str) -> list[str]:
    """Compare, apply the policy, write regrade.csv and regrade.md; the names written."""
    if policy not in POLICIES:
        raise RegradeError(f"--regrade must be one of {', '.join(POLICIES)}, not {policy!r}")
    out = Path(out)
    before, after = _load(previous / "results"), _load(out / "results")
    changes, totals = compare(before, after)
    kept = {}
    for t in totals:
        t["kept"] = "new"
        if policy == "max" and t["student"] in before and t["before"] > t["after"]:
            regraded = previous / "regraded"
            regraded.mkdir(exist_ok=True)
            shutil.copy2(out / "results" / f"{t['student']}.json", regraded / f"{t['student']}.json")
            shutil.copy2(previous / "results" / f"{t['student']}.json", out / "results" / f"{t['student']}.json")
            t["kept"] = "previous"
        kept[t["student"]] = t["kept"]
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(["student", "case", "before", "after", "change"])
    for c in changes:
        w.writerow([c["student"], c["case"], c["before"], c["after"], c["change"]])
    w.writerow([])
    w.writerow(["student", "total before", "total after", "change", "kept"])
    for t in totals:
        w.writerow([t["student"], f"{t['before']:g}/{t['before_max']:g}", f"{t['after']:g}/{t['after_max']:g}",
                    f"{t['after'] - t['before']:+g}", t["kept"]])
    write_atomic(out / "regrade.csv", buffer.getvalue())
    moved = [t for t in totals if t["before"] != t["after"] or t["before_max"] != t["after_max"]]
    lines = ["# Regrade", "", f"Previous grading kept in `{previous.relative_to(out).as_posix()}/`; policy: "
             f"**{policy}**.", "",
             f"{len(moved)} of {len(totals)} students' totals changed; {len(changes)} case results changed.", ""]
    if moved:
        lines += ["| student | before | after | change | cases that changed | kept |", "| --- | ---: | ---: | ---: | --- | --- |"]
        for t in moved:
            cases = ", ".join(f"`{c}`" for c in t["cases"][:8]) + (" ..." if len(t["cases"]) > 8 else "")
            lines.append(f"| {t['student']} | {t['before']:g}/{t['before_max']:g} | {t['after']:g}/{t['after_max']:g} | "
                         f"{t['after'] - t['before']:+g} | {cases} | {t['kept']} |")
    write_atomic(out / "regrade.md", "\n".join(lines) + "\n")
    (out / MARKER).unlink(missing_ok=True)
    return ["regrade.csv", "regrade.md"]


def add_previous_totals(out: Path, previous: Path) -> None:
    """``both``: a ``previous_total`` column beside ``total`` in gradebook.csv."""
    path = Path(out) / "gradebook.csv"
    rows = list(csv.DictReader(path.open()))
    if not rows:
        return
    before = {s: d.get("score", 0) for s, d in _load(previous / "results").items()}
    fields = list(rows[0])
    fields.insert(fields.index("total") + 1, "previous_total")
    buffer = io.StringIO()
    w = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        r["previous_total"] = f"{before[r['student']]:g}" if r["student"] in before else ""
        w.writerow(r)
    write_atomic(path, buffer.getvalue())
