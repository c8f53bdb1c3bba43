"""`mutiroes cluster` finds the cluster's code in a clone and, from an installed wheel, in the data files under
<prefix>/share/mutiroes/deploy: the wheel is built and installed into a fresh prefix, and its `mutiroes cluster`
runs that copy (the clone is not on its path)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from mutiroes.cluster import CANDIDATES, deploy_dir

ROOT = Path(__file__).resolve().parents[2]


def test_a_clone_runs_its_own_deploy_directory():
    assert deploy_dir() == ROOT / "deploy"
    assert CANDIDATES[1] == Path(sys.prefix) / "share" / "mutiroes" / "deploy"


def test_no_deploy_directory_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="deploy/cluster/cluster.py not found"):
        deploy_dir((tmp_path / "a", tmp_path / "b"))


@pytest.mark.system
def test_an_installed_wheel_runs_the_cluster_from_its_data_files(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels),
                            str(ROOT)], capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    [wheel] = wheels.glob("mutiroes-*.whl")
    prefix = tmp_path / "env"
    venv.create(prefix, with_pip=True)  # its own pip (ensurepip, offline): this test's environment is left alone
    python = prefix / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    shared = prefix / "share" / "mutiroes" / "deploy"
    for path in (
        "cluster/cluster.py",
        "nginx/render.py",
        "nginx/snippets/proxy-backend.conf",
        "supervisor/supervisord.conf.template",
        "prometheus/alerts.yml",
        "redis/sentinel.conf.template",
    ):
        assert (shared / path).is_file(), path  # fmt: skip

    data = tmp_path / "nowhere"
    run = subprocess.run([str(python), "-m", "mutiroes", "cluster", "--data", str(data), "status"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert run.returncode == 1 and f"no cluster in {data}" in run.stderr, run.stdout + run.stderr
    usage = subprocess.run([str(python), "-m", "mutiroes", "cluster", "--help"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60, check=False)  # fmt: skip
    assert usage.returncode == 0 and "usage: mutiroes cluster" in usage.stdout, usage.stdout + usage.stderr
    assert str(prefix) in subprocess.run(
        [str(python), "-c", "from mutiroes.cluster import deploy_dir; print(deploy_dir())"], cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
