"""Real redis-server and Sentinel processes on free loopback ports, for cache, broker and failover tests.

No persistence unless asked (`--save "" --appendonly no`); a restarted server keeps its port and its
directory, so with `appendonly=True` it comes back with its data, as a real node would.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any, Self

from tests.support.polling import wait_for
from tests.support.processes import (
    LOOPBACK,
    free_port,
    kill_group,
    make_temp_dir,
    reap_stale_dirs,
    tail,
    want_pdeathsig,
)

PREFIX = "mutiroes-redis"


class RedisUnavailable(RuntimeError):
    """No redis-server binary on this machine."""


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise RedisUnavailable("redis-server not found: apt-get install redis-server")
    return path


def sentinel_command() -> list[str]:
    """Debian ships redis-sentinel as a separate package; `redis-server --sentinel` is the same program."""
    path = shutil.which("redis-sentinel")
    return [path] if path else [redis_server_binary(), "--sentinel"]


def _reap(path: Path) -> None:
    for pid_file in path.glob("*.pid"):
        with contextlib.suppress(ValueError, OSError):
            kill_group(int(pid_file.read_text().strip()))


def resp_command(port: int, *args: str, host: str = LOOPBACK, timeout_s: float = 1.0) -> Any:
    """Send one command, return the decoded reply: str, int, None, list, or RespError (no client library needed)."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(payload.encode())
        return _read_reply(sock.makefile("rb"))


class RespError(str):
    """An error reply ("-ERR ..."), returned rather than raised so probes can look at it."""


def _read_reply(stream: Any) -> Any:
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed mid-reply")
    kind, rest = line[:1], line[1:-2].decode(errors="replace")
    if kind == b"+":
        return rest
    if kind == b"-":
        return RespError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        return None if rest == "-1" else stream.read(int(rest) + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        return None if rest == "-1" else [_read_reply(stream) for _ in range(int(rest))]
    raise ConnectionError(f"unexpected reply {line!r}")


class _RedisProcess:
    """What a redis-server and a sentinel share: a process in its own session, a dir, a port, a log."""

    kind = "redis"

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def address(self) -> tuple[str, int]:
        return (LOOPBACK, self.port)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_path(self) -> Path:
        assert self.dir is not None
        return self.dir / f"{self.kind}-{self.port}.log"

    def _command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout_s: float = 20) -> Self:
        if self.running:
            return self
        if self.dir is None:
            reap_stale_dirs(PREFIX, _reap)
            self.dir = make_temp_dir(PREFIX)
        cmd = self._command()
        if want_pdeathsig():
            cmd = ["setpriv", "--pdeathsig=KILL", "--", *cmd]
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        (self.dir / f"{self.kind}-{self.port}.pid").write_text(str(self._proc.pid))
        try:
            wait_for(self._ready, timeout_s=timeout_s, what=f"{self.kind} on port {self.port}")
        except (TimeoutError, RuntimeError) as exc:
            self.kill()
            raise RuntimeError(f"{self.kind} did not start on port {self.port}: {exc}\n{tail(self.log_path)}") from exc
        return self

    def _ready(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(f"exited with {self._proc.returncode}")
        try:
            return resp_command(self.port, "PING", timeout_s=0.5) == "PONG"
        except OSError:
            return False

    def stop(self, timeout_s: float = 20) -> None:
        """SIGTERM: a clean shutdown (redis saves first only if persistence is on)."""
        if self._proc is not None:
            self.resume()
            self._proc.terminate()
            self._wait_exit(timeout_s)

    def kill(self) -> None:
        """SIGKILL: the node died; nothing written after the last fsync survives."""
        if self._proc is not None:
            kill_group(self._proc.pid, signal.SIGKILL)
            self._wait_exit(10)

    def pause(self) -> None:
        """SIGSTOP: the node hangs (sockets accept, nothing answers), as in a long GC or a frozen VM."""
        if self._proc is not None:
            kill_group(self._proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None:
            kill_group(self._proc.pid, signal.SIGCONT)

    def restart(self, timeout_s: float = 20) -> Self:
        self.stop()
        return self.start(timeout_s)

    def command(self, *args: str) -> Any:
        return resp_command(self.port, *args)

    def cleanup(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self.kill()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _wait_exit(self, timeout_s: float) -> None:
        assert self._proc is not None
        try:
            self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


class RedisServer(_RedisProcess):
    """One redis-server. `replica_of` makes it a replica of another RedisServer from the start."""

    kind = "redis"

    def __init__(
        self,
        *,
        port: int | None = None,
        appendonly: bool = False,
        save: str = "",
        replica_of: RedisServer | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        super().__init__(port=port)
        self.appendonly = appendonly
        self.save = save
        self.replica_of = replica_of
        self.extra_args = list(extra_args or [])

    def url(self, db: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"

    def _command(self) -> list[str]:
        assert self.dir is not None
        cmd = [redis_server_binary(), "--port", str(self.port), "--bind", LOOPBACK, "--dir", str(self.dir),
               "--save", self.save, "--appendonly", "yes" if self.appendonly else "no", "--daemonize", "no",
               "--dbfilename", f"dump-{self.port}.rdb", "--appendfilename", f"appendonly-{self.port}.aof",
               "--appenddirname", f"aof-{self.port}",
               # Replicas get their first full sync at once, not after the default 5 s batching delay.
               "--repl-diskless-sync-delay", "0"]  # fmt: skip
        if self.replica_of is not None:
            cmd += ["--replicaof", LOOPBACK, str(self.replica_of.port)]
        return cmd + self.extra_args

    def client(self, **kwargs: Any) -> Any:
        """A redis-py client (imported here: the helpers themselves need no client library)."""
        import redis

        return redis.Redis(host=LOOPBACK, port=self.port, **kwargs)

    def flushall(self) -> None:
        self.command("FLUSHALL")

    def start(self, timeout_s: float = 20) -> Self:
        super().start(timeout_s)
        if self.replica_of is not None:
            wait_for(self._synced_with_master, timeout_s=timeout_s, what=f"replica {self.port} to sync")
        return self

    def _synced_with_master(self) -> bool:
        role = self.command("ROLE")  # ["slave", host, port, state, offset] while a replica
        return isinstance(role, list) and (role[0] != "slave" or role[3] == "connected")

    def wait_replicated(self, replicas: int = 1, timeout_s: float = 10) -> None:
        """On a master: block until `replicas` replicas acknowledged every write so far.

        A replica acknowledges about once a second, and right after a diskless full sync the master holds
        new writes back until that first acknowledgement: a write made then can take ~1 s to arrive.
        """

        def acknowledged() -> bool:
            role = self.command("ROLE")  # ["master", offset, [[host, port, acked offset], ...]]
            return role[0] == "master" and sum(int(r[2]) >= int(role[1]) for r in role[2]) >= replicas

        wait_for(acknowledged, timeout_s=timeout_s, what=f"{replicas} replica(s) of {self.port} to catch up")


class RedisSentinel(_RedisProcess):
    """One Sentinel monitoring `master` under `master_name`. It rewrites its own config file, as Sentinels do."""

    kind = "sentinel"

    def __init__(
        self,
        master: RedisServer,
        *,
        master_name: str = "mymaster",
        quorum: int = 2,
        down_after_ms: int = 5000,
        failover_timeout_ms: int = 60000,
        port: int | None = None,
    ) -> None:
        super().__init__(port=port)
        self.master = master
        self.master_name = master_name
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms

    def _command(self) -> list[str]:
        assert self.dir is not None
        config = self.dir / f"sentinel-{self.port}.conf"
        if not config.exists():  # a restarted Sentinel keeps what it learnt (epochs, replicas, other sentinels)
            name = self.master_name
            config.write_text(
                f"port {self.port}\nbind {LOOPBACK}\ndaemonize no\ndir {self.dir}\n"
                f"sentinel monitor {name} {LOOPBACK} {self.master.port} {self.quorum}\n"
                f"sentinel down-after-milliseconds {name} {self.down_after_ms}\n"
                f"sentinel failover-timeout {name} {self.failover_timeout_ms}\n"
                f"sentinel parallel-syncs {name} 1\n"
            )
        return [*sentinel_command()[:1], str(config), *sentinel_command()[1:]]

    def master_address(self) -> tuple[str, int] | None:
        """What this Sentinel currently believes is the master."""
        reply = self.command("SENTINEL", "get-master-addr-by-name", self.master_name)
        return (reply[0], int(reply[1])) if isinstance(reply, list) and reply else None


def start_sentinels(master: RedisServer, count: int = 3, **kwargs: Any) -> list[RedisSentinel]:
    """`count` Sentinels on `master`; stops the ones already started if a later one fails."""
    sentinels: list[RedisSentinel] = []
    try:
        for _ in range(count):
            sentinels.append(RedisSentinel(master, **kwargs).start())
    except Exception:
        for sentinel in sentinels:
            sentinel.cleanup()
        raise
    return sentinels
