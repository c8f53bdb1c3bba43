"""Render the gateway's nginx configuration into one directory (standard library only).

    python deploy/nginx/render.py --out DIR --listen 127.0.0.1:8080 \\
        --backend 127.0.0.1:8001 --backend 127.0.0.1:8002 --backend 127.0.0.1:8003 \\
        --dashboard 127.0.0.1:5555 --static-root /srv/static --media-root /srv/media \\
        --runtime-dir /srv/nginx [--cors-origin https://app.example.org] \\
        [--web 127.0.0.1:3001 --web 127.0.0.1:3002 --internal-listen 127.0.0.1:8081] [--no-limits] [--check]

DIR gets nginx.conf, mutiroes.conf, upstreams.conf (and its static copy upstreams.static.conf), origins.conf
and snippets/; the runtime dir gets the
cache, temp files and logs. Only ``${MUTIROES_*}`` placeholders are replaced (nginx's own ``$variables`` are
left alone, as envsubst with an explicit list would), and a placeholder left without a value is an error.
Used by deploy/cluster/cluster.py and tests/gateway; importable as ``deploy.nginx.render``.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = {
    "nginx.conf.template": "nginx.conf",
    "mutiroes.conf": "mutiroes.conf",
    "upstreams.conf.template": "upstreams.conf",
    "origins.conf.template": "origins.conf",
}
PLACEHOLDER = re.compile(r"\$\{(MUTIROES_[A-Z0-9_]+)\}")
ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


@dataclass
class GatewayConfig:
    listen: str  # "127.0.0.1:8080", or "80" in a container
    backends: list[str]  # "host:port" of each API replica
    dashboard: str  # "host:port" of `mutiroes dashboard`
    static_root: Path
    media_root: Path
    runtime_dir: Path  # cache/, temp/, logs/ and the pid file go here
    cors_origins: list[str] = field(default_factory=list)
    worker_processes: str = "auto"
    max_fails: int = 3
    fail_timeout_s: int = 10
    # None keeps snippets/proxy-headers.conf's proxy_read_timeout (15 s); a test may shorten it.
    proxy_read_timeout_s: int | None = None
    web: list[str] = field(default_factory=list)  # "host:port" of each web app replica
    # Where the web replicas reach the API (server-side rendering, /api forwarding): the same upstream without the
    # public limits, which the visitor's request already passed at the public listener. None: no such listener.
    internal_listen: str | None = None
    # False renders the public listener without its per-address rate and connection limits (limit_req,
    # limit_conn): for benchmarks, where one address makes every request. Never for a public deployment.
    limits: bool = True
    # A TLS listener beside the plain one: "host:port" with the PEM certificate (chain) and its key. HSTS is sent
    # only on it. None: plain HTTP only (a TLS-terminating proxy in front, or a test setup).
    tls_listen: str | None = None
    tls_certificate: Path | None = None
    tls_certificate_key: Path | None = None

    @property
    def log_dir(self) -> Path:
        return self.runtime_dir / "logs"

    @property
    def pid_file(self) -> Path:
        return self.runtime_dir / "nginx.pid"

    def values(self) -> dict[str, str]:
        if not self.backends:
            raise ValueError("at least one backend is needed")
        for address in [*self.backends, *self.web, self.dashboard]:
            if not ADDRESS.match(address):
                raise ValueError(f"not a host:port address: {address!r}")
        for origin in self.cors_origins:
            if not re.match(r"^https?://[A-Za-z0-9.\-]+(:\d+)?$", origin):
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        servers = "\n".join(
            f"    server {address} max_fails={self.max_fails} fail_timeout={self.fail_timeout_s}s;"
            for address in self.backends
        )
        origins = "\n".join(f'    "{origin}" $http_origin;' for origin in self.cors_origins)
        web = (
            "\n".join(
                f"    server {address} max_fails={self.max_fails} fail_timeout={self.fail_timeout_s}s;"
                for address in self.web
            )
            or "    server 127.0.0.1:9 down;"
        )
        return {
            "MUTIROES_GATEWAY_LISTEN": self.listen,
            "MUTIROES_TLS_LISTEN": self.tls_lines(),
            "MUTIROES_BACKEND_SERVERS": servers,
            "MUTIROES_WEB_SERVERS": web,
            "MUTIROES_INTERNAL_SERVER": internal_server(self.internal_listen),
            "MUTIROES_DASHBOARD_ADDRESS": self.dashboard,
            "MUTIROES_CORS_ORIGIN_LINES": origins,
            "MUTIROES_STATIC_ROOT": str(self.static_root).rstrip("/"),
            "MUTIROES_MEDIA_ROOT": str(self.media_root).rstrip("/"),
            "MUTIROES_CACHE_DIR": str(self.runtime_dir / "cache"),
            "MUTIROES_NGINX_LOG_DIR": str(self.log_dir),
            "MUTIROES_NGINX_TEMP_DIR": str(self.runtime_dir / "temp"),
            "MUTIROES_NGINX_WORKER_PROCESSES": self.worker_processes,
        }

    def tls_lines(self) -> str:
        if self.tls_listen is None:
            return "# (no TLS listener: plain HTTP only)"
        if self.tls_certificate is None or self.tls_certificate_key is None:
            raise ValueError("a TLS listener needs tls_certificate and tls_certificate_key")
        return (
            f"listen {self.tls_listen} ssl default_server;\n"
            f"    ssl_certificate {self.tls_certificate};\n"
            f"    ssl_certificate_key {self.tls_certificate_key};\n"
            "    ssl_protocols TLSv1.2 TLSv1.3;"
        )


def internal_server(listen: str | None) -> str:
    """The web tier's way to the API: /api/ only, no rate or connection limits, the visitor's address kept."""
    if listen is None:
        return "# (no internal listener for a web tier)"
    return f"""server {{
    listen {listen};
    server_name _;
    server_tokens off;
    access_log off;
    client_max_body_size 10m;
    location /api/ {{
        # The web app passes on the X-Forwarded-For its visitor's request came with (the public listener wrote
        # it): the API's per-address throttles then see the visitor, not the web replica.
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $http_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-ID $request_id;
        proxy_set_header traceparent $mutiroes_traceparent;
        proxy_connect_timeout 2s;
        proxy_read_timeout 15s;
        proxy_next_upstream error timeout http_502;
        proxy_next_upstream_tries 2;
        proxy_pass http://mutiroes_api;
    }}
    location / {{
        return 404;
    }}
}}
"""


LIMIT_LINE = re.compile(r"(?m)^[ \t]*limit_(?:req zone|conn mutiroes_conn)\b[^;]*;[ \t]*\n")


def without_limits(text: str) -> str:
    """mutiroes.conf with every limit_req and limit_conn directive removed (their zones stay defined, unused)."""
    lifted, count = LIMIT_LINE.subn("", text)
    if count == 0:
        raise ValueError("mutiroes.conf: no limit_req/limit_conn lines found to lift")
    return lifted


def substitute(text: str, values: dict[str, str], *, source: str = "template") -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise KeyError(f"{source}: no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def render(config: GatewayConfig, out_dir: Path) -> Path:
    """Write the configuration into out_dir (created); return the path of its nginx.conf."""
    values = config.values()
    out_dir.mkdir(parents=True, exist_ok=True)
    for source, target in TEMPLATES.items():
        text = substitute((HERE / source).read_text(), values, source=source)
        if target == "mutiroes.conf" and not config.limits:
            text = without_limits(text)
        (out_dir / target).write_text(text)
    # The static list, kept beside the include: `mutiroes consul-render --template upstreams.static.conf
    # --output upstreams.conf` rewrites the include from Consul and falls back to this.
    shutil.copyfile(out_dir / "upstreams.conf", out_dir / "upstreams.static.conf")
    snippets = out_dir / "snippets"
    snippets.mkdir(exist_ok=True)
    for snippet in sorted((HERE / "snippets").glob("*.conf")):
        text = substitute(snippet.read_text(), values, source=snippet.name)
        if snippet.name == "proxy-headers.conf" and config.proxy_read_timeout_s is not None:
            line = f"proxy_read_timeout {config.proxy_read_timeout_s}s;"
            text, count = re.subn(r"(?m)^proxy_read_timeout \d+s;", line, text)
            if count != 1:
                raise ValueError(f"{snippet.name}: expected one proxy_read_timeout line, found {count}")
        (snippets / snippet.name).write_text(text)
    for directory in (config.runtime_dir, config.log_dir, config.runtime_dir / "temp"):
        directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # The workers run as an unprivileged user: they must be able to reach the files they serve and write.
        for directory in (out_dir, config.runtime_dir):
            directory.chmod(0o755)
    return out_dir / "nginx.conf"


def worker_user() -> str | None:
    """`user ...;` for a master started as root: nobody and its group (nogroup on Debian); None otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        nobody = pwd.getpwnam("nobody")
        return f"nobody {grp.getgrgid(nobody.pw_gid).gr_name}"
    except KeyError:
        return None


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        raise FileNotFoundError("nginx not found: apt-get install nginx (its service need not run)")
    return found


def command(conf: Path, config: GatewayConfig, *extra: str) -> list[str]:
    """The command that runs nginx in the foreground with this configuration (for a supervisor or a test)."""
    directives = f"daemon off; pid {config.pid_file};"
    user = worker_user()
    if user:
        directives += f" user {user};"
    return [nginx_binary(), "-p", str(conf.parent), "-c", str(conf), "-e", str(config.log_dir / "error.log"),
            "-g", directives, *extra]  # fmt: skip


def check(conf: Path, config: GatewayConfig) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the rendered configuration."""
    cmd = command(conf, config, "-t", "-q")
    return subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv, no shell


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the rendered configuration")
    parser.add_argument("--listen", required=True, help="host:port (or port) the gateway listens on")
    parser.add_argument("--backend", action="append", required=True, help="host:port of an API replica (repeat)")
    parser.add_argument("--dashboard", required=True, help="host:port of the Dramatiq dashboard")
    parser.add_argument("--static-root", type=Path, required=True)
    parser.add_argument("--media-root", type=Path, required=True)
    parser.add_argument("--runtime-dir", type=Path, required=True, help="cache, temp files, logs, pid file")
    parser.add_argument("--cors-origin", action="append", default=[], help="an allowed origin (repeat)")
    parser.add_argument("--workers", default="auto", help="nginx worker_processes")
    parser.add_argument("--web", action="append", default=[], help="host:port of a web app replica (repeat)")
    parser.add_argument("--internal-listen", help="host:port where the web replicas reach the API, unlimited")
    parser.add_argument("--tls-listen", help="host:port of a TLS listener (with --tls-certificate and --tls-key)")
    parser.add_argument("--tls-certificate", type=Path, help="PEM certificate chain for --tls-listen")
    parser.add_argument("--tls-key", type=Path, help="PEM private key for --tls-listen")
    parser.add_argument("--no-limits", action="store_true", help="no per-address limits (benchmarks only)")
    parser.add_argument("--check", action="store_true", help="run nginx -t on the result")
    args = parser.parse_args(list(argv) if argv is not None else None)
    config = GatewayConfig(
        listen=args.listen, backends=args.backend, dashboard=args.dashboard, static_root=args.static_root,
        media_root=args.media_root, runtime_dir=args.runtime_dir, cors_origins=args.cors_origin,
        worker_processes=args.workers, web=args.web, internal_listen=args.internal_listen,
        limits=not args.no_limits, tls_listen=args.tls_listen, tls_certificate=args.tls_certificate,
        tls_certificate_key=args.tls_key,
    )  # fmt: skip
    conf = render(config, args.out)
    print(shlex.join(command(conf, config)))
    if args.check:
        result = check(conf, config)
        sys.stderr.write(result.stderr)
        return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
