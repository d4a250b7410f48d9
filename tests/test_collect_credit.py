"""body.credit_code (统一社会信用代码): the GB 32100-2015 rule, the JSON/workbook round trip, and
collect matching bodies by it first."""

from __future__ import annotations

import copy
import json

import pytest

from validator.credit_code import check_character, problem

from conftest import REPORTS, run_cli
from support.inbox import renamed, source, write_json

VALID = ("914403001922038216", "91440300708461136T", "91330100799655058B", "91350100M000100Y43")


@pytest.mark.parametrize("code", VALID)
def test_published_codes_are_valid(code):
    assert problem(code) is None
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    "code, why",
    [
        ("91440300708461136X", "校验码（第 18 位）应为 T"),
        ("9144030070846113", "应为 18 位（现为 16 位）"),
        ("91440300708461I36T", "不允许的字符“I”"),
    ],
)
def test_bad_codes(code, why):
    assert why in problem(code)


def _with_code(code: str | None) -> dict:
    data = source("fenxi-zfb_2023")
    data["body"]["credit_code"] = code
    return data


def test_rule_meta_credit_in_check(tmp_path):
    good = write_json(tmp_path / "good.json", _with_code(VALID[0]))
    bad = write_json(tmp_path / "bad.json", _with_code(VALID[0][:-1] + "7"))
    assert run_cli("check", good).code == 0
    res = run_cli("check", bad, "--json")
    assert res.code == 1
    [finding] = [f for f in json.loads(res.out)["findings"] if f["rule"] == "META-CREDIT"]
    assert finding["cells"] == [{"ref": "封面!B9", "key": "body.credit_code"}]
    assert "校验码（第 18 位）应为 6" in finding["message"]


def test_credit_code_round_trips_through_the_workbook(tmp_path):
    src = write_json(tmp_path / "a.json", _with_code(VALID[1]))
    assert run_cli("fill", src, "-o", tmp_path / "a.xlsx").code == 0
    assert run_cli("export", tmp_path / "a.xlsx", "-o", tmp_path / "b.json").code == 0
    assert json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["body"]["credit_code"] == VALID[1]


def test_old_workbooks_without_the_credit_code_row_still_read(tmp_path):
    import openpyxl

    book = tmp_path / "old.xlsx"
    wb = openpyxl.load_workbook(REPORTS / "fenxi-zfb_2023.xlsx")
    wb["封面"]["A9"] = None  # a workbook made before the row existed
    wb.save(book)
    assert run_cli("check", book).code == 0


def test_collect_matches_by_credit_code_before_name(tmp_path):
    inbox = tmp_path / "inbox"
    renamed_body = renamed(_with_code(VALID[0]), "汾西县人民政府办公室（更名后）")
    write_json(inbox / "a.json", renamed_body)
    namesake = copy.deepcopy(_with_code(VALID[2]))
    write_json(inbox / "b.json", namesake)  # same name as the roster row, another valid code: another body
    roster = tmp_path / "名单.csv"
    roster.write_text(f"机关名称,统一社会信用代码\n汾西县人民政府办公室,{VALID[0]}\n", encoding="utf-8")
    res = run_cli(
        "collect", inbox, "-o", tmp_path / "s.xlsx", "--roster", roster, "--json", tmp_path / "r.json", "--quiet"
    )
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    bodies = {(b["name"], b["credit_code"]): b for b in data["bodies"]}
    assert bodies[("汾西县人民政府办公室", VALID[0])]["files"] == ["a.json"]
    assert bodies[("汾西县人民政府办公室", VALID[2])]["flags"] == ["通过", "不在名单", "与其他单位同名"]
    assert "与其他单位同名" in bodies[("汾西县人民政府办公室", VALID[0])]["flags"]
    assert res.code == 0
