"""The 汇总 as a report: marked as a sum so a later collect never sums it again, and kept
in the inbox's own format, 2019 included."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from validator.formats import get_format
from validator.jsonio import dump_model, load_json, report_to_model
from validator.submission import Submission

from conftest import REPORTS, run_cli
from support.inbox import collect, example, in_force, write_json

AS = ["--as", "某县人民政府", "--type", "政府"]


@pytest.fixture
def towns(tmp_path) -> Path:
    for name in ("甲镇", "乙镇"):
        write_json(tmp_path / "inbox" / f"{name}.json", example(name=name, type="乡镇"))
    return tmp_path / "inbox"


@pytest.mark.slow
def test_a_previous_aggregate_left_in_the_inbox_is_never_summed_again(towns, tmp_path):
    """Both halves of the pair (the JSON and the filled workbook) are recognised."""
    res, first = collect(towns, tmp_path, *AS, "--aggregate", towns / "某县汇总.json")
    assert res.code == 0 and in_force(first) == 40
    assert json.loads((towns / "某县汇总.json").read_text(encoding="utf-8"))["aggregate"] == {
        "bodies": ["乙镇", "甲镇"]
    }
    res, second = collect(towns, tmp_path)
    assert [b["name"] for b in second["bodies"]] == ["乙镇", "甲镇"] and in_force(second) == 40
    set_aside = {f["file"]: f for f in second["files"] if f.get("code") == "aggregate"}
    assert set(set_aside) == {"某县汇总.json", "某县汇总.xlsx"}
    assert "乙镇、甲镇 2 个单位也在本次汇总中" in set_aside["某县汇总.xlsx"]["reason"]
    assert res.code == 1 and "无法读取 2（某县汇总.json、某县汇总.xlsx）" in res.out


def test_an_aggregate_is_set_aside_when_the_roster_lists_its_bodies(towns, tmp_path):
    collect(towns, tmp_path, *AS, "--aggregate", tmp_path / "某县汇总.json")
    inbox = tmp_path / "second"
    write_json(inbox / "a.json", json.loads((tmp_path / "某县汇总.json").read_text(encoding="utf-8")))
    roster = tmp_path / "名单.csv"
    roster.write_text("机关名称\n甲镇\n乙镇\n", encoding="utf-8")
    _res, data = collect(inbox, tmp_path, "--roster", roster)
    assert [f["code"] for f in data["files"]] == ["aggregate"] and in_force(data) == 0


def test_a_county_aggregate_in_the_city_inbox_is_a_report_like_any(towns, tmp_path):
    """The city receives each county's sum; the county's towns are not in the city's inbox."""
    collect(towns, tmp_path, *AS, "--aggregate", tmp_path / "某县汇总.json")
    city = tmp_path / "city"
    city.mkdir()
    (tmp_path / "某县汇总.json").rename(city / "某县.json")
    write_json(city / "市局.json", example(name="某市某局"))
    res, data = collect(city, tmp_path)
    assert sorted(b["name"] for b in data["bodies"]) == ["某县人民政府", "某市某局"] and in_force(data) == 60
    assert res.code == 0


@pytest.mark.slow
def test_the_mark_survives_fill_and_export(towns, tmp_path):
    collect(towns, tmp_path, *AS, "--aggregate", tmp_path / "agg.json")
    assert "汇总来源" in openpyxl.load_workbook(tmp_path / "agg.xlsx").sheetnames
    assert openpyxl.load_workbook(tmp_path / "agg.xlsx")["汇总来源"].sheet_state == "hidden"
    assert run_cli("fill", tmp_path / "agg.json", "-o", tmp_path / "f.xlsx").code == 0
    assert run_cli("export", tmp_path / "f.xlsx", "-o", tmp_path / "back.json").code == 0
    assert (tmp_path / "back.json").read_bytes() == (tmp_path / "agg.json").read_bytes()
    assert run_cli("check", tmp_path / "agg.xlsx").code == 0
    plain = tmp_path / "plain.json"
    assert run_cli("export", REPORTS / "fenxi-zfb_2023.xlsx", "-o", plain).code == 0
    assert "aggregate" not in json.loads(plain.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- 2019 format


def old_report(name: str, change: int, made: int) -> Submission:
    """A gb-2019-60 report (2020) built from the 2021 fixture's figures."""
    new = load_json(REPORTS / "fenxi-zfb_2023.source.json")
    old = get_format("gb-2019-60")
    values: dict[str, object] = {}
    for cell in old.cells:
        if cell.key in new.values:
            values[cell.key] = new.values[cell.key]
        elif cell.key.startswith("applications.other_handling."):
            col = cell.key.rsplit(".", 1)[1]
            parts = ("no_correction", "fee_unpaid", "other")
            values[cell.key] = sum(new.values[f"applications.other_handling.{s}.{col}"] for s in parts)
        elif cell.kind in ("count", "signed"):
            values[cell.key] = 0
        elif cell.kind == "money":
            values[cell.key] = "0"
    values.update({"year": 2020, "published_on": "2021-01-20", "body.name": name})
    values.update({"proactive.licensing.change": change, "proactive.rules.made": made})
    return Submission(old, values, name)


@pytest.mark.slow
def test_an_inbox_of_2019_reports_is_summed_under_its_own_keys(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, change in (("甲局", 5), ("乙局", -7)):
        (inbox / f"{name}.json").write_bytes(dump_model(report_to_model(old_report(name, change, 3), None)))
    res, data = collect(inbox, tmp_path, *AS, "--aggregate", tmp_path / "agg.json")
    assert res.code == 0, res.err
    figures = data["totals"]["合计"]["figures"]
    assert data["format"] == "gb-2019-60" and "incomplete" not in data["totals"]["合计"]
    assert figures["proactive.licensing.change"] == -2 and figures["proactive.rules.made"] == 6
    book = openpyxl.load_workbook(tmp_path / "汇总.xlsx")
    sheets = [ws for ws in book.worksheets if ws.title.startswith("汇总")]
    texts = [str(v) for ws in sheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert sheets and not any("未计入" in t for t in texts)
    assert any(row[:1] == ("行政许可",) and -2 in row for row in book["汇总-表二"].iter_rows(values_only=True))
    agg = json.loads((tmp_path / "agg.json").read_text(encoding="utf-8"))
    assert agg["format"] == "gb-2019-60" and agg["proactive"]["licensing"]["change"] == -2
    assert agg["proactive"]["rules"]["made"] == 6
    assert run_cli("check", tmp_path / "agg.xlsx").code == 0


def test_a_2019_report_as_json_and_as_its_workbook_is_one_copy(tmp_path):
    """Signed figures (本年增/减) compare as numbers: the JSON's -7 and the workbook's -7.0 agree."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    src = inbox / "甲局.json"
    src.write_bytes(dump_model(report_to_model(old_report("甲局", -7, 3), None)))
    assert run_cli("fill", src, "-o", inbox / "甲局.xlsx").code == 0
    res, data = collect(inbox, tmp_path)
    [body] = data["bodies"]
    assert body["status"] == "通过" and len(body["versions"]) == 1
    assert data["totals"]["合计"]["figures"]["proactive.licensing.change"] == -7 and res.code == 0


def test_a_report_in_another_format_is_flagged_not_summed(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("甲局", "乙局"):
        (inbox / f"{name}.json").write_bytes(dump_model(report_to_model(old_report(name, 1, 1), None)))
    doc = example(name="丙局")
    doc["year"], doc["published_on"] = 2020, "2021-01-20"
    write_json(inbox / "丙局.json", doc)  # a 2020 report in the 2021 format (META-YEAR: 有错误)
    _res, data = collect(inbox, tmp_path, "--include-failed")
    third = next(b for b in data["bodies"] if b["name"] == "丙局")
    assert "格式与多数报告不同，未计入汇总" in third["flags"] and not third["included"]
    assert data["format"] == "gb-2019-60" and data["totals"]["合计"]["bodies"] == ["乙局", "甲局"]
