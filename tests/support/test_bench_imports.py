"""The benchmarks (bench/) borrow these helpers: every name they import from tests/ must still be there, so a
refactor of the helpers fails here, in the suite everyone runs, not only in `make bench-quick`."""

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _borrowed() -> list[tuple[str, str, str]]:
    found = []
    for script in sorted(BENCH.rglob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(), filename=str(script))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
                found += [(script.name, node.module, alias.name) for alias in node.names]
    return found


def test_the_benchmarks_borrow_some_helpers():
    assert len(_borrowed()) >= 10  # the scan itself works: bench/ imports from tests/ in many places


@pytest.mark.parametrize(("script", "module", "name"), _borrowed())
def test_every_helper_the_benchmarks_import_exists(script, module, name):
    assert hasattr(importlib.import_module(module), name), f"bench/{script}: {module}.{name} is gone"
