"""Processes the tests start: ports, temp dirs, process groups, stale-run cleanup, and `python -m mutiroes ...`.

Every process runs in its own session, so a test can signal (SIGKILL, SIGSTOP) the whole group: gunicorn's
master with its workers, Dramatiq's main process with its worker processes. From the main thread it is also
started under `setpriv --pdeathsig=KILL`, so a killed pytest takes it along; a pid directory lets a later run
kill what a run that was itself killed left running.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from tests.support.polling import wait_for

LOOPBACK = "127.0.0.1"
# Every temp dir a test server makes is named <prefix>-<pid of the pytest process>-<random>, so a later run
# can tell the leftovers of a run that was SIGKILLed (its pid is gone) from those of a run still going.
_STALE_NAME = re.compile(r"^(?P<prefix>mutiroes-[a-z]+)-(?P<pid>\d+)-")


def free_port() -> int:
    """A TCP port that was free on loopback a moment ago (the server binding it may still race; callers retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_is_open(port: int, host: str = LOOPBACK, timeout_s: float = 0.2) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout_s):
        return True
    return False


def temp_root() -> Path:
    """Where server files go: /dev/shm when it is a writable tmpfs (data dirs in memory, copies in ~0.1 s)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return Path(tempfile.gettempdir())


def make_temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-", dir=temp_root()))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a server started in its own session: the whole group, so its children go with it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc; every thread's list, as the kernel keeps them per thread)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def want_pdeathsig() -> bool:
    """Whether a server started now should die with this process (setpriv --pdeathsig=KILL).

    Linux delivers the parent-death signal when the *thread* that forked exits, so it is only asked for from
    the main thread: a fault test restarting a server from a worker thread must not lose it when that thread ends.
    """
    return threading.current_thread() is threading.main_thread() and shutil.which("setpriv") is not None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def reap_stale_dirs(prefix: str, on_stale: Callable[[Path], None]) -> None:
    """Remove what earlier, killed test runs left in the temp dir: servers still running and their files."""
    for path in temp_root().glob(f"{prefix}-*"):
        match = _STALE_NAME.match(path.name)
        if match is None or match["prefix"] != prefix or not path.is_dir():
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or pid_alive(pid):
            continue
        with contextlib.suppress(Exception):
            on_stale(path)
        shutil.rmtree(path, ignore_errors=True)


def status_kb(pid: int, field: str) -> int:
    """A size from /proc/<pid>/status (VmRSS, VmHWM), in KiB; 0 when the process or the line is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def is_running(pid: int) -> bool:
    # A zombie (dead, not yet reaped) has no VmRSS line.
    return pid_alive(pid) and status_kb(pid, "VmRSS") > 0


def reap_pid_files(path: Path) -> None:
    """Kill the process groups named by the *.pgid files of a dead run's directory (see ManagedProcess)."""
    for pgid_file in path.glob("*.pgid"):
        with contextlib.suppress(ValueError, OSError):
            kill_group(int(pgid_file.read_text().strip()))


# -- the project's own processes -------------------------------------------------------------------

# Variables of the test process that must not leak into a child (each test says what it wants instead).
INHERITED_NOT = frozenset({"REDIS_SENTINELS", "REDIS_URL", "CACHE_URL", "BROKER_URL", "DATABASE_URL",
                           "DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE"})  # fmt: skip


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment without its servers' addresses, plus `overrides`, for a `mutiroes` child."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_NOT}
    env.update(PYTHONUNBUFFERED="1", **overrides)
    return env


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database once it is set up)."""
    from django.db import connection

    sd = connection.settings_dict
    user, password = quote(sd.get("USER") or "", safe=""), quote(sd.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{sd.get('HOST') or LOOPBACK}:{sd.get('PORT') or 5432}/{quote(sd['NAME'], safe='')}"


def mutiroes(*args: str) -> list[str]:
    """The command line of `mutiroes <args>` as production runs it, with this interpreter."""
    return [sys.executable, "-m", "mutiroes", *args]


class ManagedProcess:
    """A command in its own session, output appended to `log_path`; the whole group is killed at cleanup.

    With `pid_dir`, its pgid is written there while it runs (for reap_pid_files after a killed run).
    """

    def __init__(self, command: list[str], *, env: dict[str, str], log_path: Path, name: str | None = None,
                 pid_dir: Path | None = None, cwd: Path | None = None) -> None:  # fmt: skip
        self.command, self.env, self.log_path, self.pid_dir = command, env, log_path, pid_dir
        self.name = name or log_path.stem
        self.cwd = cwd or log_path.parent
        self.proc: subprocess.Popen[bytes] | None = None
        self._pid_file: Path | None = None

    def spawn(self) -> None:
        command = self.command
        if want_pdeathsig():
            command = ["setpriv", "--pdeathsig=KILL", "--", *command]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        if self.pid_dir is not None:
            self._pid_file = self.pid_dir / f"{self.name}-{self.proc.pid}.pgid"
            self._pid_file.write_text(str(self.proc.pid))

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} not started"
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self) -> None:
        """Raise, with the end of its log, if the process has exited (for a wait that should stop trying)."""
        if not self.running:
            code = None if self.proc is None else self.proc.returncode
            raise RuntimeError(f"{self.name} exited ({code}):\n{self.log_tail()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return tail(self.log_path, lines)

    def signal(self, sig: int) -> None:
        """To the main process only, as supervisord or Docker do; it passes SIGTERM on to its children itself."""
        if self.running:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.signal(signal.SIGTERM)

    def signal_group(self, sig: int) -> None:
        if self.proc is not None:
            kill_group(self.pid, sig)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """SIGSTOP the whole group until the block ends, then SIGCONT."""
        self.signal_group(signal.SIGSTOP)
        try:
            yield
        finally:
            self.signal_group(signal.SIGCONT)

    def wait(self, timeout_s: float) -> int:
        """Its exit code; fails the test, with the end of its log, if it does not exit in time."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} did not exit within {timeout_s:g}s:\n{self.log_tail()}") from None

    def kill(self) -> None:
        """SIGKILL the whole group (a paused one too) and reap the main process."""
        if self.proc is not None:
            kill_group(self.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        if self._pid_file is not None:
            self._pid_file.unlink(missing_ok=True)

    def stop(self, timeout_s: float = 10) -> None:
        """SIGTERM to the group, SIGKILL if it lingers."""
        if self.proc is not None and self.running:
            kill_group(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout_s)
        self.kill()

    def cleanup(self) -> None:
        self.kill()


class WorkerProcess(ManagedProcess):
    """`mutiroes worker --processes P --threads T` (Dramatiq): the main process and P worker processes."""

    READY_LINE = "Worker process is ready for action."

    def __init__(self, *, env: dict[str, str], log_path: Path, processes: int = 1, threads: int = 4,
                 pid_dir: Path | None = None) -> None:  # fmt: skip
        self.processes, self.threads = processes, threads
        command = mutiroes("worker", "--processes", str(processes), "--threads", str(threads))
        super().__init__(command, env=env, log_path=log_path, pid_dir=pid_dir)

    def start(self, *, wait: bool = True, timeout_s: float = 60) -> WorkerProcess:
        self.spawn()
        if wait:
            self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 60) -> None:
        wait_for(self._ready, timeout_s=timeout_s, what=f"worker {self.pid} ready", interval_s=0.1)

    def _ready(self) -> bool:
        self.check_alive()
        return self.log().count(self.READY_LINE) >= self.processes

    def worker_pids(self) -> list[int]:
        """The Dramatiq worker processes (children of the main process)."""
        return children(self.pid) if self.running else []

    def peak_rss_kb(self) -> dict[int, int]:
        """VmHWM (peak resident set) of each worker process, in KiB; read it before the worker exits."""
        return {pid: status_kb(pid, "VmHWM") for pid in self.worker_pids()}

    def kill(self) -> None:
        """SIGKILL the whole group: the main process and every worker process die at once, none survives."""
        pids = [self.pid, *self.worker_pids()] if self.proc is not None else []
        super().kill()
        wait_for(lambda: not any(is_running(p) for p in pids), timeout_s=20, what="worker processes gone")
