"""README and docs/ stay true: the quick start runs, the tables are the ones generated from the
data, the rule count is the data's, and every link and repository path they name exists."""

from __future__ import annotations

import glob
import re
import shlex
import tomllib

from validator.docs import keys_markdown, rules_markdown
from validator.formats import get_format

from conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
MAIN_JOB = "uv run xxgk check examples/fenxi-zfb_2023.xlsx && uv run xxgk export examples/fenxi-zfb_2023.xlsx -o -"
TEST_COMMAND = "uv run --dev pytest"
END_MARK = "<!-- end generated -->"

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\s]+)`")
REPO_DIRS = ("validator/", "addin/", "tests/", "tools/", "benchmarks/", "docs/", "examples/", "xlsx_templates/", ".ci/")


def _generated(page: str, mark: str) -> str:
    """What stands between a page's generated-table marks (tools/rebuild_generated.py rewrites it)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return text.split(mark + "\n", 1)[1].split("\n" + END_MARK, 1)[0]


def test_rule_table_is_generated_from_the_rule_data():
    assert _generated("rules.md", "<!-- generated: xxgk rules --markdown -->") == rules_markdown()


def test_key_table_is_generated_from_the_format_data():
    assert _generated("json.md", "<!-- generated: xxgk rules --markdown --keys -->") == keys_markdown()


def test_the_rule_count_quoted_is_the_rule_data():
    count = len(get_format().rules)
    assert f"{count} 条规则" in README and f"against {count} data-defined" in README


def test_quick_start_commands_work_and_write_nothing_into_the_repository(monkeypatch):
    lines = README.splitlines()
    assert MAIN_JOB in lines and TEST_COMMAND in lines
    monkeypatch.chdir(ROOT)
    before = sorted(p.name for p in ROOT.iterdir())
    outputs = []
    for command in MAIN_JOB.split(" && "):
        result = run_cli(*shlex.split(command)[3:])  # drop "uv run xxgk"
        assert result.code == 0, result.err
        outputs.append(result.out)
    assert outputs[-1] == (ROOT / "examples" / "fenxi-zfb_2023.json").read_text(encoding="utf-8")
    assert sorted(p.name for p in ROOT.iterdir()) == before


def test_ci_runs_the_readme_test_command_and_every_tool_with_the_dev_group():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    runs = [line for line in ci.splitlines() if line.startswith("uv run ")]
    assert TEST_COMMAND in runs
    assert {"ruff", "mypy", "lint-imports", "pytest"} <= {line.split()[3] for line in runs}
    assert all(line.startswith("uv run --dev ") for line in runs), runs


def test_a_plain_uv_run_installs_no_test_tools():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["uv"]["default-groups"] == []
    dev = {re.split(r"[<>=\[ ]", req, maxsplit=1)[0].lower() for req in project["dependency-groups"]["dev"]}
    assert {"pytest", "hypothesis", "ruff", "mypy", "import-linter", "playwright"} <= dev
    runtime = {re.split(r"[<>=\[ ]", req, maxsplit=1)[0].lower() for req in project["project"]["dependencies"]}
    assert not runtime & dev


def _current(page):
    """A page's text without sections that record the past as it was (they name retired code)."""
    text = page.read_text(encoding="utf-8")
    return re.split(r"^## Earlier measurements.*$", text, maxsplit=1, flags=re.M)[0]


def test_every_relative_link_resolves():
    missing = []
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                missing.append(f"{page.relative_to(ROOT)}: {target}")
    assert not missing, missing


def test_every_repository_path_named_exists():
    """`validator/…`, `tests/…`, `benchmarks/…` in backticks name files that exist (a rename
    elsewhere must update the docs); `<id>` and `*` are wildcards, `::name` a test in a file."""
    missing = []
    for page in PAGES:
        for name in CODE.findall(_current(page)):
            path = name.split("::", 1)[0]
            if not path.startswith(REPO_DIRS):
                continue
            pattern = re.sub(r"<[^>]*>|…", "*", path)
            if not glob.glob(str(ROOT / pattern)):
                missing.append(f"{page.relative_to(ROOT)}: {name}")
    assert not missing, missing
