"""A private PostgreSQL cluster in a temp dir, on a free loopback port, tuned for tests (no fsync).

Used twice: the plugin starts one for the whole session (the test database lives there), and the
`postgres_cluster` fixture starts another per test for fault tests that stop, kill and restart it.
initdb and postgres refuse to run as root, so as root both run as the `postgres` user.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.support.polling import wait_for
from tests.support.processes import (
    LOOPBACK,
    children,
    free_port,
    kill_group,
    make_temp_dir,
    reap_stale_dirs,
    tail,
    temp_root,
    want_pdeathsig,
)

PREFIX = "mutiroes-pg"
PREFERRED_VERSION = "15"
OS_USER = "postgres"
DB_USER = "postgres"
BASE_SETTINGS = {
    "listen_addresses": f"'{LOOPBACK}'",
    # Thread tests open one connection per worker thread, plus the test's own and the app's.
    "max_connections": "300",
    # Only an OS crash loses data without fsync, and these servers never outlive the machine's uptime.
    "fsync": "off",
    "full_page_writes": "off",
    "shared_buffers": "64MB",
    "logging_collector": "off",
    "log_line_prefix": "'%m [%p] '",
    "log_min_messages": "warning",
}


# For the session's test database: a commit returns before its WAL is written, so a SIGKILL loses the
# last ~200 ms of commits. Never for a cluster a fault test kills and then inspects.
FAST_SETTINGS = {"synchronous_commit": "off"}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bin_dir() -> Path | None:
    """The Debian PostgreSQL 15 binaries, else the newest installed version, else whatever is on PATH."""
    debian = Path("/usr/lib/postgresql")
    preferred = debian / PREFERRED_VERSION / "bin"
    if (preferred / "postgres").exists():
        return preferred
    versions = sorted(
        (p for p in debian.glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    if versions:
        return versions[0]
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).resolve().parent / "postgres").exists():
        return Path(initdb).resolve().parent
    return None


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _as_owner(cmd: list[str]) -> list[str]:
    """One-shot commands (initdb, pg_ctl) as the postgres user when we are root."""
    return ["runuser", "-u", OS_USER, "--", *cmd] if _running_as_root() else cmd


def _shared_memory_id(data_dir: Path) -> int | None:
    """The SysV segment id the postmaster recorded (postmaster.pid line 7: "key id")."""
    try:
        return int((data_dir / "postmaster.pid").read_text().splitlines()[6].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _release_shared_memory(shm_id: int | None) -> None:
    # A SIGKILLed postmaster cannot remove its (tiny) SysV segment; a restart in the same data dir would,
    # but a deleted cluster never restarts, and leaked ids pile up until the kernel's limit.
    if shm_id is not None and shutil.which("ipcrm"):
        subprocess.run(["ipcrm", "-m", str(shm_id)], capture_output=True, check=False)


def _reap(path: Path) -> None:
    pid_file = path / "data" / "postmaster.pid"
    if pid_file.exists():
        shm_id = _shared_memory_id(path / "data")
        kill_group(int(pid_file.read_text().splitlines()[0]))
        _release_shared_memory(shm_id)


def _give_to_owner(path: Path) -> None:
    if _running_as_root():
        owner = pwd.getpwnam(OS_USER)
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _template_for(bin_dir: Path) -> Path:
    """A pristine initdb for these binaries, made once per machine (and again if /tmp is emptied)."""
    binary = bin_dir / "postgres"
    key = hashlib.sha256(f"{binary.resolve()}:{binary.stat().st_mtime_ns}:{DB_USER}".encode()).hexdigest()[:16]
    template = temp_root() / f"mutiroes-pgtemplate-{key}"
    if (template / "PG_VERSION").exists():
        return template
    work = Path(tempfile.mkdtemp(prefix=f"mutiroes-pgtemplate-{key}.", suffix=".tmp", dir=temp_root()))
    _give_to_owner(work)
    data = work / "data"
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", DB_USER, "--auth=trust", "-E", "UTF8", "--no-sync",
              "--no-instructions"]  # fmt: skip
    result = subprocess.run(_as_owner([*initdb, "--locale=C.UTF-8"]), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        # Machines without a C.UTF-8 locale still have C.
        result = subprocess.run(_as_owner([*initdb, "--locale=C"]), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    try:
        # Atomic publish: a concurrent session either sees no template or a complete one.
        data.rename(template)
    except OSError:
        if not (template / "PG_VERSION").exists():
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return template


def start_replica_of(primary: PostgresCluster, timeout_s: float = 60) -> PostgresCluster:
    """A streaming hot standby of a running `primary` (pg_basebackup -R), on its own port; cleanup() deletes it.

    Lag it on purpose with ``SELECT pg_wal_replay_pause()`` on the replica (``pg_wal_replay_resume()`` after).
    """
    replica = PostgresCluster(bin_dir=primary.bin_dir)
    replica.primary = primary
    return replica.start(timeout_s)


class PostgresCluster:
    """A PostgreSQL server the test owns: start / stop / kill / pause / resume, same port across restarts."""

    def __init__(self, *, port: int | None = None, settings: dict[str, Any] | None = None, bin_dir: Path | None = None):
        found = bin_dir or find_bin_dir()
        if found is None:
            raise PostgresUnavailable(
                "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and PATH): "
                "install postgresql-15 (apt-get install postgresql-15) or set DATABASE_URL to a server to use"
            )
        self.bin_dir = found
        self.port = port
        self._fixed_port = port is not None
        self.settings = {**BASE_SETTINGS, **{k: str(v) for k, v in (settings or {}).items()}}
        self.base_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._orphaned_shm: int | None = None
        self._paused: list[int] = []
        self.primary: PostgresCluster | None = None

    # -- addresses ---------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "cluster not initialised: call start() first"
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        assert self.base_dir is not None, "cluster not initialised: call start() first"
        return self.base_dir / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        assert self.port is not None, "cluster not started"
        return f"postgres://{DB_USER}@{LOOPBACK}:{self.port}/{database}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- life cycle --------------------------------------------------------------------------------
    def start(self, timeout_s: float = 60) -> PostgresCluster:
        """initdb on first start; later starts reuse the data dir and port (crash recovery after kill())."""
        if self.running:
            return self
        if self.base_dir is None:
            self._initdb()
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            if self.port is None or (attempt > 0 and not self._fixed_port):
                self.port = free_port()
            try:
                self._launch(timeout_s)
                self._orphaned_shm = None  # a postmaster starting in this data dir removes its predecessor's
                return self
            except RuntimeError:
                # Another process took the port between free_port() and bind(): pick another one.
                if attempt == attempts - 1 or "Address already in use" not in tail(self.log_path, 10):
                    raise
        return self

    def stop(self, mode: str = "fast", timeout_s: float = 60) -> None:
        """pg_ctl stop: "smart", "fast" (default) or "immediate" (no shutdown checkpoint, like a crash)."""
        if not self.running:
            self._forget()
            return
        pg_ctl = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(int(timeout_s))]
        result = subprocess.run(_as_owner([*pg_ctl, "stop"]), capture_output=True, text=True, check=False)
        if result.returncode != 0 and self.running:
            self.kill()
            return
        self._wait_exit(timeout_s)

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once: the machine died, no shutdown at all."""
        if self._proc is not None:
            self._orphaned_shm = _shared_memory_id(self.data_dir) or self._orphaned_shm
            for pid in self._server_pids():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            self._paused = []
            self._wait_exit(30)

    def pause(self) -> None:
        """SIGSTOP the postmaster and every backend: open connections hang, new ones too (a frozen server)."""
        assert self._proc is not None
        self._paused = self._server_pids()
        for pid in self._paused:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None
        for pid in reversed(self._paused or [self._proc.pid]):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGCONT)
        self._paused = []

    def _server_pids(self) -> list[int]:
        """The postmaster, then its children. Each backend calls setsid(), so the postmaster's process group
        does not reach them; the postmaster is stopped first so that it forks no new child meanwhile."""
        assert self._proc is not None
        postmaster = self._proc.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(postmaster, signal.SIGSTOP)
        return [postmaster, *children(postmaster)]

    def cleanup(self) -> None:
        """Stop it (immediate) and delete its files. Safe to call twice, and on a never-started cluster."""
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self.resume()
            with contextlib.suppress(Exception):
                self.stop(mode="immediate", timeout_s=20)
            if self.running:
                self.kill()
        self._forget()
        _release_shared_memory(self._orphaned_shm)
        self._orphaned_shm = None
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def connect(self, database: str = "postgres", **kwargs: Any) -> Any:
        """An autocommit psycopg connection as the superuser, for fault tests that poke at the server."""
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5, **kwargs)

    # -- internals ---------------------------------------------------------------------------------
    def _initdb(self) -> None:
        reap_stale_dirs(PREFIX, _reap)
        self.base_dir = make_temp_dir(PREFIX)
        _give_to_owner(self.base_dir)
        if self.primary is not None:
            self._base_backup(self.primary)
        else:
            self._copy_template()
        settings = {**self.settings, "unix_socket_directories": f"'{self.base_dir}'"}
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# mutiroes tests\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _base_backup(self, primary: PostgresCluster) -> None:
        # -R writes primary_conninfo and standby.signal: the copy starts as a hot standby streaming from primary
        # (initdb's pg_hba.conf trusts replication connections from loopback; wal_level is "replica" by default).
        assert primary.port is not None, "the primary must be running"
        cmd = [str(self.bin_dir / "pg_basebackup"), "-h", LOOPBACK, "-p", str(primary.port), "-U", DB_USER,
               "-D", str(self.data_dir), "-R", "-X", "stream", "-c", "fast"]  # fmt: skip
        result = subprocess.run(_as_owner(cmd), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            base_dir, self.base_dir = self.base_dir, None
            shutil.rmtree(base_dir, ignore_errors=True)
            raise RuntimeError(f"pg_basebackup failed ({result.returncode}): {result.stderr}")

    def _copy_template(self) -> None:
        assert self.base_dir is not None
        template = _template_for(self.bin_dir)
        # A copy of a pristine initdb is ~10x cheaper than initdb itself, which is CPU-bound on 2 cores.
        result = subprocess.run(_as_owner(["cp", "-a", str(template), str(self.data_dir)]), capture_output=True,
                                text=True, check=False)  # fmt: skip
        if result.returncode != 0:
            base_dir, self.base_dir = self.base_dir, None
            shutil.rmtree(base_dir, ignore_errors=True)
            raise RuntimeError(f"copying the initdb template failed: {result.stderr}")

    def _launch(self, timeout_s: float) -> None:
        # postgres is exec'd directly (setpriv, no fork) so our child *is* the postmaster: its pid leads the
        # process group we signal, and the parent-death signal takes it down if pytest is SIGKILLed.
        cmd = [str(self.bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        setpriv = [f"--reuid={OS_USER}", f"--regid={OS_USER}", "--init-groups"] if _running_as_root() else []
        if want_pdeathsig():
            setpriv.append("--pdeathsig=KILL")
        if setpriv:
            cmd = ["setpriv", *setpriv, "--", *cmd]
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(self._ready, timeout_s=timeout_s, what=f"PostgreSQL on port {self.port}")
        except TimeoutError as exc:
            self.kill()
            raise RuntimeError(f"PostgreSQL did not start: {exc}\n{tail(self.log_path)}") from exc
        except RuntimeError:
            self._forget()
            raise

    def _ready(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited with {self._proc.returncode}:\n{tail(self.log_path)}")
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        # Line 8 is the postmaster's status; "ready" once it accepts connections (what pg_ctl -w waits for).
        # A hot standby writes "standby" once it accepts read-only connections.
        status = lines[7].strip() if len(lines) >= 8 else ""
        return lines[0].strip() == str(self._proc.pid) and status in {"ready", "standby"}

    def _wait_exit(self, timeout_s: float) -> None:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                kill_group(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)
        self._forget()

    def _forget(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None
        if self._proc is None and self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
