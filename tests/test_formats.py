"""Several formats: the contract every registered format meets, typed rule parameters, the
committed snapshots, and a synthetic third format driven through the whole CLI and the Excel
entry points (a copy of gb-2021-30 with another id, marker cell and one changed label)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from validator.checks import SIGNATURES, rule_problems
from validator.docs import spec_snapshot
from validator.formats import get_format, known_formats, register, unregister
from validator.formats.contract import format_problems
from validator.formats.gb_2021_30 import T3_COLUMN_KEYS
from validator.spec import Relation, Rule

from conftest import REPORTS, ROOT, run_cli

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before xlwings is imported (remote engine)

CLONE = "test-clone"
CLONE_MARKER = ("封面", "B12")
CHANGED = ("表二", "A1")
CHANGED_TEXT = "第二十条第（一）项（测试格式）"
SNAPSHOTS = ROOT / "docs" / "formats"
REGENERATE = "uv run python tools/rebuild_generated.py"


def clone_format():
    base = get_format("gb-2021-30")
    labels = tuple(replace(lb, text=CHANGED_TEXT) if (lb.sheet, lb.ref) == CHANGED else lb for lb in base.labels)
    return replace(base, id=CLONE, name="测试格式", marker_cell=CLONE_MARKER, labels=labels)


@pytest.fixture
def clone():
    register(CLONE, clone_format)
    try:
        yield get_format(CLONE)
    finally:
        unregister(CLONE)


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("format_id", known_formats())
def test_every_format_meets_the_contract(format_id):
    assert format_problems(get_format(format_id)) == []


def test_the_contract_check_can_fail():
    fmt = get_format()
    broken = replace(
        fmt,
        results_sheet="无此表",
        rules=(
            Rule(
                "X-1",
                "error",
                "表内",
                "t",
                "{label}{nope}",
                "linear",
                relations=(Relation(("year",), "==", ("no.such",), "x", live="K4"),),
            ),
            Rule("X-2", "error", "表内", "t", "m", "no_such_check"),
        ),
    )
    problems = format_problems(broken)
    assert any("results sheet" in p for p in problems)
    assert any("no cell 'no.such'" in p for p in problems)
    assert any("{nope}" in p for p in problems)
    assert any("no check named 'no_such_check'" in p for p in problems)
    assert any(p == "X-1: needs an example that fires and one that passes" for p in problems)


@pytest.mark.parametrize("format_id", known_formats())
def test_every_rule_names_a_check_with_typed_params_existing_cells_and_provided_fields(format_id):
    fmt = get_format(format_id)
    for rule in fmt.rules:
        assert rule.check in SIGNATURES, rule.id
        assert rule_problems(fmt, rule) == [], rule.id


def test_rule_param_types_are_checked():
    fmt = get_format()
    rule = fmt.rule("DATE-DEADLINE")
    assert rule_problems(fmt, replace(rule, params={"deadlines": {"部门": (1, 31)}})) == [
        "DATE-DEADLINE.params: missing param 'who'"
    ]
    relation = Relation(("last_year.no.such",), "==", ("year",), "x")
    bad = replace(fmt.rule("XY-T3-CARRY"), relations=(relation,))
    assert rule_problems(fmt, bad) == ["XY-T3-CARRY.relations[0]: no cell 'last_year.no.such' in gb-2021-30"]
    wide = Relation(("year",), "==", ("body.name",), "x", blame=("published_on",), live="K4")
    assert rule_problems(fmt, replace(bad, relations=(wide,))) == [
        "XY-T3-CARRY.relations[0]: blames 'published_on', which it does not add up"
    ]
    unnamed = Relation(("applications.new.total",), "==", ("review_litigation.review.total",), "x", live="K4")
    assert rule_problems(fmt, replace(bad, relations=(unnamed,))) == [
        "XY-T3-CARRY.relations[0]: a live relation has its cells on one sheet and names for both sides"
    ]
    assert "META-YEAR: relations are what a linear check reads, and only it" in rule_problems(
        fmt, replace(fmt.rule("META-YEAR"), check="linear")
    )
    extra = replace(fmt.rule("META-YEAR"), params={"first": 2021, "last": 2030})
    assert rule_problems(fmt, extra) == ["META-YEAR.params: unknown param 'last'"]


def test_rule_data_lives_in_rule_params_not_in_the_format():
    fmt = get_format()
    assert not hasattr(fmt, "deadlines") and not hasattr(fmt, "text_patterns")
    assert fmt.rule("DATE-DEADLINE").params["deadlines"]["部门"] == (1, 31)
    assert "received" in fmt.rule("TXT-T3").params["patterns"]


# --------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("format_id", known_formats())
def test_committed_snapshot_matches_the_built_format(format_id):
    path = SNAPSHOTS / f"{format_id}.json"
    assert path.exists(), f"{path} missing; regenerate with `{REGENERATE}`"
    assert path.read_text(encoding="utf-8") == spec_snapshot(get_format(format_id)), (
        f"format {format_id} changed: review and regenerate with `{REGENERATE}`"
    )


def test_snapshot_shows_a_changed_label():
    before = spec_snapshot(get_format())
    register(CLONE, clone_format)
    try:
        after = spec_snapshot(get_format(CLONE))
    finally:
        unregister(CLONE)
    assert CHANGED_TEXT in after and CHANGED_TEXT not in before


# --------------------------------------------------------------------------- a third format, end to end


def _clone_json(tmp_path: Path) -> Path:
    data = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    data["format"] = CLONE
    path = tmp_path / "clone.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_synthetic_format_through_the_whole_cli(clone, tmp_path):
    # template: only the asked-for format, with the clone's marker and label
    out = tmp_path / "templates"
    r = run_cli("template", "--format", CLONE, "-o", out)
    assert r.code == 0, r.err
    blank = out / f"xxgk-template-{CLONE}.xlsx"
    assert (out / f"xxgk-template-{CLONE}.xlsm").exists()  # the add-in's macro template too
    assert not (out / "xxgk-template-gb-2021-30.xlsx").exists()
    wb = openpyxl.load_workbook(blank)
    assert wb["封面"]["B12"].value == CLONE and wb["封面"]["B10"].value is None
    assert wb["表二"]["A1"].value == CHANGED_TEXT
    # the blank template is read as the clone (detection tries every format) and found incomplete
    r = run_cli("check", blank, "--json")
    assert r.code == 1 and json.loads(r.out)["format"] == CLONE
    # fill from a JSON in the clone's format, check, export: what goes in comes back out
    source = _clone_json(tmp_path)
    book = tmp_path / "clone.xlsx"
    assert run_cli("fill", source, "-o", book).code == 0
    r = run_cli("check", book, "--json")
    assert r.code == 0, r.out
    assert json.loads(r.out)["format"] == CLONE
    exported = tmp_path / "exported.json"
    assert run_cli("export", book, "-o", exported).code == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["format"] == CLONE
    source_data = json.loads(source.read_text(encoding="utf-8"))
    assert {k: data[k] for k in ("year", "proactive", "applications", "review_litigation")} == {
        k: source_data[k] for k in ("year", "proactive", "applications", "review_litigation")
    }
    assert data["body"]["name"] == source_data["body"]["name"]
    assert run_cli("check", exported).code == 0
    # new: next year's workbook in the same format
    nxt = tmp_path / "next.xlsx"
    assert run_cli("new", "--from", exported, "-o", nxt).code == 0
    assert openpyxl.load_workbook(nxt)["封面"]["B12"].value == CLONE
    r = run_cli("check", nxt, "--json")
    assert json.loads(r.out)["format"] == CLONE
    # schema and rules of the clone
    r = run_cli("schema", "--format", CLONE)
    assert r.code == 0 and json.loads(r.out)["properties"]["format"]["const"] == CLONE
    r = run_cli("rules", "--format", CLONE)
    assert r.code == 0 and "T3-BALANCE" in r.out
    # profile: checked against the report's format
    profile = tmp_path / "p.toml"
    profile.write_text("[rules.TXT-T3]\nenabled = false\n", encoding="utf-8")
    assert run_cli("check", book, "--profile", profile).code == 0
    r = run_cli("rules", "--format", CLONE, "--profile", profile)
    assert r.code == 0 and "TXT-T3" not in r.out and "T3-BALANCE" in r.out
    profile.write_text("[rules.NO-SUCH]\nenabled = false\n", encoding="utf-8")
    r = run_cli("check", book, "--profile", profile)
    assert r.code == 2 and "NO-SUCH" in r.err


def test_the_default_format_still_reads_while_another_is_registered(clone):
    r = run_cli("check", ROOT / "examples" / "fenxi-zfb_2023.xlsx", "--json")
    assert r.code == 0 and json.loads(r.out)["format"] == "gb-2021-30"


def test_a_clone_workbook_is_held_to_the_clones_labels(clone, tmp_path):
    book = tmp_path / "clone.xlsx"
    assert run_cli("fill", _clone_json(tmp_path), "-o", book).code == 0
    wb = openpyxl.load_workbook(book)
    wb["表二"]["A1"] = "第二十条第（一）项"  # the 2021 wording
    wb.save(book)
    r = run_cli("check", book)
    assert r.code == 2 and "表二!A1" in r.err and CHANGED_TEXT in r.err


def test_unknown_format_id_is_refused(tmp_path):
    for args in (
        ("schema", "--format", "gb-1999"),
        ("rules", "--format", "gb-1999"),
        ("template", "--format", "gb-1999", "-o", tmp_path),
    ):
        r = run_cli(*args)
        assert r.code == 2 and "gb-1999" in r.err, args


@pytest.mark.slow
def test_excel_entry_points_pick_the_format_from_the_workbook(clone, tmp_path):
    pytest.importorskip("xlwings")
    from addin import excel

    from support.remote_excel import actions, remote_book

    book_path = tmp_path / "clone.xlsx"
    assert run_cli("fill", _clone_json(tmp_path), "-o", book_path).code == 0
    book = remote_book(book_path)
    assert excel.book_format(book) is clone
    report = excel.validate(book)
    assert report is not None and report.format == CLONE and report.valid
    assert not actions(book, "alert")
    exported = excel.export_json(remote_book(book_path), folder=tmp_path)
    assert exported is not None and json.loads(exported.read_text(encoding="utf-8"))["format"] == CLONE
    default = remote_book(ROOT / "examples" / "fenxi-zfb_2023.xlsx")
    assert excel.book_format(default) is get_format()


# --------------------------------------------------------------------------- the 2019 试行 format (read-only)

OLD = "gb-2019-60"


def _old_json(tmp_path: Path, year: int = 2020, **figures: object) -> Path:
    """A report in the 2019 layout made from a real 2021-format report: 表三 （六） as one row."""
    from validator.jsonio import dump_model, load_json, report_to_model
    from validator.submission import Submission

    new = load_json(REPORTS / "fenxi-zfb_2023.source.json")
    old = get_format(OLD)
    values: dict[str, object] = {}
    for cell in old.cells:
        if cell.key in new.values:
            values[cell.key] = new.values[cell.key]
        elif cell.key.startswith("applications.other_handling."):
            col = cell.key.rsplit(".", 1)[1]
            values[cell.key] = sum(
                new.values[f"applications.other_handling.{sub}.{col}"]
                for sub in ("no_correction", "fee_unpaid", "other")
            )
        elif cell.kind in ("count", "signed"):
            values[cell.key] = 0
        elif cell.kind == "money":
            values[cell.key] = "0"
    values.update(year=year, published_on=f"{year + 1}-01-20", **figures)
    path = tmp_path / f"old_{year}.json"
    path.write_bytes(dump_model(report_to_model(Submission(old, values, path.name), None)))
    return path


def test_2019_format_is_detected_in_json_and_checked_by_its_own_rules(tmp_path):
    path = _old_json(tmp_path, 2020, **{"proactive.licensing.change": -3})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == OLD and data["proactive"]["licensing"]["change"] == -3
    assert "other_handling" in data["applications"] and "total" in data["applications"]["other_handling"]
    r = run_cli("check", path, "--json")
    report = json.loads(r.out)
    assert report["format"] == OLD and r.code == 0, [f["rule"] for f in report["findings"]]
    assert "FMT-OLD" not in {f["rule"] for f in report["findings"]}
    broken = _old_json(tmp_path, 2020, **{"applications.other_handling.total": 999})
    rules = {f["rule"] for f in json.loads(run_cli("check", broken, "--json").out)["findings"]}
    assert {"T3-COL-TOTAL", "T3-RESULT-SUM"} <= rules


def test_2019_layout_for_2021_or_later_is_an_fmt_old_error(tmp_path):
    r = run_cli("check", _old_json(tmp_path, 2023), "--json")
    assert r.code == 1
    [old] = [f for f in json.loads(r.out)["findings"] if f["rule"] == "FMT-OLD"]
    assert old["severity"] == "error" and old["cells"][0]["key"] == "year" and "〔2021〕30号" in old["message"]


def test_2019_format_workbook_is_detected_by_its_marker(tmp_path):
    book = tmp_path / "old.xlsx"
    assert run_cli("fill", _old_json(tmp_path, 2020), "-o", book).code == 0
    wb = openpyxl.load_workbook(book)
    assert wb["封面"]["B10"].value == OLD and wb["表二"]["B2"].value == "本年新制作数量"
    r = run_cli("check", book, "--json")
    assert r.code == 0 and json.loads(r.out)["format"] == OLD
    exported = tmp_path / "back.json"
    assert run_cli("export", book, "-o", exported).code == 0
    assert (
        json.loads(exported.read_text(encoding="utf-8"))["applications"]
        == json.loads(_old_json(tmp_path, 2020).read_text(encoding="utf-8"))["applications"]
    )


@pytest.mark.slow
def test_2019_format_offers_no_template(tmp_path):
    r = run_cli("template", "--format", OLD, "-o", tmp_path)
    assert r.code == 2 and "不提供模板" in r.err
    assert run_cli("template", "-o", tmp_path).code == 0
    assert not list(tmp_path.glob(f"*{OLD}*")) and (tmp_path / "xxgk-template-gb-2021-30.xlsx").exists()


def test_a_2020_report_in_the_2019_layout_serves_as_last_year_of_a_2021_report(tmp_path):
    from validator.jsonio import load_json

    this = load_json(REPORTS / "pingtan_2021.source.json")
    carried = {f"applications.carried_forward.{c}": this.values[f"applications.carried_in.{c}"] for c in T3_COLUMN_KEYS}
    figures = {k: v for k, v in carried.items()}
    last = _old_json(
        tmp_path, 2020, **figures, **{"body.name": this.values["body.name"], "body.type": this.values["body.type"]}
    )
    r = run_cli("check", REPORTS / "pingtan_2021.xlsx", "--last-year", last, "--json")
    rules = {f["rule"] for f in json.loads(r.out)["findings"]}
    assert "XY-T3-CARRY" not in rules and "XY-YEAR" not in rules and "XY-BODY" not in rules
    wrong = _old_json(
        tmp_path,
        2020,
        **{
            **figures,
            "applications.carried_forward.total": 12345,
            "body.name": this.values["body.name"],
            "body.type": this.values["body.type"],
        },
    )
    r = run_cli("check", REPORTS / "pingtan_2021.xlsx", "--last-year", wrong, "--json")
    assert "XY-T3-CARRY" in {f["rule"] for f in json.loads(r.out)["findings"]}
