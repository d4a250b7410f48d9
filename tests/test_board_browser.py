"""The whole 收报 season in a real browser (Debian's Chromium driven by Playwright, no download):
the office issues codes; body A uploads a report with an error; the office returns it with a
reason; A sees the reason and uploads a fixed version; the office sees the difference and
approves; body B, with its own code, sees neither A's page nor A's data; the 汇总 holds A's
approved figures only; the audit log lists every step and verifies.

Screenshots go to tmp_path, or to docs/ (the pictures in README and docs/receiving.md) with ``XXGK_UPDATE_DOCS=1``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from validator.serve.app import Config, create_app

from conftest import ROOT
from support.inbox import get
from support.rendering import require_tools
from support.season import BODIES, TOKEN, as_bytes, codes_of, report, write_roster
from support.server import live_server

pytestmark = pytest.mark.slow  # a whole season in headless Chromium

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_FORCE = "proactive.normative_documents.in_force"
WAIT_MS = 120_000  # a bound on waiting for a page on a busy machine; never a speed target


@pytest.fixture
def chromium() -> Iterator:
    require_tools("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def shots(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("XXGK_UPDATE_DOCS") == "1" else tmp_path


def person(browser, errors: list[str]):
    """One user: a context of their own (their own cookies), 1100 px wide."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


def write(path: Path, data: dict) -> str:
    path.write_bytes(as_bytes(data))
    return str(path)


def test_a_whole_season_in_chromium(chromium, tmp_path):
    deadline = (dt.date.today() - dt.timedelta(days=2)).isoformat()  # two bodies are 2 days late
    roster = write_roster(tmp_path / "名单.csv", deadline=deadline)
    db = tmp_path / "年报.sqlite"
    broken, fixed = report(error=True), report(**{IN_FORCE: 21})
    fixed["narrative"]["overview"] = broken["narrative"]["overview"].replace("。", "。本年新增政策解读专栏。", 1)
    files = tmp_path / "files"
    files.mkdir()
    errors: list[str] = []
    with live_server(create_app(Config(db=db, roster=roster, year=2023, token=TOKEN))) as url:
        office = person(chromium, errors)
        office.goto(f"{url}/board?token={TOKEN}")
        assert office.url == f"{url}/board"  # the token went into a cookie, out of the address bar
        assert office.locator("table.board tbody tr").count() == 3
        with office.expect_download() as download:
            office.click("#codes")
        saved = tmp_path / "报送码.xlsx"
        download.value.save_as(saved)
        codes = codes_of(saved.read_bytes())
        assert set(codes) == set(BODIES)

        a = person(chromium, errors)
        a.goto(f"{url}/submit")
        a.fill("#code", codes[BODIES[0]].lower())  # as typed from the printed list
        a.click("button[type=submit]")
        a.set_input_files("#file", write(files / "政府办年报.json", broken))
        a.click("form.drop button[type=submit]")
        a.locator("#notes").wait_for()
        assert "第 1 版" in a.inner_text("#notes") and "有错误" in a.inner_text("#notes")
        assert "表三!J4" in a.inner_text("#result")

        office.goto(f"{url}/board")
        row = office.locator("table.board tbody tr", has_text=BODIES[0])
        assert "待审核" in row.inner_text() and "有错误" in row.inner_text()
        row.get_by_role("link").click()
        assert "问题所在" in office.inner_text("#findings")
        office.screenshot(path=str(tmp_path / "board-review.png"), full_page=True)
        office.fill("#reason", "表三“本年新收申请”总计应为各列之和，请核对后重新报送。")
        office.click("#return")
        office.locator("td.status-已退回").first.wait_for()

        a.goto(f"{url}/submit")
        assert "第 1 版已退回" in a.inner_text("#returned")
        assert "请核对后重新报送" in a.inner_text("#returned")
        a.screenshot(path=str(shots(tmp_path) / "board-body.png"), full_page=False)
        a.set_input_files("#file", write(files / "政府办年报-修改.json", fixed))
        a.click("form.drop button[type=submit]")
        a.locator("#notes").wait_for()
        assert "第 2 版" in a.inner_text("#notes") and "通过" in a.inner_text("#notes")

        office.goto(f"{url}/board/bodies/1")
        office.click("#diff")
        cells = office.inner_text("#cells")
        assert "表三!J4" in cells and "规范性文件" in cells
        assert "本年新增政策解读专栏。" in office.inner_text("#narrative ins")
        office.screenshot(path=str(shots(tmp_path) / "board-diff.png"), full_page=False)
        office.goto(f"{url}/board/bodies/1")
        office.click("#approve")
        office.locator("#review").wait_for(state="detached")
        office.goto(f"{url}/board")
        office.set_input_files("#file", write(files / "财政局年报.json", report(BODIES[2])))  # sent by e-mail
        office.click("form.drop button[type=submit]")
        assert "财政局年报.json：汾西县财政局 第 1 版" in office.inner_text("#received")
        office.goto(f"{url}/board")
        assert "已通过" in office.locator("table.board tbody tr", has_text=BODIES[0]).inner_text()
        assert "待审核" in office.locator("table.board tbody tr", has_text=BODIES[2]).inner_text()
        office.screenshot(path=str(shots(tmp_path) / "board-office.png"), full_page=False)

        b = person(chromium, errors)
        b.goto(f"{url}/submit")
        b.screenshot(path=str(tmp_path / "board-login.png"), full_page=False)
        b.fill("#code", codes[BODIES[1]])
        b.click("button[type=submit]")
        page_b = b.inner_text("body")
        assert BODIES[1] in page_b and BODIES[0] not in page_b and "未报送" in page_b
        b.goto(f"{url}/board")
        assert "上级机关登录" in b.inner_text("body") and BODIES[0] not in b.inner_text("body")
        for path in ("/board/bodies/1", "/api/bodies/1", "/api/board", "/board/summary.xlsx"):
            response = b.request.get(f"{url}{path}")
            assert response.status in (401, 403), path
            assert BODIES[0] not in response.text(), path
        with_code = b.request.get(f"{url}/api/bodies/1", headers={"x-xxgk-code": codes[BODIES[1]]})
        assert with_code.status == 403
        mine = b.request.get(f"{url}/api/submissions/mine", headers={"x-xxgk-code": codes[BODIES[1]]}).json()
        assert mine["name"] == BODIES[1] and mine["versions"] == []

        with office.expect_download() as download:
            office.click("#summary")
        summary = tmp_path / "汇总.xlsx"
        download.value.save_as(summary)

        office.goto(f"{url}/board/audit")
        audit = office.inner_text("body")
        office.screenshot(path=str(tmp_path / "board-audit.png"), full_page=True)
        assert "记录完好" in office.inner_text("#verified")
        steps = [office.locator("table.audit tbody tr").nth(i).inner_text() for i in range(9)]
    wb = openpyxl.load_workbook(io.BytesIO(summary.read_bytes()), data_only=True)
    detail = [r for r in wb["分单位明细"].iter_rows(values_only=True)]
    column = detail[0].index(next(h for h in detail[0] if h and "现行有效件数" in h and "规范性文件" in h))
    counted = {r[0]: r[column] for r in detail[1:] if r[0] and r[4] == "是"}
    assert counted == {BODIES[0]: 21}  # A's approved version 2; the 财政局's awaiting review is not counted
    assert get(broken, IN_FORCE) != 21
    newest_first = "\n".join(steps)
    for word in ("下载", "通过", "提交", "退回"):
        assert word in newest_first, word
    assert audit.index("通过") < audit.index("退回")  # newest first
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert json.loads(json.dumps(counted, ensure_ascii=False))
