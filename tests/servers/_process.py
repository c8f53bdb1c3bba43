"""Shared plumbing for the real servers the tests start: ports, temp dirs, waiting, stale-run cleanup."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

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


def wait_until(predicate: Callable[[], bool], *, timeout_s: float, what: str, interval_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


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
