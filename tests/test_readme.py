"""README stays true: its tables are the ones generated from the data, its commands are real."""

from __future__ import annotations

import shlex

from validator.docs import keys_markdown, rules_markdown
from validator.formats import get_format

from conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAIN_JOB = (
    "uv run xxgk check examples/fenxi-zfb_2023.xlsx && "
    "uv run xxgk export examples/fenxi-zfb_2023.xlsx -o fenxi-zfb_2023.json"
)


def test_rule_table_is_generated_from_the_rule_data():
    assert rules_markdown() in README


def test_the_rule_count_quoted_is_the_rule_data():
    count = len(get_format().rules)
    assert f"{count} 条规则" in README and f"against {count} data-defined" in README


def test_key_table_is_generated_from_the_format_data():
    assert keys_markdown() in README


def test_quick_start_commands_work(tmp_path, monkeypatch):
    assert MAIN_JOB in README and "\nuv run pytest\n" in README
    monkeypatch.chdir(ROOT)
    for command in MAIN_JOB.split(" && "):
        args = shlex.split(command)[3:]  # drop "uv run xxgk"
        if "-o" in args:
            args[args.index("-o") + 1] = str(tmp_path / "out.json")
        result = run_cli(*args)
        assert result.code == 0, result.err
    assert (tmp_path / "out.json").exists()


def test_ci_runs_the_readme_test_command():
    assert "uv run pytest" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
