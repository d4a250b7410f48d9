"""``xxgk serve`` in a real browser: Debian's Chromium (installed by .ci/run) driven by
Playwright for Python pointed at /usr/bin/chromium (no browser download).

The 校验 page: upload the example and a broken copy, see the root cause with its figures,
download the annotated workbook and read it with openpyxl (the 收报 season in a browser:
tests/test_board_browser.py). Screenshots go to tmp_path, or to docs/ (docs/filling.md's picture)
with ``XXGK_UPDATE_DOCS=1``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from validator.serve.app import create_app

from conftest import EXAMPLE, ROOT
from support.rendering import require_tools
from support.server import broken_copy, live_server

pytestmark = pytest.mark.slow  # the check page in headless Chromium

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(tmp_path) -> Iterator:
    require_tools("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a throw-away --user-data-dir
            executable_path=shutil.which("chromium"),
            headless=True,
            args=FLAGS,
            accept_downloads=True,
            viewport={"width": 1000, "height": 900},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def shots(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("XXGK_UPDATE_DOCS") == "1" else tmp_path


def test_check_page_in_chromium(browser, tmp_path):
    page = browser
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    with live_server(create_app()) as url:
        page.goto(url + "/")
        assert "不保存任何文件" in page.inner_text("body")
        page.set_input_files("#file", str(EXAMPLE))
        page.click("button[type=submit]")
        page.wait_for_selector("#result")
        assert "校验通过" in page.inner_text("#result")
        assert page.locator("#exported").count() == 1

        page.set_input_files("#file", str(broken_copy(tmp_path)))
        page.click("button[type=submit]")
        page.wait_for_selector("#result")
        first = page.locator("ol.findings > li").first
        assert "问题所在" in first.inner_text() and "表三!J4" in first.inner_text()
        assert first.locator(".expected").first.inner_text() == "3"
        assert first.locator(".actual").first.inner_text() == "4"
        assert page.locator("#exported").count() == 0
        page.screenshot(path=str(shots(tmp_path) / "serve-check.png"), full_page=False)
        with page.expect_download() as download:
            page.click("#annotated")
        saved = tmp_path / "标注.xlsx"
        download.value.save_as(saved)
    assert download.value.suggested_filename == "broken-标注.xlsx"
    wb = openpyxl.load_workbook(saved)
    assert wb["表三"]["J4"].value == 4 and wb["表三"]["J4"].fill.fgColor.rgb.endswith("FF9999")
    assert "校验结果" in wb.sheetnames
    assert not [e for e in errors if "Content Security Policy" in e], errors
