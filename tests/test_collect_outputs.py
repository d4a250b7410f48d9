"""collect's outputs on a disk that fills up: exit 2 with 无法写入, no traceback, no half pair of
aggregate files, old files untouched.

A full disk is made two ways: a file-size limit on the run (RLIMIT_FSIZE: every write past it
fails like a full disk, for any user) and, where the test may mount one, a real 20 KB tmpfs.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT
from support.inbox import example, write_json

CLI = [sys.executable, "-c", "import sys; from validator.cli.program import main; sys.exit(main())"]


def _limited(size: int):
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def run(*args: object, limit: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=_limited(limit) if limit is not None else None,
    )


def quiet_failure(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "无法写入" in proc.stderr and "原有文件未被改动" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert "内部错误" not in proc.stderr


@pytest.fixture
def inbox(tmp_path) -> Path:
    write_json(tmp_path / "inbox" / "a.json", example())
    return tmp_path / "inbox"


def test_a_full_disk_while_writing_the_summary_workbook_is_exit_2(inbox, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    quiet_failure(run("collect", inbox, "-o", out / "汇总.xlsx", "--quiet", limit=8 * 1024))
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_a_real_full_disk_says_so(inbox, tmp_path):
    small = Path(tempfile.mkdtemp())
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20k", "tmpfs", small]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        proc = run("collect", inbox, "-o", small / "汇总.xlsx", "--quiet")
        quiet_failure(proc)
        assert "磁盘已满" in proc.stderr
        assert list(small.iterdir()) == []
    finally:
        subprocess.run(["umount", small])
        small.rmdir()


@pytest.mark.slow
def test_aggregate_pair_is_written_whole_or_not_at_all(inbox, tmp_path):
    """The JSON (10 KB) fits under the limit and the workbook (28 KB) does not: the old pair
    stays as it was, byte for byte, and no temporary file is left beside it."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "agg.json").write_bytes(b"old json")
    (out / "agg.xlsx").write_bytes(b"old workbook")
    args = ["collect", inbox, "-o", tmp_path / "汇总.xlsx", "--as", "某县", "--type", "政府"]
    proc = run(*args, "--aggregate", out / "agg.json", "--quiet", limit=16 * 1024)
    quiet_failure(proc)
    assert "agg.xlsx" in proc.stderr
    assert (out / "agg.json").read_bytes() == b"old json" and (out / "agg.xlsx").read_bytes() == b"old workbook"
    assert sorted(p.name for p in out.iterdir()) == ["agg.json", "agg.xlsx"]
    proc = run(*args, "--aggregate", out / "agg.json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (out / "agg.json").read_bytes().startswith(b"{") and (out / "agg.xlsx").read_bytes().startswith(b"PK")


def test_pair_writer_replaces_neither_file_when_the_second_cannot_be_written(tmp_path, monkeypatch):
    import errno

    import validator.fileio as fileio
    from validator.errors import CannotWrite

    (tmp_path / "a.json").write_bytes(b"old a")
    (tmp_path / "a.xlsx").write_bytes(b"old b")
    real = fileio._write_bytes

    def second_fails(tmp: str, data: bytes) -> None:
        if data == b"new b":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(tmp, data)

    monkeypatch.setattr(fileio, "_write_bytes", second_fails)
    with pytest.raises(CannotWrite, match="磁盘已满"):
        fileio.atomic_write_pair((tmp_path / "a.json", b"new a"), (tmp_path / "a.xlsx", b"new b"))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a.json": b"old a", "a.xlsx": b"old b"}
    monkeypatch.setattr(fileio, "_write_bytes", real)
    fileio.atomic_write_pair((tmp_path / "a.json", b"new a"), (tmp_path / "a.xlsx", b"new b"))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a.json": b"new a", "a.xlsx": b"new b"}
