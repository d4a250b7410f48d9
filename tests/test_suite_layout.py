"""The test suite's own layout: shared helpers live in tests/support/, so no test module (nor a
benchmark or a tool) imports a test module, and tests/ holds only conftest.py and test modules."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent
# helper modules that once sat beside the tests; they live in support/ now
OLD_HELPERS = {"lo_session", "lo_driver", "render_support", "png_pixels"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module `path` imports, at module level or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_another_test_module():
    offenders = {
        path.relative_to(ROOT).as_posix(): sorted(
            name for name in imported_modules(path) if name.startswith("test_") or name in OLD_HELPERS
        )
        for folder in (TESTS, ROOT / "benchmarks", ROOT / "tools")
        for path in sorted(folder.rglob("*.py"))
        if "fixtures" not in path.parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}, "move shared helpers to tests/support/"


def test_helpers_live_in_support():
    loose = sorted(p.name for p in TESTS.glob("*.py") if p.name != "conftest.py" and not p.name.startswith("test_"))
    assert loose == [], "shared test helpers belong in tests/support/"
