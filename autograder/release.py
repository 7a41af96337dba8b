"""What leaves the instructor's copy: the student release and the Gradescope autograder zip.

``release``: the course as students get it. Stubs, book, ``course/``, the autograder without the
reference code (no ``solutions/``, no ``autograder/graded/*/patches.py``) but with the reference's
observations of the public tests as data (``reference_data.json``), so that ``python -m autograder
check`` works there; no hidden tests, no mutants, no recorded notebook outputs. The release is
scanned before it is finished: a line of a graded function's reference body anywhere in it, or
any bytecode, stops the command.

``package gradescope``: the zip Gradescope's autograder takes: ``setup.sh`` and ``run_autograder``
at its root, the autograder with the reference (``solutions/``, which Gradescope's container keeps
away from students) and the hidden tests.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import re
import shutil
import stat
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASE_FILES = ROOT / "release_files"

# paths copied into the student release, relative to the course root
RELEASE_PATHS = ("book", "course", "exercises", "autograder", "tests/course", "conftest.py", "requirements.txt",
                 "pyproject.toml", "scripts/setup.sh", "_config.yml", "_toc.yml", ".gitignore")
# reference code or data that never leaves the instructor's copy, even inside a released folder
INSTRUCTOR_ONLY = ("autograder/graded/*/patches.py", "autograder/reference_data.json")
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", "_build", ".DS_Store"}
SKIPPED_SUFFIXES = {".pyc", ".pyo", ".pt", ".pth"}
MIN_LEAK_CHARS = 25
PLACEHOLDER_REPO, PLACEHOLDER_SHA = "COURSE-ORG/course-grader", "0" * 40

GRADESCOPE_PINS = ("torch", "torchvision", "numpy")
SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu, as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# bubblewrap: the sandbox of the student's code (the grader falls back to process limits without it)
apt-get install -y -q python3 python3-venv python3-pip bubblewrap || apt-get install -y -q python3 python3-venv python3-pip
PYTHON=$(command -v python3.11 || command -v python3)
"$PYTHON" -m venv /autograder/venv
/autograder/venv/bin/python -m pip install -q --upgrade pip
# the pinned versions of the course, CPU builds (the grader needs nothing else)
/autograder/venv/bin/python -m pip install -q --index-url https://download.pytorch.org/whl/cpu \\
    --extra-index-url https://pypi.org/simple -r /autograder/source/requirements-autograder.txt
"""
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: the student's files are in $ROOT/submission, the
# results go to $ROOT/results/results.json. AUTOGRADER_ROOT and AUTOGRADER_PYTHON exist for tests.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
LATE=()  # Gradescope's metadata names the student (per-student hidden inputs); packaged with --assignment,
# the assignment's cases and its late policy, applied to Gradescope's submission time
if [ -f "$ROOT/submission_metadata.json" ]; then
    LATE+=(--metadata "$ROOT/submission_metadata.json")
fi
if [ -f "$ROOT/source/assignment.toml" ]; then
    LATE+=(--assignment "$ROOT/source/assignment.toml")
fi
exec "$PYTHON" -m autograder grade --submission "$ROOT/submission" --out "$ROOT/results/results.json" \\
    --hidden "$ROOT/source/hidden_cases.json" --device cpu --isolation auto "${LATE[@]}"
"""


class ReleaseError(RuntimeError):
    """The release or package cannot be built (or would leak the reference)."""


# ------------------------------------------------------------------------------- leaks -----
def solution_lines(root: Path = ROOT, min_chars: int = MIN_LEAK_CHARS) -> dict[str, str]:
    """Every line (stripped, at least ``min_chars`` long) of the bodies the stubs replace -> its function."""
    sys.path.insert(0, str(root / "tools"))
    try:
        from make_stubs import TODO, _functions
    finally:
        sys.path.remove(str(root / "tools"))
    lines: dict[str, str] = {}
    for exercise, names in TODO.items():
        source = (root / "solutions" / f"{exercise}.py").read_text()
        stub_path = root / "exercises" / f"{exercise}.py"
        given = {line.strip() for line in stub_path.read_text().splitlines()} if stub_path.is_file() else set()
        text = source.splitlines()
        for name, node in _functions(ast.parse(source)):
            if name not in names:
                continue
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            for line in text[body[0].lineno - 1: body[-1].end_lineno]:
                if len(line.strip()) >= min_chars and line.strip() not in given:  # the stub gives it anyway
                    lines[line.strip()] = f"{exercise}.{name}"
    return lines


def find_leaks(folder: Path, lines: dict[str, str]) -> list[str]:
    """Files of ``folder`` that hold bytecode or a line of the reference (as bytes, zips included)."""
    found = []
    needles = {line.encode(): where for line, where in lines.items()}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_dir():
            if path.name == "__pycache__":
                found.append(f"{rel}: a bytecode folder")
            continue
        if path.suffix in (".pyc", ".pyo"):
            found.append(f"{rel}: bytecode")
            continue
        blobs = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                blobs += [z.read(i) for i in z.infolist() if not i.is_dir()]
        for blob in blobs:
            for needle, where in needles.items():
                if needle in blob:
                    found.append(f"{rel}: a line of {where}: {needle.decode()!r}")
    return found


# ----------------------------------------------------------------------------- release -----
def _skipped(rel: Path) -> bool:
    return (any(part in SKIPPED_PARTS for part in rel.parts) or rel.suffix in SKIPPED_SUFFIXES
            or any(fnmatch.fnmatch(rel.as_posix(), pattern) for pattern in INSTRUCTOR_ONLY))


def _not_assigned(rel: Path, left_out: set[str]) -> bool:
    """A file of an exercise that the assignment leaves out: its stub, its solution, its grading package."""
    parts = rel.parts
    return ((len(parts) == 2 and parts[0] in ("exercises", "solutions") and rel.stem in left_out and rel.suffix == ".py")
            or (len(parts) >= 3 and parts[:2] == ("autograder", "graded") and parts[2] in left_out))


def _left_out(assignment: Path | None) -> tuple[set[str], object]:
    """The exercises an assignment file leaves out, and its selection (None: every exercise)."""
    from . import graded
    from .assignment import load_selection

    if assignment is None:
        return set(), None
    selection = load_selection(assignment)  # the whole file is checked now (a ValueError when malformed)
    if selection is None:
        return set(), None
    return set(graded.names()) - set(selection.exercises), selection


def _copy_tree(src_root: Path, rel: str, dst_root: Path, left_out: set[str] = frozenset()) -> None:
    src = src_root / rel
    paths = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
    for path in paths:
        r = path.relative_to(src_root)
        if path.is_symlink() or _skipped(r) or _not_assigned(r, left_out):
            continue
        if r.parts[:2] == ("tests", "course") and path.suffix == ".py" and "solutions" in path.read_text():
            continue  # a test that imports the reference cannot run in the student's copy
        target = dst_root / r
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _check_stubs(root: Path) -> None:
    sys.path.insert(0, str(root / "tools"))
    try:
        from make_stubs import TODO, make_stub
    finally:
        sys.path.remove(str(root / "tools"))
    for exercise in TODO:
        stub = make_stub(exercise, (root / "solutions" / f"{exercise}.py").read_text())
        if (root / "exercises" / f"{exercise}.py").read_text() != stub:
            raise ReleaseError(f"exercises/{exercise}.py is not the stub of the current solution: "
                               "run python tools/make_stubs.py first")


def student_readme(root: Path = ROOT) -> str:
    """The student's README: the course's title and intro, how to set up, and its "For students" section."""
    text = (root / "README.md").read_text()
    title = re.search(r"^# .*$", text, re.M)
    intro = text[title.start():].split("\n\n")[0:2] if title else ["# The course"]
    students = re.search(r"^## For students\n(.*?)(?=^## )", text, re.M | re.S)
    setup = ("## Setting up\n\n```sh\n"
             "bash scripts/setup.sh                       # creates .venv from requirements.txt\n"
             ".venv/bin/jupyter-book build .              # builds the book into _build/html\n"
             ".venv/bin/python -m autograder check adam   # one exercise's tests (or: .venv/bin/python -m pytest -m adam)\n"
             "source .venv/bin/activate                   # or activate .venv once per terminal, then from any folder:\n"
             "python -m autograder check adam\n```\n")
    return ("\n\n".join(intro) + "\n\n" + setup + "\n## For students\n" + (students.group(1) if students else "") +
            "\n## Grading\n\nThe score of `python -m autograder check` and of the Actions run on each push is "
            "feedback; your grade comes from the instructor's grader (with more, hidden tests).\n")


def _workflow(grader_repo: str, grader_sha: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", grader_repo):
        raise ReleaseError(f"--grader-repo must be OWNER/NAME, not {grader_repo!r}")
    if not re.fullmatch(r"[0-9a-f]{40}", grader_sha):
        raise ReleaseError(f"--grader-sha must be a full 40-digit commit SHA (a pin, not a branch), not {grader_sha!r}")
    text = (RELEASE_FILES / ".github" / "workflows" / "classroom.yml").read_text()
    return text.replace("__GRADER_REPOSITORY__", grader_repo).replace("__GRADER_SHA__", grader_sha)


def _hidden_cases(root: Path) -> list:
    from .cases import load_hidden

    path = root / "instructor" / "hidden_cases.json"
    return load_hidden(path) if path.is_file() else []


def build_release(out: Path, root: Path = ROOT, grader_repo: str = PLACEHOLDER_REPO,
                  grader_sha: str = PLACEHOLDER_SHA, force: bool = False, assignment: Path | None = None) -> list[str]:
    """Write the student release into ``out``; return notes. Raises :class:`ReleaseError` (ValueError for
    a malformed ``assignment``). With an assignment file that selects exercises, the release holds only
    those (stubs, grading packages, reference observations of the selected cases) and the file itself as
    ``assignment.toml``, which ``check`` there applies."""
    from . import reference_data
    from .observing import build_reference_data
    from .cases import PUBLIC

    if not (root / "solutions").is_dir() or reference_data.available():
        raise ReleaseError("a release is built from the instructor's copy (with solutions/), not from a release")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ReleaseError(f"{out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    _check_stubs(root)
    workflow = _workflow(grader_repo, grader_sha)
    left_out, selection = _left_out(assignment)
    public = list(PUBLIC)
    if selection is not None:
        selection.check_patterns(public + _hidden_cases(root))
        public = selection.apply(public)
    out.mkdir(parents=True, exist_ok=True)
    for rel in RELEASE_PATHS:
        if (root / rel).exists():
            _copy_tree(root, rel, out, left_out)
    if selection is not None:
        shutil.copyfile(assignment, out / "assignment.toml")
    for path in sorted(p for p in RELEASE_FILES.rglob("*") if p.is_file()):
        rel = path.relative_to(RELEASE_FILES)
        if not _skipped(rel) and rel.as_posix() != ".github/workflows/classroom.yml":
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out / rel)
    (out / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (out / ".github" / "workflows" / "classroom.yml").write_text(workflow)
    (out / "README.md").write_text(student_readme(root))
    pyproject = out / "pyproject.toml"
    if pyproject.exists():  # the notebooks' checked outputs stay with the instructor: pytest runs tests/ only
        pyproject.write_text(pyproject.read_text().replace('testpaths = ["tests", "book"]', 'testpaths = ["tests"]'))
    size = reference_data.write(out / "autograder" / "reference_data.json", build_reference_data(public))
    leaks = find_leaks(out, solution_lines(root))
    if leaks:
        raise ReleaseError("the release would contain reference code; nothing was published:\n  " + "\n  ".join(leaks))
    notes = [f"wrote the student release to {out}",
             f"reference observations of {len(public)} public tests: autograder/reference_data.json ({size / 1e6:.1f} MB)"]
    if selection is not None:
        notes.append(f"the assignment's exercises: {', '.join(selection.exercises)} (left out: "
                     f"{', '.join(sorted(left_out)) or 'none'}); check applies its assignment.toml")
    if grader_sha == PLACEHOLDER_SHA:
        notes.append("the classroom workflow pins a placeholder grader: pass --grader-repo and --grader-sha")
    return notes


# ---------------------------------------------------------------------------- gradescope -----
def _pins(root: Path) -> str:
    wanted = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        name = line.split("==")[0].strip().lower()
        if "==" in line and name in GRADESCOPE_PINS:
            wanted[name] = line.strip()
    missing = set(GRADESCOPE_PINS) - set(wanted)
    if missing:
        raise ReleaseError(f"requirements.txt pins no {', '.join(sorted(missing))}")
    return "".join(wanted[n] + "\n" for n in GRADESCOPE_PINS)


def _zip_add(z: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible: the same inputs, the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    z.writestr(info, data)


def build_gradescope(out: Path, root: Path = ROOT, hidden: Path | None = None,
                     assignment: Path | None = None) -> list[str]:
    """Write Gradescope's autograder zip to ``out``; return the names it holds. With ``assignment``,
    every run applies its late policy to the submission time in Gradescope's metadata."""
    hidden = Path(hidden) if hidden else root / "instructor" / "hidden_cases.json"
    if not (root / "solutions").is_dir():
        raise ReleaseError("the Gradescope autograder needs the reference: build it from the instructor's copy")
    if not hidden.is_file():
        raise ReleaseError(f"--hidden {hidden}: no such file")
    from .cases import load_hidden

    hidden_cases = load_hidden(hidden)  # refuse a malformed file now, not on the first submission
    left_out, selection = _left_out(assignment)
    hidden_bytes = hidden.read_bytes()
    if selection is not None:
        from .cases import PUBLIC

        selection.check_patterns(list(PUBLIC) + hidden_cases)
        import json

        kept = [c for c in json.loads(hidden_bytes).get("cases", []) if c.get("exercise") not in left_out]
        hidden_bytes = (json.dumps({"cases": kept}, indent=1) + "\n").encode()
    files: dict[str, tuple[bytes, bool]] = {
        "setup.sh": (SETUP_SH.encode(), True),
        "run_autograder": (RUN_AUTOGRADER.encode(), True),
        "requirements-autograder.txt": (_pins(root).encode(), False),
        "hidden_cases.json": (hidden_bytes, False),
    }
    if assignment is not None:
        files["assignment.toml"] = (Path(assignment).read_bytes(), False)
    for package in ("autograder", "solutions"):
        for path in sorted((root / package).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not path.is_symlink() and not _skipped(rel.relative_to(package)) \
                    and path.name != "reference_data.json" and not _not_assigned(rel, left_out):
                files[rel.as_posix()] = (path.read_bytes(), False)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in sorted(files):
            _zip_add(z, name, *files[name])
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(out)
    return sorted(files)

