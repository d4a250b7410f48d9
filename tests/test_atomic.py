"""Atomic writes: a failure mid-write leaves the previous file byte-identical and no temp file.

Failures are injected where the bytes go to disk: ``validator.fileio._write_bytes`` (export,
template, schema, the Excel button's export) and openpyxl's ``Workbook.save`` (fill,
annotate). Each writes half of the real output to the temp file, then raises the OSError a
full disk raises. The CLI then exits 2 with “无法写入 …（磁盘已满…）” (an OSError while writing
is a problem of the machine, not of this tool: not exit 3), naming the target.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' remote engine, tests only

import errno
import io
import stat
from pathlib import Path

import pytest
from openpyxl.workbook.workbook import Workbook

from validator import fileio

from conftest import EXAMPLE, REPORTS, TEMPLATE, run_cli, sha256

SOURCE_JSON = REPORTS / "fenxi-zfb_2023.source.json"
OLD = b"previous contents, must survive\n"


def _disk_full(*_):
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def half_bytes(monkeypatch):
    """The bytes writer writes half, then the disk is full."""
    calls = []

    def write(tmp, data):
        calls.append(tmp)
        with open(tmp, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise _disk_full()

    monkeypatch.setattr(fileio, "_write_bytes", write)
    return calls


@pytest.fixture
def half_save(monkeypatch):
    """openpyxl's save writes half the workbook, then the disk is full."""
    real = Workbook.save
    calls = []

    def save(self, filename):
        buf = io.BytesIO()
        real(self, buf)
        calls.append(filename)
        Path(filename).write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
        raise _disk_full()

    monkeypatch.setattr(Workbook, "save", save)
    return calls


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _assert_failed_cleanly(result, target: Path, before: str, listing: list[str], calls: list):
    assert calls, "the failure was not injected"
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err and "内部错误" not in result.err
    assert "无法写入" in result.err and "磁盘已满" in result.err and target.name in result.err, result.err
    assert "原有文件未被改动" in result.err
    assert sha256(target) == before
    assert _listing(target.parent) == listing  # no temp file left behind
    assert not Path(calls[0]).exists()


def test_export_disk_full(tmp_path, half_bytes):
    target = tmp_path / "out.json"
    target.write_bytes(OLD)
    before, listing = sha256(target), _listing(tmp_path)
    result = run_cli("export", EXAMPLE, "-o", target)
    _assert_failed_cleanly(result, target, before, listing, half_bytes)


def test_fill_disk_full(tmp_path, half_bytes):
    """fill makes the workbook in memory and writes its bytes: the bytes writer fails."""
    target = tmp_path / "filled.xlsx"
    target.write_bytes(OLD)
    before, listing = sha256(target), _listing(tmp_path)
    result = run_cli("fill", SOURCE_JSON, "-o", target)
    _assert_failed_cleanly(result, target, before, listing, half_bytes)


def test_annotate_disk_full(tmp_path, half_save):
    target = tmp_path / "marked.xlsx"
    target.write_bytes(OLD)
    before, listing = sha256(target), _listing(tmp_path)
    result = run_cli("check", EXAMPLE, "--annotate", target)
    _assert_failed_cleanly(result, target, before, listing, half_save)


def test_template_disk_full(tmp_path, half_bytes):
    out = tmp_path / "templates"
    out.mkdir()
    for name in ("xxgk-template-gb-2021-30.xlsx", "xxgk-template-gb-2021-30.xlsm"):
        (out / name).write_bytes(OLD)
    before = {p.name: sha256(p) for p in out.iterdir()}
    result = run_cli("template", "-o", out)
    _assert_failed_cleanly(
        result,
        out / "xxgk-template-gb-2021-30.xlsx",
        before["xxgk-template-gb-2021-30.xlsx"],
        sorted(before),
        half_bytes,
    )
    assert {p.name: sha256(p) for p in out.iterdir()} == before


def test_template_failing_on_the_second_file_keeps_the_first_complete(tmp_path, monkeypatch):
    out = tmp_path / "templates"
    out.mkdir()
    xlsx, xlsm = out / "xxgk-template-gb-2021-30.xlsx", out / "xxgk-template-gb-2021-30.xlsm"
    xlsx.write_bytes(OLD)
    xlsm.write_bytes(OLD)
    old_xlsm = sha256(xlsm)
    real = fileio._write_bytes
    seen = []

    def second_fails(tmp, data):
        seen.append(tmp)
        if len(seen) == 2:
            real(tmp, data[:100])
            raise _disk_full()
        real(tmp, data)

    monkeypatch.setattr(fileio, "_write_bytes", second_fails)
    result = run_cli("template", "-o", out)
    assert result.code == 2 and "无法写入" in result.err and xlsm.name in result.err
    assert sha256(xlsx) == sha256(TEMPLATE)  # the new one, complete
    assert sha256(xlsm) == old_xlsm
    assert _listing(out) == sorted([xlsx.name, xlsm.name])


def test_schema_disk_full(tmp_path, half_bytes):
    target = tmp_path / "schema.json"
    target.write_bytes(OLD)
    before, listing = sha256(target), _listing(tmp_path)
    _assert_failed_cleanly(run_cli("schema", "-o", target), target, before, listing, half_bytes)


@pytest.mark.parametrize(
    "where,code,reason",
    [
        ("mkstemp", errno.EACCES, "没有权限"),
        ("replace", errno.EACCES, "没有权限"),
        ("fsync", errno.EIO, "磁盘已满或没有权限"),
        ("replace", errno.EROFS, "磁盘只读"),
    ],
)
def test_other_os_errors_while_writing(tmp_path, monkeypatch, where, code, reason):
    target = tmp_path / "out.json"
    target.write_bytes(OLD)
    before, listing = sha256(target), _listing(tmp_path)

    def fail(*_a, **_k):
        raise OSError(code, os.strerror(code))

    if where == "mkstemp":
        monkeypatch.setattr(fileio.tempfile, "mkstemp", fail)
    elif where == "replace":
        monkeypatch.setattr(fileio.os, "replace", fail)
    else:
        monkeypatch.setattr(fileio.os, "fsync", fail)
    result = run_cli("export", EXAMPLE, "-o", target)
    assert result.code == 2, result.err
    assert "无法写入" in result.err and reason in result.err and "out.json" in result.err
    assert sha256(target) == before and _listing(tmp_path) == listing


def test_missing_output_folder(tmp_path):
    result = run_cli("export", EXAMPLE, "-o", tmp_path / "no-such-folder" / "out.json")
    assert result.code == 2 and "无法写入" in result.err and "文件夹不存在" in result.err


def test_output_is_a_folder(tmp_path):
    (tmp_path / "out.json").mkdir()
    result = run_cli("export", EXAMPLE, "-o", tmp_path / "out.json")
    assert result.code == 2 and "文件夹" in result.err
    assert (tmp_path / "out.json").is_dir()


def test_interrupted_write_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_bytes(OLD)

    def interrupted(tmp, data):
        Path(tmp).write_bytes(data[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio, "_write_bytes", interrupted)
    result = run_cli("export", EXAMPLE, "-o", target)
    assert result.code == 130
    assert target.read_bytes() == OLD and _listing(tmp_path) == ["out.json"]


def test_a_write_that_raises_something_else_is_cleaned_up_and_re_raised(tmp_path):
    target = tmp_path / "x.bin"

    def broken(tmp):
        Path(tmp).write_bytes(b"half")
        raise ValueError("bug")

    with pytest.raises(ValueError):
        fileio.atomic_write(target, broken)
    assert _listing(tmp_path) == []


def test_new_files_get_normal_permissions_and_replaced_files_keep_theirs(tmp_path):
    old_umask = os.umask(0o022)
    try:
        new = tmp_path / "new.json"
        assert run_cli("export", EXAMPLE, "-o", new).code == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # not mkstemp's 0600
        kept = tmp_path / "kept.json"
        kept.write_bytes(OLD)
        kept.chmod(0o640)
        assert run_cli("export", EXAMPLE, "-o", kept).code == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_bytes() != OLD
    finally:
        os.umask(old_umask)


def test_a_long_target_name_leaves_room_for_the_temp_file(tmp_path):
    name = "汾西县人民政府办公室" * 8 + ".json"  # 245 bytes: the temp name must not be longer
    assert len(name.encode()) > 240
    assert run_cli("export", EXAMPLE, "-o", tmp_path / name).code == 0
    assert _listing(tmp_path) == [name]


def test_excel_button_export_disk_full(tmp_path, half_bytes):
    from addin import excel

    from support.remote_excel import actions, remote_book

    book = remote_book(EXAMPLE)
    assert excel.export_json(book, folder=tmp_path) is None
    [alert] = actions(book, "alert")
    assert "无法写入" in alert["args"][0] and "磁盘已满" in alert["args"][0]
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("command", [["template", "-o"], ["excel-setup", "--to"]])
def test_an_output_folder_under_a_file_is_a_clear_message(tmp_path, monkeypatch, command):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli(*command, blocker / "sub")
    assert result.code == 2 and "无法写入" in result.err and "Traceback" not in result.err
