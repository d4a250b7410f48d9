"""Import discipline of validator/ and addin/ (issue 19 §1): a first-party import inside a
function says in one line why it is not at the top of its module, and the reason holds.

Two reasons exist, written as a comment on the import statement:

- ``# lazy: loads openpyxl`` (or several, ``# lazy: loads jinja2, docx``): what is imported leads
  to a heavy third-party library that the importing module does not load otherwise;
- ``# lazy: off the check path``: the importing module is loaded by a single check or the Excel
  button's import, the imported one is not (so the check does not pay for it).

Any other function-level first-party import belongs at the top of its module. Heavy
third-party imports inside functions (``import openpyxl``) need no comment.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("validator", "addin")
HEAVY = frozenset(
    {"pydantic", "openpyxl", "xlsxwriter", "lxml", "pypdfium2", "docx", "jinja2", "starlette", "uvicorn", "xlwings"}
)
REASON = re.compile(r"#\s*lazy:\s*(?P<text>.*?)\s*$")
LOADS = re.compile(r"loads (?P<libs>\w+(?:, \w+)*)")
OFF_PATH = "off the check path"
EXAMPLE = ROOT / "examples" / "fenxi-zfb_2023"
CHECK_PATHS = {
    "import validator.api": "import validator.api",
    "import addin.excel (the Excel button)": "import addin.excel",
    "xxgk check example.xlsx": f"sys.argv = ['xxgk', 'check', {str(EXAMPLE) + '.xlsx'!r}]; runpy.run_module('validator', run_name='__main__')",
    "xxgk check example.json": f"sys.argv = ['xxgk', 'check', {str(EXAMPLE) + '.json'!r}]; runpy.run_module('validator', run_name='__main__')",
}


@dataclass(frozen=True)
class Import:
    importer: str
    where: str
    targets: tuple[str, ...]
    in_function: bool
    reason: str | None


@cache
def _module_names() -> dict[str, tuple[Path, bool]]:
    names = {}
    for package in FIRST_PARTY:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            names[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return names


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING"


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known) -> tuple[str, ...]:
    if isinstance(node, ast.Import):
        return tuple(alias.name for alias in node.names)
    source = node.module or ""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    return tuple(f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names)


def _module_imports(module: str, path: Path, is_package: bool, known) -> list[Import]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    todo: list[tuple[ast.AST, bool]] = [(ast.parse("\n".join(lines)), False)]
    while todo:
        node, in_function = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                todo += [(other, in_function) for other in child.orelse]
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                reasons = [REASON.search(line) for line in lines[child.lineno - 1 : child.end_lineno]]
                reason = next((r["text"] for r in reasons if r), None)
                targets = tuple(sorted(set(_targets(child, module, is_package, known))))
                where = f"{path.relative_to(ROOT)}:{child.lineno}"
                found.append(Import(module, where, targets, in_function, reason))
            todo.append((child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))))
    return found


@cache
def _imports() -> tuple[Import, ...]:
    known = _module_names()
    return tuple(imp for module, (path, pkg) in known.items() for imp in _module_imports(module, path, pkg, known))


def _first_party(name: str) -> bool:
    return name.split(".")[0] in FIRST_PARTY


def _lazy() -> list[Import]:
    return [i for i in _imports() if i.in_function and any(_first_party(t) for t in i.targets)]


def _owner(name: str) -> str:
    """The first-party module a dotted import name lives in (``validator.spec.FormatSpec`` → ``validator.spec``)."""
    known = _module_names()
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


@cache
def _edges(lazy_too: bool) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {}
    for imp in _imports():
        if lazy_too or not imp.in_function:
            edges.setdefault(imp.importer, []).extend(imp.targets)
    return edges


def _reach(start: str, *, lazy_too: bool) -> set[str]:
    """Top-level packages `start` imports, through its first-party modules (their parents
    included); with `lazy_too` also through imports made inside functions."""
    edges = _edges(lazy_too)
    seen, todo, packages = set(), [start], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        for target in edges.get(module, ()):
            if _first_party(target):
                todo.append(_owner(target))
            else:
                packages.add(target.split(".")[0])
    return packages


def test_a_first_party_import_inside_a_function_says_why_it_is_lazy():
    unexplained = [
        f"{i.where} {', '.join(i.targets)} (reason: {i.reason!r})"
        for i in _lazy()
        if i.reason is None or not (i.reason == OFF_PATH or LOADS.fullmatch(i.reason))
    ]
    assert not unexplained, (
        "move these imports to the top of their module, or say why they stay inside the function "
        f"('# lazy: loads <library>' or '# lazy: {OFF_PATH}'):\n" + "\n".join(unexplained)
    )


def test_a_lazy_import_that_loads_a_library_leads_to_it_and_its_importer_does_not():
    wrong = []
    for imp in _lazy():
        claim = LOADS.fullmatch(imp.reason or "")
        if claim is None:
            continue
        libs = claim["libs"].split(", ")
        reached = set().union(*(_reach(_owner(t), lazy_too=True) for t in imp.targets))
        already = _reach(imp.importer, lazy_too=False)
        for lib in libs:
            if lib not in HEAVY:
                wrong.append(f"{imp.importer} ({imp.where}): {lib} is not a heavy library ({sorted(HEAVY)})")
            elif lib not in reached:
                wrong.append(f"{imp.importer} ({imp.where}): {', '.join(imp.targets)} never imports {lib}")
            elif lib in already:
                wrong.append(f"{imp.importer} ({imp.where}): {lib} is loaded by {imp.importer}'s own imports anyway")
    assert not wrong, "\n".join(wrong)


def _loaded_by_check_paths() -> dict[str, set[str]]:
    probe = (
        "import atexit, json, runpy, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(m for m in sys.modules if m.startswith(('validator', 'addin'))))))\n"
    )
    loaded = {}
    for name, code in CHECK_PATHS.items():
        out = subprocess.run(
            [sys.executable, "-c", probe + code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        loaded[name] = set(json.loads(out.strip().splitlines()[-1]))
    return loaded


def test_a_lazy_import_off_the_check_path_is_one_a_check_does_not_load():
    """Each import marked 'off the check path' sits in a module that a single check (or the
    Excel button's import) loads while the imported module stays unloaded on that path."""
    marked = [i for i in _lazy() if i.reason == OFF_PATH]
    assert marked
    loaded = _loaded_by_check_paths()
    assert all(loaded.values())
    wrong = [
        f"{imp.where}: {', '.join(imp.targets)} is loaded on every check path that loads {imp.importer}"
        for imp in marked
        if not any(
            imp.importer in modules and not any(_owner(t) in modules for t in imp.targets)
            for modules in loaded.values()
        )
    ]
    assert not wrong, "\n".join(wrong)
