"""`xxgk excel-setup` on Windows: the Mark of the Web and macro settings that keep buttons dead.

These run on Linux with ``sys.platform`` patched to ``win32``: the stream name and what is
printed are what matter; ``os.remove`` and the registry reader are replaced where Linux
cannot answer like Windows would.
"""

from __future__ import annotations

import errno
import os
import sys

import pytest

from addin import setup
from addin.setup import macro_settings_advice, remove_mark_of_the_web

from conftest import run_cli


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Pretend to be Windows; record every path ``os.remove`` is asked to delete."""
    monkeypatch.setattr(sys, "platform", "win32")
    removed: list[str] = []
    monkeypatch.setattr(os, "remove", removed.append)
    return removed


def test_the_zone_identifier_stream_of_the_copy_is_deleted(windows, tmp_path) -> None:
    target = tmp_path / "xxgk-template-gb-2021-30.xlsm"
    note = remove_mark_of_the_web(target)
    assert windows == [f"{target}:Zone.Identifier"]
    assert note is not None and "已去除" in note and "Zone.Identifier" in note


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (FileNotFoundError(errno.ENOENT, "not found"), "没有“来自网络”标记"),
        (OSError(errno.EINVAL, "invalid name"), "不支持“来自网络”标记"),
        (PermissionError(errno.EACCES, "拒绝访问"), "勾选“解除锁定”"),
    ],
)
def test_what_is_said_when_there_is_no_stream_or_it_cannot_be_removed(
    monkeypatch: pytest.MonkeyPatch, tmp_path, error: OSError, expected: str
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")

    def refuse(path: str) -> None:
        raise error

    monkeypatch.setattr(os, "remove", refuse)
    note = remove_mark_of_the_web(tmp_path / "t.xlsm")
    assert note is not None and expected in note


def test_nothing_is_removed_off_windows(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(os, "remove", lambda path: pytest.fail(f"removed {path}"))
    assert remove_mark_of_the_web(tmp_path / "t.xlsm") is None
    assert setup.windows_macro_notes(tmp_path / "t.xlsm") == []


POLICY = r"Software\Policies\Microsoft\Office\16.0\Excel\Security"
USER = r"Software\Microsoft\Office\16.0\Excel\Security"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, None),  # Office default: the 启用内容 bar appears
        ({USER: 2}, None),
        ({USER: 1}, None),
        ({USER: 4}, "信任中心设置 → 宏设置"),
        ({USER: 3}, "信任中心设置 → 宏设置"),
        ({POLICY: 4}, "组策略"),
        ({POLICY: 3, USER: 1}, "组策略"),
        ({POLICY: 2, USER: 4}, None),  # the policy wins over the user's own setting
    ],
)
def test_macro_settings_advice(values: dict[str, int], expected: str | None) -> None:
    advice = macro_settings_advice(values.get)
    if expected is None:
        assert advice is None
    else:
        assert advice is not None and expected in advice


@pytest.mark.slow
def test_excel_setup_reports_both_on_windows(windows, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(setup, "_read_vba_warnings", {POLICY: 4}.get)
    result = run_cli("excel-setup", "--to", tmp_path / "out")
    assert result.code == 0, result.err
    target = tmp_path / "out" / "xxgk-template-gb-2021-30.xlsm"
    assert f"{target}:Zone.Identifier" in windows
    assert "已去除宏模板的“来自网络”标记" in result.out
    assert "单位组策略禁用了未签名的宏" in result.out
