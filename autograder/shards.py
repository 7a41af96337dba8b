"""A class graded on many machines: ``batch --shard K/N`` grades one slice, ``merge`` joins the slices.

A submission belongs to shard ``1 + sha256(student) mod N``, where ``student`` is the name ``batch``
gives it (the folder's or the zip's): the same on every machine, whatever order the folder is
listed in, and whichever other shards run. Each shard's ``--out`` folder is an ordinary batch
folder (results/, status/, a gradebook of its slice) plus ``shard.json``: K, N, the whole class in
``batch``'s order, and what it was graded with (the exercises, a fingerprint of their cases, hidden
cases included, and the options passed to ``grade``).

``merge`` checks that its folders are the N slices of one class graded alike (each K once, no
student graded twice, none missing), copies their results and status files into one folder and
writes the gradebook, the summary and the class files with the writers ``batch`` uses, from
results/ and status/: the merged folder holds what one machine grading the whole class writes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .results import write_atomic

MANIFEST = "shard.json"  # in each shard's --out folder
MERGED = "merge.json"  # in merge's --out folder: the shards it was made from


class ShardError(ValueError):
    """Shards that cannot be joined, or a --shard that cannot be graded into its folder."""


def parse(text: str) -> tuple[int, int]:
    """``"K/N"`` as ``(K, N)`` with ``1 <= K <= N``; ShardError otherwise (argparse's ``type=``)."""
    head, sep, tail = str(text).strip().partition("/")
    try:
        k, n = int(head), int(tail)
    except ValueError:
        k = n = 0
    if not sep or n < 1:
        raise ShardError(f"{text!r} is not K/N, the shard K of N (e.g. 1/4; K counts from 1)")
    if not 1 <= k <= n:
        raise ShardError(f"{text!r}: K must be between 1 and N={n} (shards are counted from 1)")
    return k, n


def shard_of(student: str, n: int) -> int:
    """The shard (1..n) that grades ``student``: a hash of the name alone."""
    return 1 + int.from_bytes(hashlib.sha256(student.encode("utf-8")).digest()[:8], "big") % n


def grading(exercises: list[str], hidden: list[Path], options: dict) -> dict:
    """What a shard grades with, to compare across shards: exercises, their cases' fingerprint, options."""
    from .cases import PUBLIC, load_hidden

    cases = [c for c in PUBLIC if c.exercise in exercises]
    cases += [c for h in hidden for c in load_hidden(h) if c.exercise in exercises]
    text = json.dumps([c.to_json() for c in cases], sort_keys=True, default=repr)
    return {"exercises": list(exercises), "cases": len(cases),
            "cases_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), **options}


@dataclass(frozen=True)
class Shard:
    k: int
    n: int
    grading: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"

    def begin(self, out: Path, subs: list) -> list:
        """This shard's slice of ``subs`` (batch's Submissions); writes ``out/shard.json`` first.

        ShardError when ``out`` holds another shard, a grading with other cases or options, or the
        results of a batch without ``--shard``: resuming there would mix two gradings.
        """
        out = Path(out)
        old = _read_json(out / MANIFEST)
        if old is not None:
            if (old.get("k"), old.get("n")) != (self.k, self.n):
                raise ShardError(f"{out} holds shard {old.get('k')}/{old.get('n')}, not {self}: "
                                 "give each shard its own --out folder")
            changed = _differences(old.get("grading", {}), self.grading)
            if changed:
                raise ShardError(f"{out} was graded with other {', '.join(changed)}; grade this shard into a new "
                                 "--out folder (or remove the old one)")
        elif any((out / "results").glob("*.json")):
            raise ShardError(f"{out} holds the results of a batch without --shard; give the shard a new --out folder")
        mine = [s for s in subs if shard_of(s.student, self.n) == self.k]
        manifest = {"shard": str(self), "k": self.k, "n": self.n, "grading": self.grading,
                    "class": [s.student for s in subs], "students": [s.student for s in mine]}
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
        return mine


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _differences(a: dict, b: dict) -> list[str]:
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _names(students, limit: int = 10) -> str:
    students = sorted(students)
    more = f" and {len(students) - limit} more" if len(students) > limit else ""
    return ", ".join(students[:limit]) + more


# ---------------------------------------------------------------------------------- merge ---
def check(folders: list[Path]) -> tuple[list[str], dict[str, Path]]:
    """The class (in batch's order) and the folder holding each student's results; ShardError when
    the folders are not the N slices of one class graded alike, or a student is graded twice or never."""
    from .batch import is_done

    if not folders:
        raise ShardError("no shard folders to merge")
    listed = []
    for folder in map(Path, folders):
        m = _read_json(folder / MANIFEST)
        if m is None or not isinstance(m.get("class"), list) or not isinstance(m.get("n"), int):
            raise ShardError(f"{folder} holds no {MANIFEST}: it is not the --out folder of `batch --shard K/N`")
        listed.append((folder, m))
    first, m0 = listed[0]
    if len({m["n"] for _, m in listed}) > 1:
        raise ShardError("the shards were cut for different N: " + ", ".join(f"{f} is {m['shard']}" for f, m in listed))
    n = m0["n"]
    by_k: dict[int, list[Path]] = {}
    for f, m in listed:
        by_k.setdefault(m.get("k"), []).append(f)
    twice = {k: fs for k, fs in by_k.items() if len(fs) > 1}
    if twice:
        raise ShardError("; ".join(f"shard {k}/{n} given twice ({', '.join(map(str, fs))})" for k, fs in twice.items()))
    missing = [k for k in range(1, n + 1) if k not in by_k]
    if missing:
        raise ShardError(f"shard(s) {', '.join(f'{k}/{n}' for k in missing)} missing: merge needs all {n} "
                         "shards' folders")
    manifests = dict(listed)
    for f, m in manifests.items():
        a, b = m0.get("grading", {}), m.get("grading", {})
        changed = _differences(a, b)
        if changed:
            detail = "; ".join(f"{k}: {a.get(k)!r} in {first}, {b.get(k)!r} in {f}" for k in changed)
            raise ShardError(f"the shards were graded differently ({detail}): grade every shard with the same "
                             "command and grader")
        if m["class"] != m0["class"]:
            only_a, only_b = set(m0["class"]) - set(m["class"]), set(m["class"]) - set(m0["class"])
            detail = (f"only in {first}: {_names(only_a) or '-'}; only in {f}: {_names(only_b) or '-'}"
                      if only_a or only_b else "the same names in another order")
            raise ShardError(f"{first} and {f} were graded from different submission folders ({detail})")
    everyone = list(m0["class"])
    graded_by: dict[str, list[Path]] = {}
    for f, m in manifests.items():
        for p in sorted((f / "results").glob("*.json")):
            if is_done(f, p.stem):
                graded_by.setdefault(p.stem, []).append(f)
    overlap = {s: fs for s, fs in graded_by.items() if len(fs) > 1}
    if overlap:
        twice = [f"{s} in " + " and ".join(f"{f} ({manifests[f]['shard']})" for f in fs)
                 for s, fs in sorted(overlap.items())]
        raise ShardError("students graded by more than one shard: " + "; ".join(twice))
    for f, m in manifests.items():
        stray = [s for s, fs in graded_by.items() if fs == [f] and (s not in everyone or shard_of(s, n) != m["k"])]
        if stray:
            raise ShardError(f"{f} (shard {m['k']}/{n}) holds results of students outside its slice: {_names(stray)}")
    absent = [s for s in everyone if s not in graded_by]
    if absent:
        where = sorted({shard_of(s, n) for s in absent})
        raise ShardError(f"no results for {len(absent)} student(s): {_names(absent)}; shard(s) "
                         f"{', '.join(f'{k}/{n} ({by_k[k][0]})' for k in where)} did not finish: run the same "
                         "`batch --shard` command on that folder again (it grades only what is missing)")
    return everyone, {s: graded_by[s][0] for s in everyone}


def merge(folders: list[Path], out: Path, gradebook_options=None) -> list[str]:
    """Join the shards' folders into ``out``: results/, status/, the gradebook, summary and class files.

    ShardError before anything is written when the shards cannot be joined or ``out`` holds other
    results; GradebookError from the class files as with ``batch`` (the gradebook is written first).
    """
    from . import batch, gradebook

    folders = [Path(f).resolve() for f in folders]
    out = Path(out).resolve()
    if out in folders:
        raise ShardError(f"--out {out} is one of the shards' folders: merge into a new folder")
    everyone, where = check(folders)
    if out.exists() and any(out.iterdir()) and not (out / MERGED).is_file():
        raise ShardError(f"--out {out} is not empty and not a merge's folder: merge into a new or empty folder")
    for name in ("results", "status", "reports"):  # a previous merge's files, of this class or another
        shutil.rmtree(out / name, ignore_errors=True)
    subs = []
    for student in everyone:
        for kind in ("status", "results"):  # the status first, as batch writes them
            text = (where[student] / kind / f"{student}.json").read_text(encoding="utf-8")
            write_atomic(out / kind / f"{student}.json", text)
        source = (batch.read_status(out / "status" / f"{student}.json") or {}).get("source") or ""
        subs.append(batch.Submission(student, Path(source)))
    manifests = [_read_json(f / MANIFEST) for f in folders]
    write_atomic(out / MERGED, json.dumps({
        "shards": {m["shard"]: str(f) for f, m in sorted(zip(folders, manifests), key=lambda fm: fm[1]["k"])},
        "grading": manifests[0].get("grading", {}), "students": len(everyone)}, indent=2) + "\n")
    batch.write_gradebook(subs, out)
    written = ["results/", "status/", "gradebook.csv"] + (["scores.png"] if subs else [])
    return written + gradebook.write_class_files(out, gradebook_options or gradebook.GradebookOptions(), everyone)
