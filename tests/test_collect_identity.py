"""Who is who: one body identity for collect and XY-BODY, and one name key for every comparison.

A body is never counted twice because its name carries an invisible character or because a
resubmission corrected its codes; a body renamed under an unchanged credit code is the
same body for collect and for XY-BODY.
"""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from validator.credit_code import check_character
from validator.identity import Identity, same_body
from validator.values import INVISIBLE_CHARACTERS, name_key

from conftest import run_cli
from support.inbox import changed, collect, example, in_force, write_json

NAME = "汾西县人民政府办公室"
IN_FORCE = "proactive.normative_documents.in_force"


def credit(seed: str) -> str:
    first = f"11141000MB{seed:0>7}"[:17]
    return first + check_character(first)


@pytest.mark.parametrize("mark", ["\u200b", "\ufeff", "\u2060", "\u00ad", "\u200e", "\u202e", "\u2066", "\x85"])
def test_name_key_ignores_what_a_reader_cannot_see(mark):
    assert name_key(f"{NAME}{mark}") == name_key(f" {NAME[:3]}{mark}{NAME[3:]} ") == name_key(NAME)
    assert name_key("（办公室）") == name_key("(办公室)")


def test_every_format_character_is_invisible_to_the_name_key():
    """Unicode's format characters (Cf) that show nothing are all dropped; the few Cf that are
    printed signs (Arabic number marks) are the only ones kept."""
    printed_signs = {0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6DD, 0x70F, 0x890, 0x891, 0x8E2, 0x110BD, 0x110CD}
    printed_signs |= set(range(0x13430, 0x13440))
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if unicodedata.category(ch) in ("Cf", "Cc") and code not in printed_signs:
            assert INVISIBLE_CHARACTERS.fullmatch(ch), hex(code)


def test_same_body_is_credit_code_first_then_region_and_name():
    renamed = Identity("新名称", credit_code=credit("1"))
    assert same_body(Identity(NAME, credit_code=credit("1")), renamed)
    assert not same_body(Identity(NAME, credit_code=credit("1")), Identity(NAME, credit_code=credit("2")))
    assert same_body(Identity(NAME + "\u200b", region_code="141024"), Identity(NAME, region_code="141024"))
    assert not same_body(Identity(NAME, region_code="141000"), Identity(NAME, region_code="141024"))


@pytest.mark.parametrize("mark", ["\u200b", "\ufeff", "\u2060"])
@pytest.mark.parametrize("with_roster", [False, True])
def test_an_invisible_character_in_a_name_does_not_make_a_second_body(tmp_path, mark, with_roster):
    write_json(tmp_path / "inbox" / "a.json", example(region_code="141000"))
    write_json(tmp_path / "inbox" / "b.json", changed(example(name=NAME + mark, region_code="141000"), IN_FORCE, 21))
    roster = tmp_path / "名单.csv"
    roster.write_text(f"机关名称,机关类型\n{NAME},部门\n", encoding="utf-8")
    res, data = collect(tmp_path / "inbox", tmp_path, *(["--roster", roster] if with_roster else []))
    [body] = data["bodies"]
    assert body["status"] == "重复报送" and body["files"] == ["a.json", "b.json"]
    assert {d["key"] for d in body["differences"]} == {"body.name", IN_FORCE}
    assert res.code == 1 and in_force(data) == 0


@pytest.mark.parametrize(
    "first, second",
    [
        ({"region_code": "141000"}, {"region_code": "141024"}),  # a corrected 行政区划代码
        ({"credit_code": credit("1")[:-1] + "0"}, {"credit_code": credit("1")}),  # a corrected credit code typo
        ({"region_code": "141000", "credit_code": None}, {"region_code": "141024", "credit_code": credit("3")}),
    ],
)
def test_a_resubmission_that_corrects_its_codes_is_a_duplicate_not_a_second_body(tmp_path, first, second):
    write_json(tmp_path / "inbox" / "a.json", example(**first))
    write_json(tmp_path / "inbox" / "b.json", changed(example(**second), IN_FORCE, 21))
    res, data = collect(tmp_path / "inbox", tmp_path)
    [body] = data["bodies"]
    assert body["status"] == "重复报送" and not body["included"]
    assert res.code == 1 and in_force(data) == 0


def test_identical_resubmission_with_a_corrected_code_still_counts_once(tmp_path):
    """The corrected copy differs only in its code: still two versions, listed, never summed twice."""
    write_json(tmp_path / "inbox" / "a.json", example(region_code="141000"))
    write_json(tmp_path / "inbox" / "b.json", example(region_code="141024"))
    _res, data = collect(tmp_path / "inbox", tmp_path)
    [body] = data["bodies"]
    assert [d["label"] for d in body["differences"]] == ["行政区划代码"]
    assert in_force(data) == 0


def test_two_valid_credit_codes_under_one_name_are_two_bodies_each_flagged(tmp_path):
    write_json(tmp_path / "inbox" / "a.json", example(credit_code=credit("1")))
    write_json(tmp_path / "inbox" / "b.json", example(credit_code=credit("2")))
    res, data = collect(tmp_path / "inbox", tmp_path)
    assert [b["flags"] for b in data["bodies"]] == [["通过", "与其他单位同名"]] * 2
    assert res.code == 0 and in_force(data) == 40


def test_a_roster_that_lists_two_bodies_of_one_name_tells_them_apart_by_region(tmp_path):
    write_json(tmp_path / "inbox" / "a.json", example(region_code="141000"))
    write_json(tmp_path / "inbox" / "b.json", example(region_code="141024"))
    roster = tmp_path / "名单.csv"
    roster.write_text(f"机关名称,行政区划代码\n{NAME},141000\n{NAME},141024\n", encoding="utf-8")
    res, data = collect(tmp_path / "inbox", tmp_path, "--roster", roster)
    assert [(b["region_code"], b["flags"]) for b in data["bodies"]] == [("141000", ["通过"]), ("141024", ["通过"])]
    assert res.code == 0 and in_force(data) == 40


def test_a_file_matched_to_a_roster_row_by_name_whose_code_differs_says_so(tmp_path):
    write_json(tmp_path / "inbox" / "a.json", example(region_code="141000"))
    roster = tmp_path / "名单.csv"
    roster.write_text(f"机关名称,行政区划代码\n{NAME},141024\n", encoding="utf-8")
    res, data = collect(tmp_path / "inbox", tmp_path, "--roster", roster)
    [body] = data["bodies"]
    assert body["flags"] == ["通过", "代码与名单不同"] and body["included"]
    assert res.code == 0


# --------------------------------------------------------------------------- XY-BODY


def last_year_of(data: dict) -> dict:
    out = json.loads(json.dumps(data))
    out["year"], out["published_on"] = 2022, "2023-01-20"
    return out


def test_xy_body_accepts_a_body_renamed_under_its_credit_code(tmp_path):
    last = write_json(tmp_path / "last.json", last_year_of(example(name="汾西县政府办", credit_code=credit("1"))))
    this = write_json(tmp_path / "this.json", example(credit_code=credit("1")))
    res = run_cli("check", this, "--last-year", last, "--json")
    assert not [f for f in json.loads(res.out)["findings"] if f["rule"] == "XY-BODY"]
    other = write_json(tmp_path / "other.json", last_year_of(example(credit_code=credit("2"))))
    res = run_cli("check", this, "--last-year", other, "--json")
    [hit] = [f for f in json.loads(res.out)["findings"] if f["rule"] == "XY-BODY"]
    assert [c["key"] for c in hit["cells"]] == ["body.credit_code"] and res.code == 1


def test_collect_counts_a_renamed_body_checked_against_its_last_year(tmp_path):
    """collect matches last year's report by credit code; XY-BODY asks the same question, so the
    renamed body is neither failed nor left out of the 汇总."""
    write_json(tmp_path / "inbox" / "a.json", example(credit_code=credit("1")))
    write_json(tmp_path / "last" / "a.json", last_year_of(example(name="汾西县政府办", credit_code=credit("1"))))
    res, data = collect(tmp_path / "inbox", tmp_path, "--last-year", tmp_path / "last")
    [body] = data["bodies"]
    assert body["last_year"] == "a.json" and body["status"] == "通过" and body["included"]
    assert res.code == 0 and in_force(data) == 20


def test_collect_profile_downgrades_xy_body_of_a_renamed_body(tmp_path):
    """The roster knows the credit code the reports leave blank: last year's report (old name,
    with the code) is the body's, XY-BODY sees two names and no code pair; a profile that makes
    XY-BODY a 提示 lets the body be counted, as ``check --profile`` would."""
    write_json(tmp_path / "inbox" / "a.json", example())
    write_json(tmp_path / "last" / "a.json", last_year_of(example(name="汾西县政府办", credit_code=credit("1"))))
    roster = tmp_path / "名单.csv"
    roster.write_text(f"机关名称,统一社会信用代码\n{NAME},{credit('1')}\n", encoding="utf-8")
    args = ["--last-year", tmp_path / "last", "--roster", roster]
    res, data = collect(tmp_path / "inbox", tmp_path, *args)
    [body] = data["bodies"]
    [xy] = [f for f in data["files"][0]["findings"] if f["rule"] == "XY-BODY"]
    assert xy["severity"] == "error" and body["status"] == "有错误" and not body["included"] and res.code == 1
    profile = tmp_path / "p.toml"
    profile.write_text('[rules.XY-BODY]\nseverity = "提示"\n', encoding="utf-8")
    res, data = collect(tmp_path / "inbox", tmp_path, *args, "--profile", profile)
    [body] = data["bodies"]
    [xy] = [f for f in data["files"][0]["findings"] if f["rule"] == "XY-BODY"]
    assert xy["severity"] == "warning" and body["status"] == "有提示" and body["included"]
    assert res.code == 0 and in_force(data) == 20
