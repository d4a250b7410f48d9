"""What collect tells the office: a summary line that names who failed, files named as in the
inbox (never by a server path), every name escaped before it reaches a terminal, and each
unusable file's machine-readable code in the result JSON."""

from __future__ import annotations

import os

import pytest

from validator.cli.output import printable
from validator.errors import CODES

from support.inbox import changed, collect, example, write_json


def failing(data: dict) -> dict:
    """A report with one 错误: 表三's new requests no longer add up to their total."""
    return changed(data, "applications.new.total", 4)


def test_summary_line_names_the_units_that_failed_or_are_missing(tmp_path):
    inbox = tmp_path / "inbox"
    for name in ("甲局", "乙局", "丙局", "丁局", "戊局"):
        write_json(inbox / f"{name}.json", failing(example(name=name)))
    write_json(inbox / "通过局.json", example(name="通过局"))
    (inbox / "坏.json").write_text("{", encoding="utf-8")
    roster = tmp_path / "名单.csv"
    roster.write_text("机关名称\n通过局\n未交局\n", encoding="utf-8")
    res, _data = collect(inbox, tmp_path, "--roster", roster)
    line = res.out.splitlines()[0]
    assert "有错误 5（丁局、丙局、乙局等）" in line, line  # in the inbox's order, three then 等
    assert "未报送 1（未交局）" in line and "无法读取 1（坏.json）" in line
    assert "通过 1，" in line and "通过局" not in line  # only what needs attention is named


def test_terminal_escapes_in_names_are_printed_escaped(tmp_path):
    """A file named to move the cursor up, erase the 无法读取 line and print a fake 通过, and a
    body name with a C1 control and a bidi override: every byte the terminal would act on is
    shown as an escape, in stdout and stderr."""
    inbox = tmp_path / "inbox"
    write_json(inbox / "ok.json", example())
    fake = "x\x1b[1A\x1b[2K\r2023 年度：通过 1\x1b[8m.json"
    (inbox / fake).write_text("broken", encoding="utf-8")
    write_json(inbox / "b.json", failing(example(name="乙\x85局\u202e")))
    res, data = collect(inbox, tmp_path)
    for stream in (res.out, res.err):
        assert not any(ch in stream for ch in "\x1b\r\x85\u202e"), repr(stream)
    assert "x\\x1b[1A\\x1b[2K\\x0d2023 年度：通过 1\\x1b[8m.json" in res.err
    assert "乙\\x85局\\u202e" in res.out
    assert fake in [f["file"] for f in data["files"]]  # the data keep the name as it is


@pytest.mark.parametrize(
    "text, shown",
    [
        ("a\x00b\x7f", "a\\x00b\\x7f"),
        ("\u200b\ufeff\u2066\u2028", "\\u200b\\ufeff\\u2066\\u2028"),
        ("\udcb2.json", "\\udcb2.json"),
        ("汾西县（财政局）\t", "汾西县（财政局）\\x09"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text, shown):
    assert printable(text) == shown


def test_a_refusal_keeps_its_own_lines_and_escapes_within_them():
    text = "无法处理：x.json：JSON 内容不符合格式：\n  explanations.0.rule：“TXT\x1b[2K”"
    assert (
        printable(text, lines=True) == "无法处理：x.json：JSON 内容不符合格式：\n  explanations.0.rule：“TXT\\x1b[2K”"
    )


def test_files_are_named_relative_to_the_inbox_with_their_code(tmp_path):
    """A FIFO, a damaged file in a subfolder, a JSON that is no report: each named by its place
    in the inbox (a shared 汇总 must not show the server's folders) with its code."""
    inbox = tmp_path / "inbox"
    write_json(inbox / "ok.json", example())
    os.mkfifo(inbox / "p.json")
    (inbox / "乡镇").mkdir()
    (inbox / "乡镇" / "x.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    write_json(inbox / "乡镇" / "y.json", {"a": 1})
    res, data = collect(inbox, tmp_path)
    unusable = {f["file"]: f for f in data["files"] if f.get("status") == "无法读取"}
    assert set(unusable) == {"p.json", "乡镇/x.xlsx", "乡镇/y.json"}
    for rel, entry in unusable.items():
        assert entry["reason"].startswith(f"{rel}："), entry
        assert entry["code"] in CODES and entry["code"] != "unusable-input", entry
        assert str(tmp_path) not in entry["reason"]
    assert unusable["p.json"]["code"] == "not-found" and unusable["乡镇/x.xlsx"]["code"] == "damaged"
    assert str(tmp_path) not in res.err
    assert res.code == 1


def test_last_year_files_keep_their_code(tmp_path):
    write_json(tmp_path / "inbox" / "a.json", example())
    (tmp_path / "last").mkdir()
    (tmp_path / "last" / "bad.json").write_text("{", encoding="utf-8")
    _res, data = collect(tmp_path / "inbox", tmp_path, "--last-year", tmp_path / "last")
    assert data["last_year_files"] == [
        {"file": "bad.json", "reason": data["last_year_files"][0]["reason"], "code": "bad-json"}
    ]
