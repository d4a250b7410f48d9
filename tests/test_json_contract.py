"""The JSON contract and the command line around it: forced export, last year's figures,
explanations, long text, rule profiles, a closed stdout, where outputs may go.

Each test drives the real command on the real reports (or a copy broken on purpose) and
asserts what staff and the receiving office see.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from validator.engine import validate
from validator.formats import get_format
from validator.jsonio import load_json
from validator.submission import Explanation, Submission

from conftest import EXAMPLE, REPORTS, ROOT, TEMPLATE, run_cli

FMT = get_format()
EXAMPLE_JSON = ROOT / "examples" / "fenxi-zfb_2023.json"


def _doc() -> dict:
    return json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _findings(*args) -> tuple[int, list[dict]]:
    result = run_cli("check", *args, "--json")
    return result.code, json.loads(result.out)["findings"]


def _edited_workbook(tmp_path: Path, edits: dict[str, object], name: str = "edited.xlsx") -> Path:
    path = tmp_path / name
    wb = openpyxl.load_workbook(REPORTS / "fenxi-zfb_2023.xlsx")
    for key, value in edits.items():
        cell = FMT.cell(key)
        wb[cell.sheet][cell.ref] = value
    wb.save(path)
    return path


def _comparable(findings: list[dict]) -> list[tuple]:
    return [(f["rule"], [c["key"] for c in f["cells"]], f["expected"], f["actual"], f["message"]) for f in findings]


# --------------------------------------------------------------------------- forced export


UNREADABLE_EDITS = {
    "published_on": "二〇二四年一月二十日",
    "applications.new.natural_person": "3件",
    "proactive.fees.amount_wan_yuan": "0.3万元",
    "body.type": "县政府部门",
    "review_litigation.review.upheld": "/",
}


def test_a_forced_export_keeps_every_error_visible_to_the_receiver(tmp_path):
    book = _edited_workbook(tmp_path, UNREADABLE_EDITS)
    code, from_workbook = _findings(book)
    assert code == 1 and {"META-DATE", "VAL-INT", "VAL-FEE", "META-TYPE", "VAL-EMPTY"} <= {
        f["rule"] for f in from_workbook
    }
    out = tmp_path / "forced.json"
    assert run_cli("export", book, "--force", "-o", out).code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["published_on"] is None and doc["body"]["type"] is None
    assert doc["unreadable"] == {k: v for k, v in UNREADABLE_EDITS.items() if v != "/"} | {
        "review_litigation.review.upheld": "/"
    }
    code, from_json = _findings(out)
    assert code == 1
    assert _comparable(from_json) == _comparable(from_workbook)


@pytest.mark.slow
def test_forced_json_round_trips_through_fill_exactly(tmp_path):
    book = _edited_workbook(tmp_path, UNREADABLE_EDITS)
    first, refilled, second = tmp_path / "1.json", tmp_path / "2.xlsx", tmp_path / "2.json"
    run_cli("export", book, "--force", "-o", first)
    assert run_cli("fill", first, "-o", refilled).code == 0
    ws = openpyxl.load_workbook(refilled)["表三"]
    assert ws["D4"].value == "3件" and ws["D4"].data_type == "s"
    assert run_cli("export", refilled, "--force", "-o", second).code == 1
    assert second.read_bytes() == first.read_bytes()


@pytest.mark.slow
def test_a_datetime_with_a_time_stays_an_error_after_fill_and_export(tmp_path):
    book = _edited_workbook(tmp_path, {"published_on": dt.datetime(2024, 1, 20, 9, 30, 15)})
    first, refilled, second = tmp_path / "1.json", tmp_path / "2.xlsx", tmp_path / "2.json"
    assert run_cli("export", book, "--force", "-o", first).code == 1
    doc = json.loads(first.read_text(encoding="utf-8"))
    assert doc["validation"]["valid"] is False and doc["unreadable"] == {"published_on": "2024-01-20 09:30:15"}
    run_cli("fill", first, "-o", refilled)
    assert run_cli("export", refilled, "--force", "-o", second).code == 1
    assert second.read_bytes() == first.read_bytes()
    assert [f["rule"] for f in _findings(second)[1]] == ["META-DATE"]


def test_a_valid_export_has_no_unreadable_field(tmp_path):
    out = tmp_path / "ok.json"
    assert run_cli("export", EXAMPLE, "-o", out).code == 0
    assert "unreadable" not in json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "unreadable, edit, needle",
    [
        ({"applications.new.natural_person": "3"}, {}, "可以识别"),
        ({"narrative.overview": "x"}, {}, "不能记录原内容"),
        ({"no.such.key": "x"}, {}, "不能记录原内容"),
        ({"published_on": "二〇二四年"}, {}, "已有取值"),
        ({"year": "  "}, {"year": None}, "原内容为空"),
        ({"last_year.year": "二〇二二"}, {}, "last_year 为 null"),
    ],
)
def test_unreadable_entries_must_be_unreadable_and_stand_for_a_null_field(tmp_path, unreadable, edit, needle):
    doc = _doc() | edit | {"unreadable": unreadable}
    result = run_cli("check", _write(tmp_path / "u.json", doc))
    assert result.code == 2 and needle in result.err, result.err


def test_unreadable_text_is_written_back_as_text_never_as_a_formula(tmp_path):
    doc = _doc()
    doc["applications"]["new"]["natural_person"] = None
    doc["unreadable"] = {"applications.new.natural_person": '=HYPERLINK("http://x","3")'}
    out = tmp_path / "f.xlsx"
    assert run_cli("fill", _write(tmp_path / "f.json", doc), "-o", out).code == 0
    cell = openpyxl.load_workbook(out)["表三"]["D4"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# --------------------------------------------------------------------------- last year


def _last_year(tmp_path: Path, **body) -> Path:
    doc = _doc()
    doc["year"], doc["published_on"] = 2022, "2023-01-20"
    doc["body"].update(body)
    return _write(tmp_path / "last.json", doc)


def test_last_year_of_another_body_is_an_error_naming_both(tmp_path):
    last = _last_year(tmp_path, name="某某县卫生健康局", type="政府")
    code, findings = _findings(EXAMPLE_JSON, "--last-year", last)
    [hit] = [f for f in findings if f["rule"] == "XY-BODY"]
    assert code == 1 and hit["severity"] == "error"
    assert "某某县卫生健康局" in hit["message"] and "汾西县人民政府办公室" in hit["message"]
    assert [c["key"] for c in hit["cells"]] == ["body.name", "body.type"]


def test_last_year_of_the_same_body_passes(tmp_path):
    code, findings = _findings(EXAMPLE_JSON, "--last-year", _last_year(tmp_path, name=" 汾西县人民政府办公室 "))
    assert code == 0 and not [f for f in findings if f["rule"].startswith("XY-")]


def test_a_profile_can_downgrade_xy_body_for_a_renamed_body(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[rules.XY-BODY]\nseverity = "提示"\n', encoding="utf-8")
    code, findings = _findings(EXAMPLE_JSON, "--last-year", _last_year(tmp_path, name="新名称"), "--profile", profile)
    assert code == 0 and [f["severity"] for f in findings if f["rule"] == "XY-BODY"] == ["warning"]


def test_blank_last_year_figures_say_the_cross_year_checks_did_not_run(tmp_path):
    doc = _doc()
    doc["year"], doc["published_on"] = 2022, "2023-01-20"
    doc["applications"]["carried_forward"]["total"] = None  # as a forced export leaves it
    doc["proactive"]["rules"]["in_force"] = None
    code, findings = _findings(EXAMPLE_JSON, "--last-year", _write(tmp_path / "last.json", doc))
    [hit] = [f for f in findings if f["rule"] == "XY-INCOMPLETE"]
    assert code == 0 and hit["severity"] == "warning" and "2 项为空" in hit["message"]
    assert {c["key"] for c in hit["cells"]} == {
        "last_year.applications.carried_forward.total",
        "last_year.proactive.rules.in_force",
    }


# --------------------------------------------------------------------------- explanations


@pytest.mark.parametrize(
    "explanation, needle",
    [
        ({"rule": "TXT-T3\u0001", "cells": ["applications.new.total"]}, "explanations.0.rule"),
        ({"rule": "TXT-T3", "cells": ["applications.new.total\b"]}, "explanations.0.cells.0"),
        ({"rule": "TXT-T3", "cells": ["applications.new.total,applications.carried_in.total"]}, "没有单元格键"),
        ({"rule": "NO-SUCH-RULE", "cells": []}, "没有编号为“NO-SUCH-RULE”的规则"),
    ],
)
def test_check_and_fill_refuse_the_same_bad_explanations(tmp_path, explanation, needle):
    path = _write(tmp_path / "e.json", _doc() | {"explanations": [explanation | {"text": "说明"}]})
    checked = run_cli("check", path)
    filled = run_cli("fill", path, "-o", tmp_path / "e.xlsx")
    assert checked.code == filled.code == 2
    assert needle in checked.err and checked.err == filled.err
    assert not (tmp_path / "e.xlsx").exists()


def test_a_workbook_note_on_an_unknown_rule_is_refused_by_check_and_export(tmp_path):
    path = tmp_path / "notes.xlsx"
    wb = openpyxl.load_workbook(REPORTS / "fenxi-zfb_2023.xlsx")
    ws = wb[FMT.results_sheet]
    row = FMT.results_header_row + 1
    ws.cell(row, 2, "TXT-T9")
    ws.cell(row, 9, "说明")
    ws.cell(row, 10, "applications.new.total")
    wb.save(path)
    for args in (("check", path), ("export", path, "--force", "-o", tmp_path / "x.json")):
        result = run_cli(*args)
        assert result.code == 2 and "TXT-T9" in result.err and "校验结果" in result.err
    assert not (tmp_path / "x.json").exists()


# --------------------------------------------------------------------------- 32767 units


def test_over_long_explanations_and_narratives_are_refused_never_truncated(tmp_path):
    doc = _doc()
    doc["explanations"] = [{"rule": "TXT-T3", "cells": ["applications.new.total"], "text": "x" * 40_000}]
    path = _write(tmp_path / "long.json", doc)
    for args in (("check", path), ("fill", path, "-o", tmp_path / "l.xlsx")):
        result = run_cli(*args)
        assert result.code == 2 and "explanations.0.text" in result.err and "40000" in result.err
    doc = _doc()
    doc["narrative"]["overview"] = "😀" * 16_384  # 32768 UTF-16 units, as Excel counts
    result = run_cli("check", _write(tmp_path / "emoji.json", doc))
    assert result.code == 2 and "32768" in result.err and "narrative.overview" in result.err


def test_text_of_exactly_the_cell_limit_passes_and_fills(tmp_path):
    doc = _doc()
    doc["narrative"]["overview"] = "😀" * 16_383 + "x"
    path = _write(tmp_path / "max.json", doc)
    assert run_cli("check", path).code == 0
    assert run_cli("fill", path, "-o", tmp_path / "max.xlsx").code == 0


def _with_long_narrative(tmp_path: Path, length: int) -> Path:
    """A workbook whose 一、总体情况 holds `length` characters: only a crafted file can (Excel,
    LibreOffice and openpyxl all cut at 32767 when saving)."""
    doc = _doc()
    doc["narrative"]["overview"] = "MARKER"
    marked = tmp_path / "marked.xlsx"
    run_cli("fill", _write(tmp_path / "m.json", doc), "-o", marked)
    crafted = tmp_path / "crafted.xlsx"
    with zipfile.ZipFile(marked) as zin, zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if b"MARKER" in data:
                data = data.replace(b"MARKER", ("总" * length).encode())
            zout.writestr(info, data)
    return crafted


def test_a_crafted_workbook_narrative_over_the_limit_is_refused_by_check_and_export(tmp_path):
    crafted = _with_long_narrative(tmp_path, 41_102)
    for args in (("check", crafted), ("export", crafted, "--force", "-o", tmp_path / "x.json")):
        result = run_cli(*args)
        assert result.code == 2 and "41102" in result.err and "文字部分!A4" in result.err, result.err
    assert not (tmp_path / "x.json").exists()


# --------------------------------------------------------------------------- profiles


@pytest.mark.parametrize(
    "text, needle",
    [
        ('[deadlines]\n"部门" = "02-29"\n', "（第 2 行）：[deadlines] 部门 为 2 月 29 日"),
        ("rules = 5\n", "（第 1 行）：rules 应写成表"),
        ("deadlines = 5\n", "（第 1 行）：deadlines 应写成表"),
        ("[[rules]]\nx = 1\n", "rules 应写成表"),
        ("[rules.XY-T3-CARRY]\nseverity = []\n", "（第 2 行）：[rules.XY-T3-CARRY] severity"),
        ('[deadlines]\n"乡镇" = 120\n', "应写成“月-日”的文字"),
        ("name = 5\n", "name 应为文字"),
    ],
)
def test_a_bad_profile_is_refused_when_loaded_naming_the_entry(tmp_path, text, needle):
    profile = tmp_path / "p.toml"
    profile.write_text(text, encoding="utf-8")
    doc = _doc()
    doc["year"], doc["published_on"] = 2022, "2023-01-20"  # 2023 is not a leap year
    result = run_cli("check", _write(tmp_path / "y.json", doc), "--profile", profile)
    assert result.code == 2 and needle in result.err, result.err


# --------------------------------------------------------------------------- closed stdout


def _xxgk(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "validator", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
    )


@pytest.mark.slow
@pytest.mark.parametrize("args", [("rules",), ("check", str(TEMPLATE), "--json")])
def test_a_closed_stdout_ends_quietly_with_141(args):
    proc = _xxgk(*args)
    proc.stdout.close()  # the reader is gone before the first write: every write fails
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait() == 141
    assert err == ""


@pytest.mark.slow
def test_piping_into_head_is_not_an_internal_error():
    """The review's case with a real `head`: the result is either complete (0/1) or cut (141)."""
    result = subprocess.run(
        f'{sys.executable} -m validator check {TEMPLATE} --json | head -1; echo "rc=${{PIPESTATUS[0]}}"',
        shell=True,
        executable="/bin/bash",
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.stdout.splitlines()[0] == "{"
    assert result.stdout.splitlines()[-1] in ("rc=141", "rc=1") and "内部错误" not in result.stderr


# --------------------------------------------------------------------------- outputs


def test_export_to_stdout_with_dash(tmp_path):
    result = run_cli("export", EXAMPLE, "-o", "-")
    assert result.code == 0 and result.out.encode("utf-8") == EXAMPLE_JSON.read_bytes()
    assert "已导出：标准输出" in result.err
    assert not Path("-").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("fill", EXAMPLE_JSON, "-o", "-"),
        ("new", "--from", EXAMPLE_JSON, "-o", "-"),
        ("check", EXAMPLE, "--annotate", "-"),
    ],
)
def test_workbooks_are_not_written_to_stdout(args):
    result = run_cli(*args)
    assert result.code == 2 and "不能输出到标准输出" in result.err and not Path("-").exists()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_output_is_written_into_not_renamed_over(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    writer = _xxgk("export", str(EXAMPLE), "-o", str(fifo))
    try:  # a FIFO renamed over would leave `cat` waiting for a writer forever
        data, _ = reader.communicate(timeout=120)
    finally:
        reader.kill()
    assert writer.wait() == 0
    assert data == EXAMPLE_JSON.read_bytes()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.fifo"]


def test_a_directory_or_a_socket_target_is_refused(tmp_path):
    import socket

    result = run_cli("export", EXAMPLE, "-o", tmp_path)
    assert result.code == 2 and "文件夹" in result.err
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        result = run_cli("export", EXAMPLE, "-o", path)
    assert result.code == 2 and "不是普通文件" in result.err
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_a_symlinked_output_keeps_the_link_and_replaces_its_target(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert run_cli("export", EXAMPLE, "-o", link).code == 0
    assert link.is_symlink() and target.read_bytes() == EXAMPLE_JSON.read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_export_to_a_link_to_stdout_writes_the_stream_not_a_file(tmp_path):
    """What /dev/stdout is (a symlink to the process's fd 1, here a pipe), made in tmp_path so a
    regression could never replace the real /dev/stdout when the tests run as root."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    proc = _xxgk("export", str(EXAMPLE), "-o", str(link))
    out, err = proc.communicate()
    assert proc.returncode == 0 and out == EXAMPLE_JSON.read_bytes()
    assert "已导出" in err.decode("utf-8")
    assert link.is_symlink() and [p.name for p in tmp_path.iterdir()] == ["stdout"]


# --------------------------------------------------------------------------- messages that name the problem


def test_new_from_a_json_without_a_year_says_so(tmp_path):
    doc = _doc()
    doc["year"] = None
    result = run_cli("new", "--from", _write(tmp_path / "n.json", doc), "-o", tmp_path / "n.xlsx")
    assert result.code == 0 and "None" not in result.out and "没有报告年度" in result.out


@pytest.mark.parametrize("encoding, needle", [("gbk", "GBK"), ("gb18030", "GBK"), ("utf-16", "UTF-16")])
def test_a_json_in_a_legacy_encoding_names_it(tmp_path, encoding, needle):
    path = tmp_path / "legacy.json"
    path.write_bytes(EXAMPLE_JSON.read_text(encoding="utf-8").encode(encoding))
    result = run_cli("check", path)
    assert result.code == 2 and "不是 UTF-8 编码" in result.err and needle in result.err


def test_a_wrong_body_type_in_json_names_the_allowed_values(tmp_path):
    doc = _doc()
    doc["body"]["type"] = "县政府部门"
    result = run_cli("check", _write(tmp_path / "t.json", doc))
    assert result.code == 2 and "body.type" in result.err and "'政府', '部门', '乡镇'" in result.err
    doc["body"]["type"], doc["unreadable"] = None, {"body.type": "县政府部门"}  # as a forced export writes it
    code, findings = _findings(_write(tmp_path / "t.json", doc))
    assert code == 1 and [f["rule"] for f in findings] == ["META-TYPE"]


def test_check_json_prints_a_json_error_for_unusable_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = run_cli("check", bad, "--json")
    assert result.code == 2 and "无法处理" in result.err
    error = json.loads(result.out)["error"]
    assert error["code"] == "bad-json" and error["where"] == "bad.json" and "不是有效的 JSON" in error["message"]


@pytest.mark.parametrize(
    "overview, hits",
    [
        ("答复时限平均为15个工作日。", []),
        ("受理行政复议申请1件。", ["review_litigation.review.total"]),  # about 表四, not 本年新收
        ("受理各类咨询申请156个。", []),
        ("本年度共受理政府信息公开申请1,234件。", ["applications.new.total"]),
        ("本年度共受理政府信息公开申请3件，办结3件。", []),
    ],
)
def test_txt_t3_reads_counts_not_durations_or_other_applications(overview, hits):
    doc = load_json(EXAMPLE_JSON)
    values = dict(doc.values) | {"narrative.overview": overview}
    report = validate(Submission(FMT, values, "x", [], doc.kind))
    found = [f for f in report.findings if f.rule == "TXT-T3"]
    assert [f.keys[0] for f in found] == hits, [f.message for f in found]
    if hits == ["applications.new.total"]:
        assert found[0].actual == 1234 and found[0].expected == 3


def test_engine_refuses_a_workbook_note_with_a_control_character():
    doc = load_json(EXAMPLE_JSON)
    sub = Submission(FMT, dict(doc.values), "x.xlsx", [Explanation("TXT-T3", ("applications.new.total",), "a\x01b")])
    with pytest.raises(Exception, match="控制字符"):
        validate(sub)


RAW_VALUES = [
    "3件",
    "/",
    "二〇二四年一月二十日",
    "县政府部门",
    3.5,
    -3,
    True,
    1e16,
    float("nan"),
    dt.datetime(2024, 1, 20, 9, 30),
    dt.datetime(2024, 1, 20, 0, 0, 5),
    dt.time(9, 30),
    dt.date(2024, 1, 20),
    "0",
    0,
    2023,
    "2023",
    "2024-01-29",
    "部门",
    "#DIV/0!",
]


@pytest.mark.parametrize(
    "key", ["applications.new.natural_person", "proactive.fees.amount_wan_yuan", "year", "published_on", "body.type"]
)
def test_every_raw_value_exports_and_reads_back_to_the_same_findings(key):
    """Whatever a workbook cell holds, a forced export neither crashes nor launders it: the JSON
    read back gives the same rules on the same cells."""
    from validator.jsonio import dump_model, parse_json_bytes, report_from_dict, report_to_model, submission_from_report
    from validator.values import CellError

    base = dict(load_json(EXAMPLE_JSON).values)
    for raw in [*RAW_VALUES, CellError("#N/A"), CellError("0")]:
        sub = Submission(FMT, base | {key: raw}, "x.xlsx", [])
        report = validate(sub)
        data = dump_model(report_to_model(sub, report))
        back = submission_from_report(report_from_dict(parse_json_bytes(data)))
        again = validate(back)
        # VAL-TEXT is about the workbook medium (a figure typed as text); in JSON the figure is a number
        in_workbook = [(f.rule, f.keys) for f in report.findings if f.rule != "VAL-TEXT"]
        assert [(f.rule, f.keys) for f in again.findings] == in_workbook, raw
