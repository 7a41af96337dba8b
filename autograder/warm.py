"""The grader's side of the warm interpreter (``inside/zygote.py``): start it once, run many jobs.

Importing torch in every exercise's sandboxed process took most of a grading's time. A
:class:`Zygote` is one sandboxed interpreter that has imported NumPy, torch and what the exercises
need, and forks a fresh process per job; :meth:`Zygote.run` has the contract of
:func:`sandbox.run` (a :class:`sandbox.RunResult`, never an exception for what the student's code
does). It is used where the fork can be isolated as well as a fresh sandbox is: under bubblewrap
with a user namespace, where each job gets its own PID, mount, network and IPC namespaces, a fresh
``/tmp``, no view of the other jobs and no capabilities (the zygote's docstring lists it all).
Elsewhere (``--isolation process``, or a bubblewrap that cannot give a user namespace) the grader
keeps the cold path: one fresh interpreter per exercise.

A zygote serves jobs from several threads at once (one per exercise of a submission, and one per
batch worker). Jobs live in folders under :attr:`Zygote.jobs`; each job sees only its own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sandbox
from .environment import GraderEnvironmentError

HERE = Path(__file__).resolve().parent
INSIDE_FILES = ("__init__.py", "harness.py", "codec.py", "probing.py", "zygote.py")
START_TIMEOUT = 120.0  # seconds for the zygote to import torch and say it is ready
TMP_MB = 256  # the size of each job's fresh /tmp and /dev/shm
# a check's server ends after this many seconds without a client (AUTOGRADER_WARM_IDLE overrides it)
IDLE_S = float(os.environ.get("AUTOGRADER_WARM_IDLE", 600))


class ZygoteUnavailable(Exception):
    """The warm interpreter cannot be used here; the grader falls back to one process per exercise."""


@dataclass
class _Pending:
    event: threading.Event
    reply: dict | None = None


def _server_home() -> Path:
    """This user's folder of check servers: created private, refused if anyone else could write to it."""
    base = os.environ.get("TMPDIR") or "/tmp"
    if len(base) > 40:  # a Unix socket's path holds at most 107 bytes
        base = "/tmp"
    home = Path(base) / f"autograder-warm-{os.getuid()}"
    home.mkdir(mode=0o700, exist_ok=True)
    info = home.lstat()
    if home.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ZygoteUnavailable(f"{home} is not a private folder of this user")
    return home


def _sweep(home: Path) -> None:
    """Remove what ended processes left in ``home``: the folders of servers that ended (no socket, and
    no starter holds their lock) and of notebook kernels that are gone (killed before their exit hook)."""
    import fcntl

    for entry in home.iterdir():
        name = entry.name
        if name.startswith("kernel-") and entry.is_dir():
            pid = name.split("-")[1]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                sandbox.remove_tree(entry)
        elif name.endswith(".lock") and not (home / name[:-5] / "sock").exists():
            try:
                with open(entry, "a") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    sandbox.remove_tree(home / name[:-5])
                    entry.unlink()
            except OSError:
                continue  # a check is starting that server now


def _fingerprint(exercises, hide: list[Path], warm: list[str], cuda: bool) -> str:
    """What decides a server's behaviour: a server is reused only when all of it is the same."""
    import hashlib

    from .environment import library_versions

    digest = hashlib.sha256()
    for part in (os.path.abspath(sys.executable), sys.version, sorted(str(p.resolve()) for p in hide), warm, cuda,
                 sorted(exercises)):
        digest.update(repr(part).encode() + b"\0")
    digest.update(library_versions().encode())
    for path in [*(HERE / "inside" / n for n in INSIDE_FILES), *(HERE / "graded" / e / "probes.py" for e in sorted(exercises))]:
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def write_harness(root: Path, exercises: list[str]) -> None:
    """A copy of ``autograder/inside`` and of the exercises' probes: all the grader code a sandbox holds
    (the zygote's, for every exercise it serves; a cold sandbox's, for its one exercise)."""
    (root / "autograder" / "inside").mkdir(parents=True)
    (root / "autograder" / "__init__.py").write_text("")
    (root / "autograder" / "graded").mkdir()
    (root / "autograder" / "graded" / "__init__.py").write_text("")
    for name in INSIDE_FILES:
        shutil.copy(HERE / "inside" / name, root / "autograder" / "inside" / name)
    for exercise in exercises:
        folder = root / "autograder" / "graded" / exercise
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        shutil.copy(HERE / "graded" / exercise / "probes.py", folder / "probes.py")


class Zygote:
    """One warm, sandboxed interpreter and its jobs folder. Use as a context manager, or call :meth:`close`.

    ``server=False``: this process's own zygote, ended by :meth:`close` (and with this process).
    ``server=True`` (``check``): a zygote shared by every ``check`` of this course and interpreter,
    found by a fingerprint of what decides its behaviour (the interpreter, the library versions, the
    sandboxed code, the hidden folders), started by the first and ending after ``idle_s`` seconds
    with no client; :meth:`close` only disconnects.
    """

    def __init__(self, exercises: list[str], hide: list[Path], warm: list[str] = (), cuda: bool = False,
                 start_timeout: float = START_TIMEOUT, server: bool = False, idle_s: float | None = None,
                 later: list[str] = (), folder: Path | None = None) -> None:
        if not sandbox.bwrap_available():
            raise ZygoteUnavailable("bubblewrap is not available")
        self.exercises = tuple(exercises)
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._counter = 0
        self._closed = False
        self._owned = not server
        self.died: str | None = None
        self.server = server
        self.cuda = cuda
        try:
            if server:
                self._connect_or_start(hide, list(warm), cuda, start_timeout, IDLE_S if idle_s is None else idle_s)
            else:
                self.root = (Path(tempfile.mkdtemp(prefix="autograder-warm-")) if folder is None
                             else Path(tempfile.mkdtemp(prefix=f"kernel-{os.getpid()}-", dir=folder)))
                self._layout(list(exercises))
                self._start(hide, list(warm), cuda, start_timeout, list(later))
        except BaseException:
            self.close()
            raise

    def _layout(self, exercises: list[str]) -> None:
        self.jobs = self.root / "jobs"
        self.harness = self.root / "harness"
        self.jobs.mkdir()
        write_harness(self.harness, exercises)
        os.chmod(self.root, 0o755)

    # ----------------------------------------------------------------------------- start ---
    def _config(self, warm: list[str], keep: list[Path], **more) -> dict:
        return {
            "harness_root": str(self.harness), "site_dirs": sandbox.site_dirs(), "warm": warm, "mode": "namespaces",
            "private_root": str(self.root),
            # what must stay visible to a job though it lies under /tmp or in the zygote's folder
            "rebind": [[str(p), "ro"] for p in [*keep, self.harness]], **more,
        }

    def _command(self, hide: list[Path], keep: list[Path], cuda: bool, server: bool) -> list[str]:
        return self._bwrap_args(hide, keep, cuda, server) + [
            os.path.abspath(sys.executable), "-I", "-S", str(self.harness / "autograder" / "inside" / "zygote.py"),
            str(self.root / "config.json")]

    def _start(self, hide: list[Path], warm: list[str], cuda: bool, start_timeout: float, later: list[str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        keep = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
        (self.root / "config.json").write_text(json.dumps(self._config(warm, keep, control_fd=theirs.fileno(),
                                                                       warm_later=later)))
        self._log = open(self.root / "zygote.log", "wb")
        try:
            self._proc = subprocess.Popen(self._command(hide, keep, cuda, False), cwd=self.root,
                                          env=sandbox.clean_env(self.root, 1, self.root), stdin=subprocess.DEVNULL,
                                          stdout=self._log, stderr=subprocess.STDOUT, pass_fds=(theirs.fileno(),),
                                          start_new_session=True)
        finally:
            theirs.close()
        with sandbox._active_lock:  # a cold sandbox's sweep in this process must not take it for a leftover
            sandbox._active.add(self._proc.pid)
        self._handshake(start_timeout)

    def _handshake(self, timeout: float) -> None:
        self._control.settimeout(timeout)
        try:
            ready = json.loads(self._control.recv(1 << 16) or b"null")
        except (OSError, ValueError):
            ready = None
        self._control.settimeout(None)
        if not isinstance(ready, dict) or not ready.get("ok"):
            detail = (f"{ready.get('error')}: {ready.get('message')}" if isinstance(ready, dict)
                      else self._log_tail() or "it ended before it was ready")
            raise ZygoteUnavailable(f"the warm interpreter could not start ({detail})")
        self.threads = int(ready.get("threads", 1))
        self._reader = threading.Thread(target=self._read, daemon=True, name="zygote-reader")
        self._reader.start()

    def _connect_or_start(self, hide: list[Path], warm: list[str], cuda: bool, start_timeout: float,
                          idle_s: float) -> None:
        """Connect to the running server of this fingerprint, or start it (one starter at a time: a lock file)."""
        import fcntl

        keep = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
        home = _server_home()
        self.root = home / _fingerprint(self.exercises, hide, warm, cuda)
        self.jobs, self.harness = self.root / "jobs", self.root / "harness"
        address = str(self.root / "sock")
        _sweep(home)
        with open(home / f"{self.root.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._connect(address):
                return
            sandbox.remove_tree(self.root)  # a server that ended, or never started
            self.root.mkdir(mode=0o700)
            self._layout(list(self.exercises))
            # the server says it is ready once torch is imported, and imports the rest while it waits
            (self.root / "config.json").write_text(json.dumps(self._config([], keep, listen=address, idle_s=idle_s,
                                                                           warm_later=warm)))
            with open(self.root / "zygote.log", "wb") as log:
                proc = subprocess.Popen(self._command(hide, keep, cuda, True), cwd=self.root,
                                        env=sandbox.clean_env(self.root, 1, self.root), stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            with sandbox._active_lock:  # it outlives this process; never a leftover of its sandboxes
                sandbox._active.add(proc.pid)
            deadline = time.monotonic() + start_timeout
            while time.monotonic() < deadline:
                if self._connect(address):
                    return
                if proc.poll() is not None:
                    break
                time.sleep(0.02)
            proc.kill()
            raise ZygoteUnavailable(f"the warm interpreter could not start ({self._log_tail() or 'no answer'})")

    def _connect(self, address: str) -> bool:
        if not os.path.exists(address):
            return False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            return False
        self._control = sock
        try:  # a live server answers at once (or after the import it is in the middle of)
            self._handshake(20.0)
        except ZygoteUnavailable:
            sock.close()
            return False
        return True

    def _bwrap_args(self, hide: list[Path], keep: list[Path], cuda: bool, server: bool = False) -> list[str]:
        """The zygote's sandbox: bubblewrap's, plus a user namespace with capabilities for making the jobs'."""
        args = sandbox.bwrap_base(hide, keep, cuda)
        # a server writes its socket in its folder; the owned zygote only reads its configuration there
        args += ["--bind" if server else "--ro-bind", str(self.root), str(self.root),
                 "--ro-bind", str(self.harness), str(self.harness), "--bind", str(self.jobs), str(self.jobs),
                 "--chdir", str(self.root), "--unshare-all", "--unshare-user", "--cap-add", "ALL", "--new-session"]
        return args + ([] if server else ["--die-with-parent"]) + list(sandbox.BWRAP_END)

    def _log_tail(self) -> str:
        try:
            return (self.root / "zygote.log").read_text(errors="replace")[-1500:].strip()
        except OSError:
            return ""

    def _read(self) -> None:
        """Deliver each ``done`` to the thread waiting for it; when the zygote ends, wake them all."""
        while True:
            try:
                data = self._control.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            try:
                message = json.loads(data)
            except ValueError:
                continue
            with self._lock:
                pending = self._pending.get(str(message.get("job")))
            if pending is not None:
                pending.reply = message
                pending.event.set()
        with self._lock:
            self.died = self.died or ("the warm interpreter ended unexpectedly" +
                                      (f": {self._log_tail()}" if self._log_tail() else ""))
            for pending in self._pending.values():
                pending.event.set()

    # ------------------------------------------------------------------------------- jobs ---
    def new_job(self, prefix: str) -> Path:
        """A fresh folder for one job (``ro/`` read-only to the student's code, ``rw/`` writable)."""
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.jobs))

    def run(self, job_dir: Path, request: Path, writable: Path, limits: sandbox.Limits, threads: int,
            channel_w: int, token: str, tmpdir: Path) -> sandbox.RunResult:
        """Run one job (the request's exercise on the request's submission); the contract of :func:`sandbox.run`.

        Raises :class:`GraderEnvironmentError` only when the zygote itself is gone.
        """
        if self.died or self._closed:
            raise GraderEnvironmentError(self.died or "the warm interpreter was closed")
        start = time.perf_counter()
        out_r, out_w = os.pipe()
        token_r, token_w = os.pipe()
        os.write(token_w, (token + "\n").encode())
        os.close(token_w)
        with self._lock:
            self._counter += 1
            job_id = str(self._counter)
            pending = self._pending[job_id] = _Pending(threading.Event())
        memory = (limits.memory_mb + sandbox._BASE_ADDRESS_SPACE_MB) * 2**20
        message = {
            "op": "run", "id": job_id, "dir": str(job_dir), "request": str(request), "cwd": str(writable),
            "timeout": limits.timeout, "cpu_s": int(limits.timeout * max(threads, 1) + 10),
            # CUDA reserves tens of GB of address space: there, as in the cold path, the wall clock limits it
            "file_bytes": limits.file_mb * 2**20, "memory_bytes": 0 if self.cuda else memory,
            "memory_extra_bytes": limits.memory_mb * 2**20,
            "env": sandbox.clean_env(writable, threads, tmpdir), "tmp_mb": TMP_MB,
        }
        output = sandbox.Capture(os.fdopen(out_r, "rb"), limits.output_kb * 1024)
        try:
            with self._lock:
                socket.send_fds(self._control, [json.dumps(message).encode()], [token_r, out_w, channel_w])
        except OSError as exc:
            self.died = self.died or f"the warm interpreter cannot be reached ({exc})"
        finally:
            os.close(token_r)
            os.close(out_w)
        if not self.died and not pending.event.wait(limits.timeout + 120):  # it kills a job at limits.timeout
            self.died = self.died or "the warm interpreter stopped answering"
        with self._lock:
            self._pending.pop(job_id, None)
        reply = pending.reply
        text = output.text()
        if reply is None or reply.get("op") != "done":
            raise GraderEnvironmentError(self.died or f"the warm interpreter did not run the job ({reply})")
        rc = int(reply["returncode"])
        return sandbox.RunResult(rc, bool(reply["timed_out"]), time.perf_counter() - start, text, output.total,
                                 sandbox.signal_of(rc, True), "bwrap", int(reply.get("leftovers", 0)))

    # ------------------------------------------------------------------------------ close ---
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        proc = getattr(self, "_proc", None)
        control = getattr(self, "_control", None)
        if not self._owned:  # a server's client: disconnecting is all (the server ends when idle)
            if control is not None:
                control.close()
            return
        if control is not None:
            try:
                control.send(json.dumps({"op": "stop"}).encode())
            except OSError:
                pass
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            with sandbox._active_lock:
                sandbox._active.discard(proc.pid)
        if control is not None:
            control.close()
        if getattr(self, "_log", None) is not None:
            self._log.close()
        if getattr(self, "root", None) is not None:
            sandbox.remove_tree(self.root)

    def get(self) -> "Zygote":
        return self

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def warm_modules(exercises: list[str]) -> list[str]:
    """What the zygote imports besides NumPy and torch: the union of the exercises' ``warm`` lists."""
    from . import graded

    return sorted({m for e in exercises for m in graded.load(e).warm})


_unavailable: str | None = None  # why the zygote could not start here (once known, not retried)


def start(exercises: list[str], hide: list[Path], device: str = "cpu", server: bool = False) -> Zygote | None:
    """A zygote for these exercises, or None where none can start (the grader then runs cold).

    ``server``: connect to (or start) the check server, which serves every exercise."""
    global _unavailable
    if _unavailable is not None:
        return None
    try:
        if server:
            from . import config

            every = list(config.EXERCISES)
            return Zygote(every, hide, warm_modules(every), cuda=device == "cuda", server=True)
        return Zygote(exercises, hide, warm_modules(exercises), cuda=device == "cuda")
    except ZygoteUnavailable as exc:
        _unavailable = str(exc)
        return None


class Shared:
    """A zygote shared by a batch's workers, started again if it ever ends (``get``); None where none can start."""

    def __init__(self, exercises: list[str], hide: list[Path], device: str = "cpu") -> None:
        self.exercises, self.hide, self.device = list(exercises), list(hide), device
        self._lock = threading.Lock()
        self._zygote: Zygote | None = None
        self._closed = False

    def get(self) -> Zygote | None:
        with self._lock:
            if self._closed:
                return None
            if self._zygote is not None and self._zygote.died:
                self._zygote.close()
                self._zygote = None
            if self._zygote is None:
                self._zygote = start(self.exercises, self.hide, self.device)
            return self._zygote

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._zygote is not None:
                self._zygote.close()
                self._zygote = None


_kernel: Zygote | None = None
_kernel_lock = threading.Lock()


def for_kernel() -> Zygote | None:
    """The warm interpreter of this process, for the notebooks' ``check``: started by the first call
    (which must come from the kernel's main thread: it ends with the thread that started it), kept for
    the kernel's life, so that every later check in the chapter skips importing torch. None where the
    warm path is off (``AUTOGRADER_WARM_SERVER=0``) or cannot run here."""
    global _kernel
    if os.environ.get("AUTOGRADER_WARM_SERVER", "1") == "0" or not sandbox.bwrap_available():
        return None
    with _kernel_lock:
        if _kernel is not None and _kernel.died:
            _kernel.close()
            _kernel = None
        if _kernel is None and _unavailable is None and threading.current_thread() is threading.main_thread():
            from . import config, grader

            every = list(config.EXERCISES)
            try:
                home = _server_home()
                _sweep(home)
                _kernel = Zygote(every, grader._hidden_paths(), later=warm_modules(every), folder=home)
            except ZygoteUnavailable:
                return None
            import atexit

            atexit.register(_kernel.close)  # its folder goes with it
        return _kernel


def for_check(no_warm: bool = False) -> bool | str:
    """How the command-line ``check`` runs the student's code: the shared server, unless ``--no-warm``
    (cold) or ``AUTOGRADER_WARM_SERVER=0`` (this check's own warm interpreter)."""
    if no_warm:
        return False
    return "server" if os.environ.get("AUTOGRADER_WARM_SERVER", "1") != "0" else True
