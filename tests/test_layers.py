"""The import-linter contract (pyproject.toml, checked by lint-imports in make test) places every package: a new
package or a new module of the jobs package, which spans two layers, fails here until it has its layer."""

import re
import tomllib
from pathlib import Path

import mutiroes

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
SPLIT = {"jobs"}  # packages whose modules sit in different layers, each named in the contract


def _modules(package: Path, prefix: str) -> set[str]:
    return {
        f"{prefix}.{child.stem}"
        for child in package.iterdir()
        if (child.suffix == ".py" and child.stem != "__init__") or (child / "__init__.py").exists()
    }


def test_every_package_of_the_project_is_in_a_layer():
    [contract] = [c for c in tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
                  if c["type"] == "layers"]  # fmt: skip
    named = {module.strip() for layer in contract["layers"] for module in re.split(r"[|:]", layer)}
    root = Path(mutiroes.__file__).parent
    expected = set()
    for module in _modules(root, "mutiroes"):
        name = module.rsplit(".", 1)[1]
        expected |= _modules(root / name, module) if name in SPLIT else {module}

    assert expected - named == set()
    assert named - expected == set()  # no layer names a module that is gone
