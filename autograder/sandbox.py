"""Run an untrusted command with a wall-clock limit, a memory limit, a clean environment and cleanup.

Two layers:

* **bubblewrap** (``bwrap``), when it is installed and works: the whole filesystem read-only, the
  grader's own source trees (reference solutions, hidden tests) hidden behind empty tmpfs mounts,
  a private ``/tmp``, no network, its own PID namespace (nothing survives the sandbox) and
  ``--die-with-parent``.
* **always**, with or without bwrap: a new session, a scrubbed environment (TMPDIR inside the
  caller's scratch folder, so no temporary file outlives the run), resource limits
  (address space, file size, CPU time, no core dumps), a wall-clock timeout after which the whole
  process group is killed, output captured through a pipe and truncated, and a sweep that kills
  any process the child left behind (the grader is a child subreaper, so orphans come back to it).
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .environment import GraderEnvironmentError

PR_SET_CHILD_SUBREAPER = 36
_bwrap_ok: bool | None = None


@dataclass
class Limits:
    timeout: float = 60.0  # wall-clock seconds
    memory_mb: int = 3072  # memory the code may use on top of what importing torch reserves
    output_kb: int = 64  # stdout+stderr kept for the report
    file_mb: int = 64  # largest file the code may write
    isolation: str = "auto"  # "bwrap", "process" or "auto"


@dataclass
class RunResult:
    returncode: int | None
    timed_out: bool
    seconds: float
    output: str
    output_bytes: int
    signal: int | None
    isolation: str
    leftovers_killed: int = 0

    @property
    def killed_by(self) -> str | None:
        if self.timed_out:
            return "timeout"
        if self.signal is not None:
            return signal.Signals(self.signal).name if self.signal in signal.Signals._value2member_map_ else str(self.signal)
        return None


# importing torch (CUDA build) maps ~3.3 GB of address space before any tensor exists
_BASE_ADDRESS_SPACE_MB = 4096


def become_subreaper() -> None:
    """Make orphaned descendants re-parent to this process, so :func:`sweep` can find and kill them."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


_active: set[int] = set()  # sandboxes running now (several run side by side in threads)
_active_lock = threading.Lock()


def sweep(keep: set[int] | None = None) -> int:
    """Kill and reap every child of this process that is neither in ``keep`` nor a running sandbox.

    As a child subreaper this process inherits whatever a sandboxed program left behind, so its
    unknown children are exactly the leftovers. Returns how many were killed.
    """
    if not os.path.isdir("/proc"):
        return 0
    keep = keep or set()
    killed = 0
    for round_ in range(25):
        with _active_lock:
            protected = keep | _active
        pids = [p for p in _children_of(os.getpid()) if p not in protected]
        if not pids:
            if round_ >= 3:  # a few quiet rounds: orphans re-parent asynchronously
                break
            time.sleep(0.03)
            continue
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        time.sleep(0.02)
    return killed


def bwrap_available() -> bool:
    """Whether ``bwrap`` is installed and can create a sandbox here (cached)."""
    global _bwrap_ok
    if _bwrap_ok is None:
        exe = shutil.which("bwrap")
        _bwrap_ok = False
        if exe:
            try:
                r = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent",
                                    "--proc", "/proc", "--dev", "/dev", "true"],
                                   capture_output=True, timeout=20)
                _bwrap_ok = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _bwrap_ok = False
    return _bwrap_ok


def resolve_isolation(requested: str) -> str:
    if requested == "auto":
        return "bwrap" if bwrap_available() else "process"
    if requested == "bwrap" and not bwrap_available():
        raise GraderEnvironmentError(
            "the grader could not run in this environment: --isolation bwrap was asked for, but bubblewrap "
            "is not installed or cannot create a sandbox here; nothing was graded.\nInstall Debian's "
            "'bubblewrap' (bash scripts/setup.sh does, as root), or grade with --isolation auto or process.")
    if requested not in ("bwrap", "process"):
        raise ValueError(f"isolation must be auto, bwrap or process, not {requested!r}")
    return requested


# What a sandbox sees of the host, read-only: the system's programs and libraries, the few files of /etc
# that the dynamic loader and the C library read, /sys (CPU and GPU topology) - and, added by bwrap_base,
# the Python installation. Nothing else: no home folders, no /work, /srv, /var or /opt, so neither the
# other students' submissions nor a batch's results nor another copy of the course can be read.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
                "/etc/passwd", "/etc/group", "/etc/nsswitch.conf")


# the last options of every bwrap command line: the root that bwrap_base built, read-only once every
# mount point is made (its /tmp and the job's folders are mounts of their own, and stay as they are)
BWRAP_END = ("--remount-ro", "/")


def remove_tree(path: Path | str) -> None:
    """Remove a folder the student's code could write into, whatever it left there: a folder it made
    unwritable (``chmod 500``), which stops ``shutil.rmtree`` for a grader that is not root, is made
    writable again and the removal retried. Errors are ignored, as ``rmtree(ignore_errors=True)`` does."""
    import stat

    def retry(function, failed, _exc) -> None:
        try:
            parent = os.path.dirname(failed)
            os.chmod(parent, os.stat(parent).st_mode | stat.S_IRWXU)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, os.stat(failed).st_mode | stat.S_IRWXU)
            function(failed)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=lambda function, failed, info: retry(function, failed, info[1]))


def site_dirs() -> list[str]:
    """The folders this interpreter's packages come from (site-packages, the user's), those that exist:
    the sandboxed interpreter runs with ``-I -S`` and is given them."""
    import site

    return [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]


def python_dirs() -> list[Path]:
    """The Python installation the sandboxed interpreter needs: this environment and its base, and the
    folders its packages come from (a system-wide or user install lies outside both)."""
    dirs = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent,
            *map(Path, site_dirs())]
    return [d.resolve() for d in dict.fromkeys(dirs) if d.is_dir()]


def bwrap_base(hide: list[Path], keep: list[Path], cuda: bool) -> list[str]:
    """The start of every bwrap command line here (the cold sandbox's and the warm interpreter's).

    An allowlist, read-only: the system (``SYSTEM_DIRS``, ``SYSTEM_FILES``), the Python installation
    (:func:`python_dirs`) and ``keep``; a fresh /tmp, /proc and /dev. ``hide`` (the grader's and the
    reference's code) is covered where it lies inside what is shown (a package installed in the
    environment's site-packages, say). Mount order matters: later mounts cover earlier ones.
    """
    args = [shutil.which("bwrap") or "bwrap", "--tmpfs", "/"]
    for path in (*SYSTEM_DIRS, *SYSTEM_FILES):
        if os.path.islink(path) and not os.path.isabs(os.readlink(path)):  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), path]
        else:
            args += ["--ro-bind-try", path, path]
    args += ["--tmpfs", "/tmp"]
    shown = [Path(k).resolve() for k in dict.fromkeys([*keep, *python_dirs()])]
    shown = [k for k in shown if k.exists() and k != Path("/")]
    for k in sorted(shown, key=lambda p: len(p.parts)):
        args += ["--ro-bind", str(k), str(k)]
    for h in sorted({p.resolve() for p in hide}, key=lambda p: len(p.parts)):
        inside_shown = any(k == h or k in h.parents for k in shown)
        if inside_shown and h.exists() and not any(h == k or h in k.parents for k in shown):
            args += ["--tmpfs", str(h)]  # shown by a folder above it, and it holds nothing that must be
    args += ["--proc", "/proc", "--dev", "/dev"]
    if cuda:
        for dev in sorted(Path("/dev").glob("nvidia*")):
            args += ["--dev-bind", str(dev), str(dev)]
    return args


def _bwrap_prefix(workdir: Path, writable: Path, hide: list[Path], keep: list[Path], cuda: bool,
                  tmpdir: Path) -> list[str]:
    """The cold sandbox's bwrap command line."""
    args = bwrap_base(hide, keep, cuda)
    args += ["--ro-bind", str(workdir), str(workdir), "--bind", str(writable), str(writable),
             "--chdir", str(writable), "--unshare-all", "--die-with-parent", "--new-session",
             "--setenv", "TMPDIR", str(tmpdir), "--setenv", "HOME", str(writable), *BWRAP_END]
    return args


def clean_env(home: Path, threads: int, tmpdir: Path | None = None) -> dict[str, str]:
    """Only what Python needs: no tokens, no CI secrets, no PYTHON* variables of the grader."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(tmpdir or home),
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for key in ("CUDA_VISIBLE_DEVICES", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run(
    argv: list[str],
    workdir: Path,
    writable: Path,
    limits: Limits,
    hide: list[Path] = (),
    keep: list[Path] = (),
    cuda: bool = False,
    threads: int = 1,
    pass_fds: tuple[int, ...] = (),
    stdin_data: bytes = b"",
    tmpdir: Path | None = None,
) -> RunResult:
    """Run ``argv`` (an untrusted program) under the limits; never raises for anything the program does.

    ``tmpdir`` (default: ``writable``) is the program's TMPDIR in both isolation modes, so whatever it
    puts in "the temp folder" lies in the caller's scratch folder and goes away with it.
    """
    isolation = resolve_isolation(limits.isolation)
    cmd = list(argv)
    tmpdir = Path(tmpdir or writable)
    if isolation == "bwrap":
        cmd = _bwrap_prefix(workdir, writable, list(hide), list(keep), cuda, tmpdir) + cmd
    memory = (limits.memory_mb + _BASE_ADDRESS_SPACE_MB) * 2**20
    cpu = int(limits.timeout * max(threads, 1) + 10)
    file_size = limits.file_mb * 2**20

    def preexec() -> None:  # runs in the child between fork and exec
        if not cuda:  # CUDA reserves tens of GB of address space: rely on the wall clock there
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    start = time.perf_counter()
    keep_pids = set(_children_of(os.getpid()))
    with _active_lock:
        proc = subprocess.Popen(
            cmd, cwd=writable, env=clean_env(writable, threads, tmpdir), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=preexec, close_fds=True, pass_fds=pass_fds,
        )
        _active.add(proc.pid)
    try:  # a secret for the harness; the pipe then closes, so the program can never read it again
        proc.stdin.write(stdin_data)
        proc.stdin.close()
    except OSError:
        pass
    output = Capture(proc.stdout, limits.output_kb * 1024)
    timed_out = False
    try:
        proc.wait(timeout=limits.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the child's whole process group, finished or not
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    with _active_lock:
        _active.discard(proc.pid)
    leftovers = sweep(keep_pids)  # before joining: an escaped grandchild may hold the pipe open
    text = output.text()
    return RunResult(proc.returncode, timed_out, time.perf_counter() - start, text, output.total,
                     signal_of(proc.returncode, isolation == "bwrap"), isolation, leftovers)


class Capture:
    """Read a program's output to its end in a thread, keeping the first ``cap`` bytes."""

    def __init__(self, stream, cap: int) -> None:
        self.cap, self.total, self._kept = cap, 0, bytearray()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        with stream:
            while chunk := stream.read1(65536):
                self.total += len(chunk)
                if len(self._kept) < self.cap:
                    self._kept.extend(chunk[: self.cap - len(self._kept)])

    def text(self, wait: float = 5.0) -> str:
        """What was kept (once every writer closed the pipe, or after ``wait`` seconds), and how much was not."""
        self._thread.join(timeout=wait)
        text = self._kept.decode("utf-8", errors="replace")
        if self.total > self.cap:
            text += f"\n[... {self.total - self.cap} more bytes of output not shown]"
        return text


def signal_of(returncode: int | None, shell_style: bool) -> int | None:
    """The signal that ended a program: a negative status, or (``shell_style``: bubblewrap, the zygote's
    jobs) an exit status 128 + N."""
    if returncode is None:
        return None
    if returncode < 0:
        return -returncode
    return returncode - 128 if shell_style and 128 < returncode < 128 + 65 else None
