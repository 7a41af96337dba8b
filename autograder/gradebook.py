"""The class's gradebooks from ``batch``'s results: Canvas's import CSV, a column per case, late penalties.

Who a student is comes from what the submission carries: Canvas's download names
(``doejane_LATE_4021_99120_file.zip``: login, the LATE mark, Canvas user id, submission id),
Gradescope's ``submission_metadata.json`` beside the files (its ``users``: name, email, sid) or the
``submission_metadata.yml`` of Gradescope's export (``:submitters:`` of each ``submission_N``
folder), and a Canvas gradebook export given as ``--roster`` (its Student, ID, SIS User ID,
SIS Login ID and Section columns), matched by Canvas id, SIS user id, login or e-mail, or name.
``canvas.csv`` has Canvas's layout: those five columns, a "Points Possible" row, and one column for
the assignment's total (or one per exercise); a blank cell changes nothing on import.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .late import ON_TIME, Assignment, LateError, Penalty, Submitted, parse_time, penalty, read_metadata, read_times
from .results import write_atomic

CANVAS_NAME = re.compile(r"^(?P<login>[A-Za-z0-9-]+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<submission>\d+)(?:_|$)")
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


class GradebookError(ValueError):
    """A gradebook that cannot be written as asked: says which students and what is missing."""


@dataclass
class Student:
    key: str  # the name batch gave the submission
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    email: str = ""
    section: str = ""
    submitted: Submitted | None = None
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------ identity ---
def _zip_metadata(archive: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(archive) as z:
            names = [n for n in z.namelist() if n.rsplit("/", 1)[-1] == "submission_metadata.json" and n.count("/") <= 1]
            if names and z.getinfo(names[0]).file_size < 1 << 20:
                return z.read(names[0])
    except (zipfile.BadZipFile, OSError):
        return None
    return None


def gradescope_export(folder: Path, tz=None) -> dict[str, tuple[Submitted, list[dict]]]:
    """``submission_metadata.yml`` of Gradescope's export: folder name -> (time, submitters)."""
    import yaml

    path = Path(folder) / "submission_metadata.yml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LateError(f"{path}: Gradescope's export metadata is not YAML ({exc})") from None
    if not isinstance(data, dict):
        raise LateError(f"{path}: Gradescope's export metadata is not a mapping of submission folders")
    out = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise LateError(f"{path}: {name} is not a mapping")
        entry = {str(k).lstrip(":"): v for k, v in entry.items()}
        if "created_at" not in entry:
            raise LateError(f"{path}: {name} has no :created_at:")
        people = [{str(k).lstrip(":"): v for k, v in p.items()} for p in entry.get("submitters") or [] if isinstance(p, dict)]
        out[str(name)] = (Submitted(parse_time(entry["created_at"], f"{path}: {name} :created_at:", tz),
                                    source=str(path)), people)
    return out


def identify(key: str, source: Path | None, exports: dict, tz=None) -> Student:
    """What the submission's name and metadata say about its student."""
    s = Student(key)
    if source is not None:
        m = CANVAS_NAME.match(source.name)
        if m:
            s.canvas_id, s.sis_login_id = m["id"], ""
            s.notes.append(f"Canvas download (user {m['id']}{', marked LATE' if m['late'] else ''})")
        if source.is_dir() and (source / "submission_metadata.json").is_file():
            s.submitted = read_metadata(source / "submission_metadata.json", tz)
        elif source.is_file() and source.suffix.lower() == ".zip":
            raw = _zip_metadata(source)
            if raw is not None:
                import tempfile

                with tempfile.NamedTemporaryFile("wb", suffix=".json") as f:
                    f.write(raw)
                    f.flush()
                    try:
                        s.submitted = read_metadata(Path(f.name), tz)
                    except LateError as exc:
                        raise LateError(str(exc).replace(f.name, f"{source.name}:submission_metadata.json")) from None
        users = list(s.submitted.users) if s.submitted else []
        if source.name in exports:
            submitted, people = exports[source.name]
            s.submitted = s.submitted or submitted
            users = users or people
        if users:
            u = users[0]
            s.name = str(u.get("name") or "")
            s.email = str(u.get("email") or "")
            s.sis_user_id = str(u.get("sid") or "")
    return s


def read_roster(path: Path) -> list[dict]:
    """A Canvas gradebook export (or any CSV with its identity columns); the Points Possible row skipped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise GradebookError(f"{path}: cannot read the roster ({exc.strerror or exc})") from None
    reader = csv.DictReader(text.splitlines())
    fields = reader.fieldnames or []
    if "Student" not in fields or not {"ID", "SIS User ID", "SIS Login ID"} & set(fields):
        raise GradebookError(f"{path}: not a Canvas gradebook export: it needs the columns Student and ID, "
                             f"SIS User ID or SIS Login ID (found: {', '.join(fields) or 'no header'})")
    rows = []
    for row in reader:
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if row.get("Student", "").strip() in ("Points Possible", "") or not any(row.get(k) for k in IDENTITY[1:4]):
            continue  # Canvas's Points Possible and Manual Posting rows
        rows.append(row)
    return rows


def _name_key(name: str) -> str:
    return " ".join(sorted(re.sub(r"[^a-z ]", " ", name.lower()).split()))


def match_roster(students: list[Student], roster: list[dict]) -> list[str]:
    """Fill each student's Canvas identity from the roster row that matches it (unique matches only);
    return the students no row matched."""
    def unique(pred):  # called at once, inside the loop: the lambdas see the current student
        hits = [r for r in roster if pred(r)]
        return hits[0] if len(hits) == 1 else None

    unmatched = []
    for s in students:
        row = None
        if s.canvas_id:
            row = unique(lambda r: r.get("ID") == s.canvas_id)
        if row is None and s.sis_user_id:
            row = unique(lambda r: r.get("SIS User ID") == s.sis_user_id)
        if row is None and s.email:
            row = unique(lambda r: r.get("SIS Login ID", "").lower() in (s.email.lower(), s.email.lower().split("@")[0]))
        if row is None:
            row = unique(lambda r: s.key.lower() in (r.get("SIS Login ID", "").lower(), r.get("SIS User ID", "").lower()))
        if row is None and s.name:
            row = unique(lambda r: _name_key(r.get("Student", "")) == _name_key(s.name))
        if row is not None:
            s.name, s.canvas_id = row.get("Student", s.name), row.get("ID", "")
            s.sis_user_id, s.sis_login_id = row.get("SIS User ID", ""), row.get("SIS Login ID", "")
            s.section = row.get("Section", "")
        else:
            unmatched.append(s.key)
    return unmatched


# ----------------------------------------------------------------------------- the files ---
def _exercise_points(data: dict) -> dict[str, tuple[float, float]]:
    out = {}
    for e in config.EXERCISES:
        tests = [t for t in data.get("tests", []) if (t.get("tags") or [None])[0] == e]
        out[e] = (sum(float(t.get("score", 0)) for t in tests), sum(float(t.get("max_score", 0)) for t in tests))
    return out


def _fmt(x: float) -> str:
    return f"{round(x, 2):g}"


def canvas_csv(students: list[Student], results: dict[str, dict], penalties: dict[str, Penalty],
               assignment: Assignment, roster: list[dict] | None = None, per_exercise: bool = False) -> str:
    """Canvas's import layout; GradebookError when a student cannot be told to Canvas."""
    missing = [s.key for s in students if not (s.canvas_id or s.sis_user_id or s.sis_login_id)]
    if missing:
        hint = ("no roster row matched them" if roster is not None else
                "pass --roster with Canvas's gradebook export, or keep Canvas's download names")
        raise GradebookError(f"no Canvas student id (ID, SIS User ID or SIS Login ID) for {len(missing)} "
                             f"submission(s): {', '.join(missing)}; {hint}")
    ids = [(s.canvas_id or s.sis_user_id or s.sis_login_id) for s in students]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        who = [s.key for s, i in zip(students, ids) if i in twice]
        raise GradebookError(f"two submissions for one Canvas student ({', '.join(twice)}): {', '.join(who)}; "
                             "keep one of them in the submissions folder")
    maxima = {e: max((_exercise_points(d)[e][1] for d in results.values()), default=0.0) for e in config.EXERCISES}
    total_max = max((float(d.get("max_score", 0)) for d in results.values()), default=0.0)
    columns = [f"{assignment.title}: {e}" for e in config.EXERCISES if maxima[e]] if per_exercise else [assignment.column]
    scores: dict[str, list[str]] = {}
    for s in students:
        data, pen = results[s.key], penalties.get(s.key, ON_TIME)
        keep = 1 - pen.percent / 100
        if per_exercise:
            scores[s.key] = [_fmt(_exercise_points(data)[e][0] * keep) for e in config.EXERCISES if maxima[e]]
        else:
            raw = float(data.get("score", 0))
            scores[s.key] = [_fmt(raw - pen.points(raw))]
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow([*IDENTITY, *columns])
    possible = [_fmt(maxima[e]) for e in config.EXERCISES if maxima[e]] if per_exercise else [_fmt(total_max)]
    w.writerow(["    Points Possible", "", "", "", "", *possible])
    if roster is not None:
        by_id = {(s.canvas_id, s.sis_user_id, s.sis_login_id): s for s in students}
        for row in roster:
            s = by_id.get((row.get("ID", ""), row.get("SIS User ID", ""), row.get("SIS Login ID", "")))
            w.writerow([row.get(k, "") for k in IDENTITY] + (scores[s.key] if s else [""] * len(columns)))
    else:
        for s in students:
            w.writerow([s.name or s.key, s.canvas_id, s.sis_user_id, s.sis_login_id, s.section, *scores[s.key]])
    return buffer.getvalue()


def cases_csv(results: dict[str, dict]) -> str:
    """One row per student, one column per case (its points), then the total; the first row holds the maxima."""
    order: dict[str, float] = {}
    for data in results.values():
        for t in data.get("tests", []):
            order.setdefault(str(t.get("number") or t.get("name")), float(t.get("max_score", 0)))
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(["student", *order, "total", "max_score"])
    w.writerow(["(max)", *(_fmt(v) for v in order.values()), _fmt(sum(order.values())), _fmt(sum(order.values()))])
    for student, data in results.items():
        got = {str(t.get("number") or t.get("name")): float(t.get("score", 0)) for t in data.get("tests", [])}
        w.writerow([student, *(_fmt(got[c]) if c in got else "" for c in order),
                    _fmt(float(data.get("score", 0))), _fmt(float(data.get("max_score", 0)))])
    return buffer.getvalue()


def late_csv(results: dict[str, dict], penalties: dict[str, Penalty]) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(["student", "submitted_at", "due_date", "late_by_minutes", "penalty_percent", "penalty_points",
                "raw_score", "final_score", "max_score"])
    for student, data in results.items():
        pen = penalties.get(student, ON_TIME)
        raw = float(data.get("score", 0))
        w.writerow([student, pen.submitted_at.isoformat() if pen.submitted_at else "",
                    pen.due_date.isoformat() if pen.due_date else "", round(pen.late_by.total_seconds() / 60),
                    _fmt(pen.percent), _fmt(pen.points(raw)), _fmt(raw), _fmt(raw - pen.points(raw)),
                    _fmt(float(data.get("max_score", 0)))])
    return buffer.getvalue()


# --------------------------------------------------------------------------- orchestration ---
@dataclass
class GradebookOptions:
    assignment: Assignment | None = None  # late policy and column name; None: no penalties
    times: Path | None = None  # CSV of submission times
    roster: Path | None = None  # Canvas gradebook export
    per_exercise: bool = False  # Canvas columns per exercise instead of one total
    canvas: bool = False  # write canvas.csv (also when a roster is given)


def load_results(out: Path, students: list[str] | None = None) -> tuple[dict[str, dict], dict[str, dict]]:
    """The results and status files of ``out`` (every student with a results file, or ``students``)."""
    from .batch import read_results, read_status

    out = Path(out)
    keys = students if students is not None else sorted(p.stem for p in (out / "results").glob("*.json"))
    results, status = {}, {}
    for k in keys:
        data = read_results(out / "results" / f"{k}.json")
        if data is not None:
            results[k] = data
            status[k] = read_status(out / "status" / f"{k}.json") or {"status": "error"}
    return results, status


def charges(assignment: Assignment) -> bool:
    """Whether the assignment's late policy can take anything off (a rate, or a late due date)."""
    policy = assignment.policy
    return bool(policy.per_day or policy.per_hour or assignment.late_due_date)


def penalties_for(students: list[Student], assignment: Assignment, times: Path | None) -> dict[str, Penalty]:
    """Each student's penalty; LateError naming every student without a submission time."""
    table = read_times(times, assignment.timezone) if times else {}
    out, missing = {}, []
    for s in students:
        submitted = table.get(s.key) or s.submitted
        if submitted is None and not charges(assignment):
            out[s.key] = ON_TIME  # a policy that can charge nothing needs no submission times
            continue
        if submitted is None:
            missing.append(s.key)
            continue
        out[s.key] = penalty(assignment, submitted)
    if missing:
        raise LateError(f"no submission time for {len(missing)} student(s): {', '.join(missing)}; give a CSV "
                        "of times (--times, columns student and submitted_at) or Gradescope's metadata")
    unknown = sorted(set(table) - {s.key for s in students})
    if unknown:
        raise LateError(f"{times}: no graded submission named {', '.join(unknown)} (the names are those of "
                        "results/, as batch gives them)")
    return out


def write_class_files(out: Path, opts: GradebookOptions, students: list[str] | None = None) -> list[str]:
    """``cases.csv``, class insight and student reports; with an assignment, ``late.csv``; ``canvas.csv``.

    Raises GradebookError or LateError (after writing what does not depend on the failing input);
    an old ``canvas.csv`` or ``late.csv`` is removed then, so that it cannot be imported by mistake.
    """
    from . import insight

    out = Path(out)
    results, status = load_results(out, students)
    written = []
    write_atomic(out / "cases.csv", cases_csv(results))
    written.append("cases.csv")
    written += insight.write_class(out, results, status)
    assignment = opts.assignment or Assignment()
    try:
        tz = assignment.timezone
        sources = {k: Path(st["source"]) if st.get("source") else None for k, st in status.items()}
        exports: dict = {}
        for folder in {p.parent for p in sources.values() if p is not None}:
            exports.update(gradescope_export(folder, tz))
        people = [identify(k, sources[k], exports, tz) for k in results]
        penalties = penalties_for(people, opts.assignment, opts.times) if opts.assignment else {}
    except LateError as exc:
        _remove(out, "late.csv", "canvas.csv")
        raise GradebookError(f"late penalties: {exc}") from None
    if opts.assignment:
        write_atomic(out / "late.csv", late_csv(results, penalties))
        written.append("late.csv")
    written += insight.write_reports(out, results, status, penalties, assignment)
    if not (opts.canvas or opts.roster):
        return written
    try:
        roster = read_roster(opts.roster) if opts.roster else None
        unmatched = match_roster(people, roster) if roster is not None else []
        if unmatched:
            raise GradebookError(f"{len(unmatched)} submission(s) match no student of the roster {opts.roster}: "
                                 f"{', '.join(unmatched)} (matched by Canvas id, SIS user id, login or e-mail, "
                                 "or name)")
        write_atomic(out / "canvas.csv", canvas_csv(people, results, penalties, assignment, roster, opts.per_exercise))
        written.append("canvas.csv")
    except GradebookError:
        _remove(out, "canvas.csv")
        raise
    return written


def _remove(out: Path, *names: str) -> None:
    for name in names:
        if (out / name).is_file():
            (out / name).unlink()

