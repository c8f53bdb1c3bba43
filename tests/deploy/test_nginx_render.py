"""deploy/nginx/render.py's `limits` option: the benchmarks' gateway without per-address limits, by configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from deploy.nginx.render import GatewayConfig, check, nginx_binary, render

LIMIT_DIRECTIVE = re.compile(r"(?m)^\s*(limit_req|limit_conn)\s")


def _render(tmp_path: Path, *, limits: bool) -> tuple[str, GatewayConfig, Path]:
    config = GatewayConfig(
        listen="127.0.0.1:9", backends=["127.0.0.1:10"], dashboard="127.0.0.1:11", static_root=tmp_path / "static",
        media_root=tmp_path / "media", runtime_dir=tmp_path / "run", limits=limits,
    )  # fmt: skip
    conf = render(config, tmp_path / ("limited" if limits else "lifted"))
    return (conf.parent / "mutiroes.conf").read_text(), config, conf


@pytest.mark.parametrize("limits", [True, False])
def test_limits_are_rendered_or_lifted_and_nginx_accepts_both(tmp_path: Path, limits: bool) -> None:
    try:
        nginx_binary()
    except FileNotFoundError:
        pytest.skip("nginx is not installed")
    text, config, conf = _render(tmp_path, limits=limits)
    directives = LIMIT_DIRECTIVE.findall(text)
    if limits:
        assert directives.count("limit_req") >= 10 and directives.count("limit_conn") == 1
    else:
        assert directives == []
        assert "limit_req_zone" in text  # the zones stay defined, only their use is gone
    result = check(conf, config)
    assert result.returncode == 0, result.stderr
