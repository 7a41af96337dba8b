"""The student's side of the process boundary: import the submission, run the probes, write JSON.

Run by the sandbox as ``python -I -S autograder/inside/harness.py REQUEST.json`` from a copy of
this package and of one exercise's ``probes.py`` (nothing else of the grader), with a one-line
secret token on standard input and the write end of a pipe (``channel_fd`` in the request) for the
results. It imports ``codec``, the exercise's probes (``probes_module`` in the request), NumPy and
torch, and says so (``__harness__``) before the student's module is imported: a process that ends
without that marker failed for the grader's environment, not for the student's code. It then
writes one line per case, the token then a JSON record, as soon as the case finishes, so that a
crash or a hang loses only the cases not yet run. The token is read before any student code
runs and kept only in local variables, so lines the student's code writes into the pipe are
discarded unread. (Code that walked this process's frames could read it: the static check
refuses frame introspection, and the README's "How a submission is kept honest" says what that
leaves to the static check alone.)
Whatever this process writes is only an observation: the grader decides, in its own process.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback


def _student_traceback(exc: BaseException, submission: str) -> str:
    """The traceback lines that point into the student's files (the grader's frames say nothing useful)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(submission)]
    lines = traceback.format_list(frames[-5:])
    text = "".join(lines) + "".join(traceback.format_exception_only(type(exc), exc))
    return text.replace(submission + os.sep, "")


def _prepare(request: dict) -> None:
    """The import path and the temporary folder of the request (the grader's scratch folder)."""
    # the submission, then the root of the copied grader tree (harness/autograder/inside/harness.py)
    sys.path[:0] = [request["submission"], os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))]
    sys.path.extend(p for p in request.get("site_dirs", []) if p not in sys.path)
    sys.dont_write_bytecode = True
    if request.get("tmpdir"):  # the grader's scratch folder, removed after the run (TMPDIR says the same)
        import tempfile

        tempfile.tempdir = request["tmpdir"]


CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyw", ".so", ".pyd", ".zip", ".egg", ".whl", ".pth")


def _guard_code(request: dict) -> None:
    """From here on, this process runs no code written at run time: an audit hook refuses to open a
    Python file, a compiled module, a shared library or an archive under a writable folder (the job's
    working folder and TMPDIR, /tmp, /dev/shm, /var/tmp) unless it lies where code is meant to come
    from (the submission's read-only copy, the harness, the Python installation). Without it a
    submission could write a module that the static check never read, and import it. Audit hooks
    cannot be removed, and a forked process keeps them.
    """
    def real(path: str) -> str:
        return os.path.realpath(path) + os.sep

    tmpdir = request.get("tmpdir") or ""
    writable = tuple(real(p) for p in {os.getcwd(), tmpdir, os.path.dirname(tmpdir), "/tmp", "/dev/shm", "/var/tmp"}
                     if p)
    harness_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    allowed = tuple(real(p) for p in {request["submission"], harness_root, sys.prefix, sys.base_prefix,
                                      *request.get("site_dirs", [])})
    def hook(event: str, args: tuple) -> None:  # realpath and exists open nothing: no event from here
        if event not in ("open", "ctypes.dlopen"):
            return
        path = args[0] if args else None
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str) or not path.endswith(CODE_SUFFIXES) and ".so." not in path:
            return
        where = real(path)[:-1]
        there = os.path.exists(where)  # a file that is not there fails as Python says, FileNotFoundError
        if there and where.startswith(writable) and not where.startswith(allowed):
            raise PermissionError(f"code written at run time may not be run: {path} (your code is the files "
                                  "you submit: write every helper into exercises/ and submit it)")

    sys.addaudithook(hook)


def main() -> int:
    """The cold path: a fresh interpreter for one exercise, the token on standard input."""
    token = sys.stdin.readline().strip()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # nothing more to read from the grader
    os.close(devnull)
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    _prepare(request)
    return _run(request, token, os.fdopen(request["channel_fd"], "w", encoding="utf-8"))


def serve(request_path: str, token_fd: int, channel_fd: int) -> int:
    """The warm path (``zygote.py``): NumPy and torch are imported already; the token comes on a pipe."""
    with os.fdopen(token_fd, "r", encoding="utf-8") as f:
        token = f.readline().strip()
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    _prepare(request)
    return _run(request, token, os.fdopen(channel_fd, "w", encoding="utf-8"))


def _run(request: dict, token: str, out) -> int:
    submission = request["submission"]
    try:  # the grader's own needs, before any student code: a failure here is the environment's
        import importlib

        import numpy  # noqa: F401
        import torch

        from autograder.inside import codec, probing

        importlib.import_module(request["probes_module"])  # registers the exercise's probes

        if request.get("threads"):
            torch.set_num_threads(int(request["threads"]))
    except BaseException as exc:  # noqa: BLE001 - report it to the grader as plain JSON (codec may be what failed)
        out.write(token + json.dumps({"id": "__harness__", "ok": False, "error": type(exc).__name__,
                                      "message": str(exc)[:1000], "python": sys.executable}) + "\n")
        out.flush()
        return 3

    def emit(record: dict) -> None:
        out.write(token + codec.dumps(record) + "\n")  # the token first: the grader reads nothing else
        out.flush()

    emit({"id": "__harness__", "ok": True})  # from here on, whatever goes wrong is the student's code
    _guard_code(request)
    exercise = request["exercise"]
    start = time.perf_counter()
    try:
        import importlib

        module = importlib.import_module(f"exercises.{exercise}")
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends too: report, do not die
        emit({"id": "__import__", "ok": False, "error": type(exc).__name__,
              "message": _student_traceback(exc, submission)})
        return 0
    emit({"id": "__import__", "ok": True, "seconds": time.perf_counter() - start})

    for case in request["cases"]:
        start = time.perf_counter()
        try:
            value = probing.PROBES[case["probe"]](module, **case["args"])
            record = {"id": case["id"], "ok": True, "value": value}
        except probing.StudentError as exc:
            record = {"id": case["id"], "ok": False, "error": "WrongOutput", "message": str(exc)}
        except BaseException as exc:  # noqa: BLE001
            kind = type(exc).__name__
            message = _student_traceback(exc, submission)
            if isinstance(exc, SystemExit):
                message = f"the code called sys.exit({exc.code!r}) (or raised SystemExit)"
            record = {"id": case["id"], "ok": False, "error": kind, "message": message}
        record["seconds"] = time.perf_counter() - start
        try:
            emit(record)
        except Exception as exc:  # noqa: BLE001 - e.g. a value that cannot be exchanged
            emit({"id": case["id"], "ok": False, "error": "WrongOutput",
                  "message": f"the result could not be read back: {exc}", "seconds": record["seconds"]})
    emit({"id": "__done__", "ok": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
