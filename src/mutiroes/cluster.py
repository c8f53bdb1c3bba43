"""``mutiroes cluster up | down [--purge] | status [--json] | ctl …``: the local cluster (deploy/cluster/).

The cluster's code and templates live in ``deploy/``: in a clone next to ``src/``, in an installed package as
data files under ``<prefix>/share/mutiroes/deploy`` (pyproject.toml's ``data-files``). Either way the same
``cluster.py`` runs, in this interpreter, which is also the Python the cluster's programs run with.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

CANDIDATES = (
    Path(__file__).resolve().parents[2] / "deploy",  # a clone (or an editable install of one)
    Path(sys.prefix) / "share" / "mutiroes" / "deploy",  # an installed wheel
)


def deploy_dir(candidates: tuple[Path, ...] = CANDIDATES) -> Path:
    for candidate in candidates:
        if (candidate / "cluster" / "cluster.py").is_file():
            return candidate
    raise SystemExit("mutiroes cluster: deploy/cluster/cluster.py not found in " + ", ".join(map(str, candidates)))


def main(argv: list[str]) -> int:
    script = deploy_dir() / "cluster" / "cluster.py"
    spec = importlib.util.spec_from_file_location("mutiroes_local_cluster", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return int(module.main(argv, prog="mutiroes cluster"))
