"""xxgk collect --roster: 未报送, 不在名单 and 逾期, from a CSV (GB18030, as Excel saves it) or .xlsx."""

from __future__ import annotations

import datetime as dt
import json
import os

import openpyxl
import pytest

from validator.collect.bodies import Identity, same_body

from conftest import run_cli
from support.inbox import Inbox

ROSTER = [
    ("机关名称", "机关类型", "行政区划代码", "报送截止日期"),
    ("汾西县人民政府办公室", "部门", "", "2024-01-20"),
    ("淮安市人民政府", "政府", "", ""),
    ("平潭综合实验区", "政府", "350128", "2024-03-01"),
    ("汾西县卫生健康局", "部门", "", ""),
    ("汾西县财政局", "部门", "", ""),
    ("汾西县 教育局", "部门", "", ""),  # a stray space still matches
    ("某某镇人民政府", "乡镇", "", "2024-01-31"),
]


def _touch(path, day: dt.date) -> None:
    stamp = dt.datetime.combine(day, dt.time(10, 0)).timestamp()
    os.utime(path, (stamp, stamp))


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    box = Inbox(tmp_path_factory.mktemp("roster"))
    for path in box.inbox.rglob("*"):
        if path.is_file():
            _touch(path, dt.date(2024, 1, 10))
    _touch(box.inbox / "汾西县政府办.json", dt.date(2024, 1, 25))
    _touch(box.inbox / "邮件附件" / "汾西县政府办.xlsx", dt.date(2024, 1, 26))
    return box


def write_csv(path, rows, encoding="gb18030"):
    path.write_bytes("\r\n".join(",".join(r) for r in rows).encode(encoding) + b"\r\n")
    return path


def write_xlsx(path, rows):
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append([dt.date.fromisoformat(v) if v and v[:2] == "20" else v for v in r])
    wb.save(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_roster_statuses(box, kind, tmp_path):
    roster = write_csv(tmp_path / "名单.csv", ROSTER) if kind == "csv" else write_xlsx(tmp_path / "名单.xlsx", ROSTER)
    result, data = box.run("--roster", str(roster), out=f"名单-{kind}.xlsx")
    assert result.code == 1
    bodies = {b["name"]: b for b in data["bodies"]}
    assert bodies["某某镇人民政府"]["status"] == "未报送"
    assert bodies["某某镇人民政府"]["files"] == []
    assert bodies["某某乡人民政府"]["flags"] == ["年度不符", "不在名单"]
    assert bodies["某某乡人民政府"]["on_roster"] is False
    fenxi = bodies["汾西县人民政府办公室"]
    assert fenxi["status"] == "逾期" and fenxi["flags"] == ["通过", "逾期"] and fenxi["late_days"] == 5
    assert bodies["平潭综合实验区"]["status"] == "通过" and bodies["平潭综合实验区"]["late_days"] == 0
    assert bodies["汾西县 教育局"]["status"] == "有错误"  # matched despite the space; roster spelling kept
    assert all(b["on_roster"] for name, b in bodies.items() if name != "某某乡人民政府")
    assert data["counts"]["statuses"]["未报送"] == 1 and data["counts"]["statuses"]["逾期"] == 1
    assert data["counts"]["bodies"] == 8


def test_roster_status_sheet_shows_missing_and_late(box, tmp_path):
    roster = write_csv(tmp_path / "名单.csv", ROSTER, encoding="utf-8-sig")
    box.run("--roster", str(roster), out="名单-表.xlsx")
    ws = openpyxl.load_workbook(box.root / "名单-表.xlsx")["报送情况"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["某某镇人民政府"][4] == "未报送"
    assert rows["汾西县人民政府办公室"][4] == "逾期" and "逾期 5 天" in rows["汾西县人民政府办公室"][5]
    assert "不在名单" in rows["某某乡人民政府"][5]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("单位", "类型"), ("", "部门")], "第 2 行没有填写机关名称"),
        ([("名字", "类型"), ("甲", "部门")], "机关名称"),
        ([("机关名称", "机关类型"), ("甲", "局")], "第 2 行机关类型"),
        ([("机关名称", "报送截止日期"), ("甲", "下周")], "第 2 行报送截止日期"),
        ([("机关名称",), ("甲",), ("甲",)], "第 3 行与第 2 行是同一机关"),
    ],
)
def test_bad_roster_is_exit_2(box, tmp_path, rows, message):
    roster = write_csv(tmp_path / "名单.csv", rows)
    res = run_cli("collect", box.inbox, "-o", tmp_path / "s.xlsx", "--roster", roster, "--quiet")
    assert res.code == 2
    assert message in res.err
    assert not (tmp_path / "s.xlsx").exists()


def test_unreadable_roster_workbook_says_what_to_do(box, tmp_path):
    """A zip named .xlsx that is not a workbook passes the outside checks and fails in openpyxl:
    the message names the file and says how to make a readable roster."""
    import zipfile

    roster = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(roster, "w") as z:
        z.writestr("readme.txt", "不是工作簿")
    res = run_cli("collect", box.inbox, "-o", tmp_path / "s.xlsx", "--roster", roster, "--quiet")
    assert res.code == 2
    assert "名单工作簿无法读取" in res.err and "另存为" in res.err and "名单.xlsx" in res.err
    assert not (tmp_path / "s.xlsx").exists()


def test_same_body_rules():
    a = Identity("汾西县财政局", region_code="141024")
    assert same_body(a, Identity("汾西县财政局"))
    assert same_body(a, Identity("汾西县财政局", region_code="141024"))
    assert not same_body(a, Identity("汾西县财政局", region_code="141025"))
    assert same_body(Identity("甲", credit_code="11141024MB1234567X"), Identity("乙", credit_code="11141024mb1234567x"))
    assert not same_body(
        Identity("甲", credit_code="11141024MB1234567X"), Identity("甲", credit_code="11141024MB0000000Y")
    )
    assert same_body(Identity("汾西县（财政局）"), Identity("汾西县(财政局)"))


def test_result_json_has_roster_fields(box, tmp_path):
    roster = write_csv(tmp_path / "名单.csv", ROSTER)
    _res, data = box.run("--roster", str(roster), out="名单-json.xlsx")
    fenxi = next(b for b in data["bodies"] if b["name"] == "汾西县人民政府办公室")
    assert fenxi["deadline"] == "2024-01-20"
    json.dumps(data)  # plain JSON


def _credit(first17: str) -> str:
    from validator.credit_code import check_character

    return first17 + check_character(first17)


@pytest.mark.parametrize(
    "code, message",
    [
        (
            _credit("11141000MB1234567")[:-1] + "0",
            "名单第 2 行统一社会信用代码“11141000MB12345670”校验码（第 18 位）应为 C",
        ),
        ("11141000MB123456", "应为 18 位"),
        ("1.11410000123400E+17", "被 Excel 存成了数字"),
        ("111410000123400000", "全是数字的代码在 Excel 中会被当作数字，末几位变成 0"),
    ],
)
def test_roster_credit_code_is_checked_naming_the_row(box, tmp_path, code, message):
    roster = write_csv(tmp_path / "名单.csv", [("机关名称", "统一社会信用代码"), ("汾西县人民政府办公室", code)])
    res = run_cli("collect", box.inbox, "-o", tmp_path / "s.xlsx", "--roster", roster, "--quiet")
    assert res.code == 2 and message in res.err, res.err
    assert "名单.csv" in res.err and not (tmp_path / "s.xlsx").exists()


def test_roster_credit_code_stored_by_excel_as_a_number_is_refused(box, tmp_path):
    """An 18-digit code typed into a number cell: Excel keeps 15 digits (1.11410000123400E+17)."""
    roster = tmp_path / "名单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["机关名称", "统一社会信用代码"])
    wb.active.append(["汾西县人民政府办公室", float("111410000123400041")])
    wb.save(roster)
    res = run_cli("collect", box.inbox, "-o", tmp_path / "s.xlsx", "--roster", roster, "--quiet")
    assert res.code == 2 and "名单第 2 行统一社会信用代码被 Excel 存成了数字" in res.err, res.err


def test_roster_credit_code_in_any_case_and_spacing_is_taken(box, tmp_path):
    code = _credit("11141000MB1234567")
    spaced = f" {code[:9].lower()} {code[9:]} "
    roster = write_csv(tmp_path / "名单.csv", [("机关名称", "统一社会信用代码"), ("汾西县人民政府办公室", spaced)])
    res = run_cli("collect", box.inbox, "-o", tmp_path / "s.xlsx", "--roster", roster, "--quiet")
    assert res.code in (0, 1) and "统一社会信用代码" not in res.err, res.err


def test_utf16_roster_says_to_save_as_csv_utf8(box, tmp_path):
    """Excel's “Unicode 文本” is UTF-16 with tabs: refused with what to do instead."""
    roster = tmp_path / "名单.csv"
    roster.write_bytes("机关名称\t机关类型\r\n汾西县人民政府办公室\t部门\r\n".encode("utf-16"))
    res = run_cli("collect", box.inbox, "-o", tmp_path / "s.xlsx", "--roster", roster, "--quiet")
    assert res.code == 2 and "UTF-16" in res.err and "另存为“CSV UTF-8（逗号分隔）”" in res.err, res.err
