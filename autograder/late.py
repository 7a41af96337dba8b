"""Late penalties: the assignment file, submission times, and what a late submission loses.

The assignment file (TOML, ``instructor/assignment.toml`` is an example) names the assignment, its
due dates and its late policy::

    [assignment]
    title = "Programming assignment 1"
    canvas_column = "Programming assignment 1 (48213)"  # the gradebook column; default: title
    due_date = "2025-03-07T23:59:00-08:00"              # default: Gradescope's metadata
    late_due_date = "2025-03-10T23:59:00-08:00"         # nothing is accepted after it
    timezone = "America/Los_Angeles"                    # for times written without an offset

    [late_policy]
    per_day = 10        # percent of the points earned, per started day after the due date
    per_hour = 0        # percent per started hour
    cap = 30            # at most this percent in all
    grace_minutes = 15  # up to this late counts as on time

Lateness is counted from the due date (not from the end of the grace period): 16 minutes late
with 15 minutes of grace is one started day. A submission after the late due date earns nothing.
Submission times come from Gradescope's ``submission_metadata.json`` (``created_at``; its
``assignment.due_date`` and ``late_due_date`` unless the file sets them) or from a CSV with the
columns ``student`` and ``submitted_at`` (ISO 8601).
"""

from __future__ import annotations

import csv
import json
import math
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path


class LateError(ValueError):
    """An assignment file, a metadata file or a CSV of times that cannot be used; says which and why."""


@dataclass(frozen=True)
class LatePolicy:
    per_day: float = 0.0
    per_hour: float = 0.0
    cap: float = 100.0
    grace_minutes: float = 0.0


@dataclass(frozen=True)
class Assignment:
    title: str = "Autograder"
    canvas_column: str | None = None
    due_date: datetime | None = None
    late_due_date: datetime | None = None
    timezone: tzinfo | None = None
    policy: LatePolicy = field(default_factory=LatePolicy)

    @property
    def column(self) -> str:
        return self.canvas_column or self.title


@dataclass(frozen=True)
class Submitted:
    """When a submission was made, and the due dates its source gave (Gradescope's metadata)."""
    at: datetime
    due_date: datetime | None = None
    late_due_date: datetime | None = None
    source: str = ""
    users: tuple[dict, ...] = ()  # Gradescope's users: name, email, id, sid


@dataclass(frozen=True)
class Penalty:
    percent: float  # of the points earned
    late_by: timedelta  # zero when on time
    submitted_at: datetime | None
    due_date: datetime | None
    reason: str  # one sentence for the student

    def points(self, score: float) -> float:
        return round(score * self.percent / 100, 2)


ON_TIME = Penalty(0.0, timedelta(0), None, None, "")


# --------------------------------------------------------------------------------- times ---
def parse_time(text, what: str, tz: tzinfo | None = None) -> datetime:
    """An ISO 8601 time with its UTC offset (or ``tz`` when it has none); LateError otherwise."""
    if isinstance(text, datetime):
        value = text
    else:
        if not isinstance(text, str) or not text.strip():
            raise LateError(f"{what}: no time given")
        raw = text.strip().replace(" ", "T", 1) if "T" not in text else text.strip()
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise LateError(f"{what}: {text!r} is not an ISO 8601 time such as 2025-03-07T23:59:00-08:00") from None
    if value.tzinfo is None:
        if tz is None:
            raise LateError(f"{what}: {text!r} has no UTC offset; add one (e.g. -08:00) or set "
                            "[assignment] timezone in the assignment file")
        value = value.replace(tzinfo=tz)
    return value


def load_assignment(path: Path) -> Assignment:
    """Read and check an assignment file; LateError names the file and the field at fault."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LateError(f"{path}: cannot read the assignment file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise LateError(f"{path}: not a TOML file ({exc})") from None
    unknown = set(data) - {"assignment", "late_policy", "exercise"}
    if unknown:
        raise LateError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}; the sections are "
                        "[assignment], [late_policy] and [[exercise]] (autograder/assignment.py)")
    a, p = data.get("assignment", {}), data.get("late_policy", {})
    for section, given, known in (("assignment", a, {"title", "canvas_column", "due_date", "late_due_date", "timezone"}),
                                  ("late_policy", p, {"per_day", "per_hour", "cap", "grace_minutes"})):
        extra = set(given) - known
        if extra:
            raise LateError(f"{path}: unknown key(s) {', '.join(sorted(extra))} in [{section}]; "
                            f"known: {', '.join(sorted(known))}")
    tz = None
    if "timezone" in a:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            tz = ZoneInfo(str(a["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise LateError(f"{path}: [assignment] timezone {a['timezone']!r} is not a time zone name "
                            "such as America/Los_Angeles") from None
    numbers = {}
    for key, default in (("per_day", 0.0), ("per_hour", 0.0), ("cap", 100.0), ("grace_minutes", 0.0)):
        value = p.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise LateError(f"{path}: [late_policy] {key} must be a number >= 0, got {value!r}")
        numbers[key] = float(value)
    if numbers["cap"] > 100:
        raise LateError(f"{path}: [late_policy] cap is a percentage (at most 100), got {numbers['cap']:g}")
    due = parse_time(a["due_date"], f"{path}: [assignment] due_date", tz) if "due_date" in a else None
    late_due = parse_time(a["late_due_date"], f"{path}: [assignment] late_due_date", tz) if "late_due_date" in a else None
    if due and late_due and late_due < due:
        raise LateError(f"{path}: [assignment] late_due_date is before due_date")
    return Assignment(str(a.get("title", "Autograder")), a.get("canvas_column"), due, late_due, tz, LatePolicy(**numbers))


def read_metadata(path: Path, tz: tzinfo | None = None) -> Submitted:
    """Gradescope's ``submission_metadata.json``: ``created_at``, the assignment's due dates, the users."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LateError(f"{path}: cannot read Gradescope's metadata ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise LateError(f"{path}: Gradescope's metadata is not JSON ({exc})") from None
    if not isinstance(data, dict) or "created_at" not in data:
        raise LateError(f"{path}: Gradescope's metadata has no created_at (the submission time)")
    assignment = data.get("assignment") or {}
    if not isinstance(assignment, dict):
        raise LateError(f"{path}: 'assignment' in Gradescope's metadata is not an object")
    at = parse_time(data["created_at"], f"{path}: created_at", tz)
    due = parse_time(assignment["due_date"], f"{path}: assignment.due_date", tz) if assignment.get("due_date") else None
    late = (parse_time(assignment["late_due_date"], f"{path}: assignment.late_due_date", tz)
            if assignment.get("late_due_date") else None)
    users = data.get("users") or []
    if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
        raise LateError(f"{path}: 'users' in Gradescope's metadata is not a list of objects")
    return Submitted(at, due, late, str(path), tuple(users))


def read_times(path: Path, tz: tzinfo | None = None) -> dict[str, Submitted]:
    """A CSV of submission times: columns ``student`` (the name ``batch`` gives) and ``submitted_at``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LateError(f"{path}: cannot read the CSV of submission times ({exc.strerror or exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "student" not in header or "submitted_at" not in header:
        raise LateError(f"{path}: the CSV of submission times needs the columns student and submitted_at "
                        f"(found: {', '.join(reader.fieldnames or []) or 'no header'})")
    out: dict[str, Submitted] = {}
    for n, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not row["student"]:
            raise LateError(f"{path}, line {n}: no student")
        if row["student"] in out:
            raise LateError(f"{path}, line {n}: {row['student']} appears twice")
        out[row["student"]] = Submitted(parse_time(row["submitted_at"], f"{path}, line {n}", tz), source=str(path))
    return out


# ------------------------------------------------------------------------------- penalty ---
def _duration(d: timedelta) -> str:
    minutes = math.ceil(d.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' * (days != 1)}"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) or "0 min"


def penalty(assignment: Assignment, submitted: Submitted) -> Penalty:
    """What ``assignment``'s policy takes from a submission made at ``submitted.at``."""
    due = assignment.due_date or submitted.due_date
    late_due = assignment.late_due_date or submitted.late_due_date
    if due is None:
        raise LateError("no due date: set [assignment] due_date in the assignment file "
                        "(Gradescope's metadata gave none)")
    late_by = submitted.at - due
    stamp = submitted.at.isoformat(timespec="minutes")
    if late_by <= timedelta(minutes=assignment.policy.grace_minutes):
        return Penalty(0.0, timedelta(0), submitted.at, due, "")
    if late_due is not None and submitted.at > late_due:
        return Penalty(100.0, late_by, submitted.at, due,
                       f"submitted {stamp}, after the late due date {late_due.isoformat(timespec='minutes')}: "
                       "no points")
    hours = math.ceil(late_by.total_seconds() / 3600)
    days = math.ceil(late_by.total_seconds() / 86400)
    p = assignment.policy
    percent = min(p.cap, p.per_day * days + p.per_hour * hours)
    rule = " + ".join([f"{p.per_day:g}% x {days} started day(s)"] * bool(p.per_day)
                      + [f"{p.per_hour:g}% x {hours} started hour(s)"] * bool(p.per_hour)) or "no penalty per day or hour"
    capped = f", capped at {p.cap:g}%" if p.per_day * days + p.per_hour * hours > p.cap else ""
    return Penalty(percent, late_by, submitted.at, due,
                   f"submitted {stamp}, {_duration(late_by)} after the due date {due.isoformat(timespec='minutes')}: "
                   f"late penalty {percent:g}% of the points earned ({rule}{capped})")


def apply(results: dict, pen: Penalty) -> dict:
    """Gradescope results with the penalty taken off ``score`` and said first in ``output``.

    The tests keep their own scores (what the code earned); Gradescope takes the top-level
    ``score`` as the submission's score when it is given, and keeps ``extra_data`` for the instructor.
    """
    if not pen.reason:
        return results
    out = dict(results)
    raw = float(results.get("score", 0))
    lost = pen.points(raw)
    out["score"] = round(raw - lost, 4)
    note = f"Late: {pen.reason}: {raw:g} - {lost:g} = {out['score']:g} / {float(results.get('max_score', 0)):g} points."
    out["output"] = note + ("\n" + results["output"] if results.get("output") else "")
    out["extra_data"] = {**(results.get("extra_data") or {}), "late_penalty": {
                           "percent": pen.percent, "points": lost, "raw_score": raw,
                           "late_by_minutes": math.ceil(pen.late_by.total_seconds() / 60),
                           "submitted_at": pen.submitted_at.isoformat() if pen.submitted_at else None,
                           "due_date": pen.due_date.isoformat() if pen.due_date else None}}
    return out
