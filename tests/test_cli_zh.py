"""The command line speaks Chinese: argparse's words, help with examples, aligned columns,
and the small messages staff met in the issue (workbook given for JSON, empty 机关类型)."""

from __future__ import annotations

import re

import openpyxl
import pytest

from validator.cli.program import _parser
from validator.cli.zh import width

from conftest import REPORTS, ROOT, run_cli

ENGLISH = re.compile(
    r"\b(usage|options|positional|arguments?|required|invalid|choose|help|show|exit|error)\b", re.IGNORECASE
)


def _commands() -> list[str]:
    sub = next(a for a in _parser()._actions if a.dest == "command")
    return list(sub.choices)


@pytest.mark.parametrize("command", ["", *_commands()])
def test_every_help_is_chinese_with_an_example_and_every_argument_explained(command):
    result = run_cli(*([command] if command else []), "--help")
    assert result.code == 0
    out = result.out
    assert out.startswith("用法：") and "示例：\n  xxgk" in out
    assert not ENGLISH.search(out.replace("--help", "").replace("-h,", "")), out
    # argparse's default metavar is the option's name in capitals
    assert not re.search(r"-[\w-]+ [A-Z][A-Z_]+\b", out), out
    parser = _parser()
    if command:
        parser = next(a for a in parser._actions if a.dest == "command").choices[command]
    for action in parser._actions:
        assert action.help, (command, action.dest)


@pytest.mark.parametrize(
    "args, says",
    [
        (("export", "x.xlsx"), "缺少必需的参数：-o/--out"),
        (("collect", "inbox", "-o", "x.xlsx", "--type", "乙"), "无效的选项 '乙'（可选：'政府', '部门', '乡镇'）"),
        (("rules", "--bogus"), "不认识的参数：--bogus"),
        (("check",), "缺少必需的参数：文件"),
        (("bogus",), "无效的选项 'bogus'"),
    ],
)
def test_argument_errors_are_chinese(args, says):
    result = run_cli(*args)
    assert result.code == 2
    assert says in result.err and result.err.startswith("用法：")
    assert not ENGLISH.search(result.err.replace("-h ", "")), result.err


@pytest.mark.parametrize("command", [("fill", "{wb}", "-o", "{out}"), ("new", "--from", "{wb}", "-o", "{out}")])
def test_a_workbook_given_for_json_is_named_as_such(command, tmp_path):
    args = [a.format(wb=REPORTS / "pingtan_2021.xlsx", out=tmp_path / "out.xlsx") for a in command]
    result = run_cli(*args)
    assert result.code == 2 and "这是 Excel 工作簿" in result.err and "需要 JSON 文件" in result.err
    assert "UTF-8" not in result.err and not (tmp_path / "out.xlsx").exists()


def test_rules_columns_align_by_display_width():
    from validator.formats import get_format

    lines = run_cli("rules").out.splitlines()
    rules = get_format().rules
    assert len(lines) == len(rules)
    starts = {width(line[: line.index(r.title)]) for line, r in zip(lines, rules)}
    assert len(starts) == 1, starts


def test_rules_keys_without_markdown_prints_the_key_table():
    result = run_cli("rules", "--keys")
    assert result.code == 0 and result.out == run_cli("rules", "--markdown", "--keys").out
    assert "| `review_litigation.litigation_direct.total` | 表四!J4 |" in result.out


def test_empty_body_type_says_not_filled(workbook_copy):
    path = workbook_copy("pingtan_2021")
    wb = openpyxl.load_workbook(path)
    wb["封面"]["B5"] = None
    wb.save(path)
    result = run_cli("check", path)
    assert "机关类型未填写：应为“政府”“部门”或“乡镇”之一" in result.out and "空白" not in result.out


def test_excel_setup_off_windows_says_the_setting_only_matters_on_windows(tmp_path):
    pytest.importorskip("xlwings")
    result = run_cli("excel-setup", "--to", tmp_path)
    assert result.code == 0 and "本机不是 Windows" in result.out and "只在 Windows 版 Excel 中起作用" in result.out


def test_example_workbook_status_matches_a_fresh_check():
    example = ROOT / "examples" / "fenxi-zfb_2023.xlsx"
    status = openpyxl.load_workbook(example)["封面"]["B13"].value
    fresh = run_cli("check", example).out.splitlines()[0].split("：", 1)[1]
    assert status in (None, fresh)
