"""The office's pages of the 收报 board (``xxgk serve --db``): every roster body listed before any
upload, the office's batch upload judged and stored as versions, a body's page with its
findings, return and approve by form, and the check page storing nothing."""

from __future__ import annotations

import io
import re
import sqlite3

import openpyxl
import pytest

from conftest import EXAMPLE
from support.season import BODIES, OFFICE, TOKEN, as_bytes, board, codes_of, report


@pytest.fixture
def office(tmp_path):
    client, db = board(tmp_path)
    assert client.get(f"/board?token={TOKEN}", follow_redirects=False).status_code == 303
    return client, db


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def row(page: str, name: str) -> str:
    return page[page.index(f"<td>{name}") :].split("</tr>")[0]


def test_the_board_needs_the_office_token_and_lists_every_roster_body(tmp_path):
    client, _ = board(tmp_path)
    assert client.get("/board").status_code == 401 and "上级机关登录" in client.get("/board").text
    assert client.post("/board/login", data={"token": "wrong"}).status_code == 403
    login = client.post("/board/login", data={"token": TOKEN}, follow_redirects=False)
    assert login.status_code == 303 and "httponly" in login.headers["set-cookie"].lower()
    page = client.get("/board")
    assert page.status_code == 200
    assert page.text.count("未报送") >= 4 and all(name in page.text for name in BODIES)


def test_the_offices_batch_upload_is_judged_and_stored(office):
    client, db = office
    token = csrf(client.get("/board").text)
    files = [
        ("file", ("政府办.json", as_bytes(report()))),
        ("file", ("教育局<b>.json", as_bytes(report(BODIES[1], error=True)))),
        ("file", ("外单位.json", as_bytes(report("某市某局")))),
    ]
    response = client.post(f"/board/upload?csrf={token}", files=files)
    assert response.status_code == 207  # one file refused
    assert "教育局&lt;b&gt;.json" in response.text and "<b>.json" not in response.text
    assert "外单位.json：未接收" in response.text and "名单中没有“某市某局”" in response.text
    page = client.get("/board").text
    assert "待审核" in row(page, BODIES[0]) and "通过" in row(page, BODIES[0])
    assert "有错误" in row(page, BODIES[1]) and "未报送" in row(page, BODIES[2])
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT body_name, origin FROM submissions ORDER BY id").fetchall() == [
            (BODIES[0], "office"),
            (BODIES[1], "office"),
        ]


def test_a_bodys_page_returns_and_approves_by_form(office):
    client, _ = office
    token = csrf(client.get("/board").text)
    client.post(
        f"/board/bodies/2/upload?csrf={token}", files={"file": ("教育局.json", as_bytes(report(BODIES[1], error=True)))}
    )
    page = client.get("/board/bodies/2").text
    assert "问题所在" in page and "<code>表三!J4</code>" in page and 'id="return-findings"' in page
    assert client.post("/board/bodies/2/return", data={"version": "1", "findings": "1"}).status_code == 403  # no token
    done = client.post(
        "/board/bodies/2/return", data={"csrf": token, "version": "1", "findings": "1"}, follow_redirects=False
    )
    assert done.status_code == 303
    page = client.get("/board/bodies/2").text
    assert "已退回" in page and "校验发现 1 处错误" in page and 'id="approve"' not in page
    client.post(f"/board/bodies/2/upload?csrf={token}", files={"file": ("教育局2.json", as_bytes(report(BODIES[1])))})
    approve = client.post("/board/bodies/2/approve", data={"csrf": token, "version": "2"}, follow_redirects=False)
    assert approve.status_code == 303
    assert "已通过" in row(client.get("/board").text, BODIES[1])
    again = client.post("/board/bodies/2/approve", data={"csrf": token, "version": "2"})
    assert again.status_code == 409 and "已通过，不能再通过" in again.text
    diff = client.get("/board/bodies/2/diff?from=1&to=2").text
    assert "<code>表三!J4</code>" in diff and "未修改" in diff
    summary = client.get("/board/summary.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(summary.content), read_only=True)
    assert wb.sheetnames[0] == "报送情况"
    audit = client.get("/board/audit").text
    assert "记录完好" in audit and "退回" in audit and "通过" in audit


def test_the_check_page_stores_nothing_when_a_board_runs(office):
    client, db = office
    with sqlite3.connect(db) as con:
        before = con.execute("SELECT count(*) FROM events").fetchone()
    assert "不保存任何文件" in client.get("/").text
    response = client.post("/check", files={"file": (EXAMPLE.name, EXAMPLE.read_bytes())})
    assert "校验通过" in response.text
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM submissions").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM events").fetchone() == before


def test_a_bodys_page_says_an_upload_after_approval_awaits_review_again(office):
    client, _ = office
    codes = codes_of(client.post("/api/codes", headers=OFFICE).content)
    body = type(client)(client.app, base_url="http://127.0.0.1:8765")
    body.post("/submit/login", data={"code": codes[BODIES[0]]})
    token = csrf(body.get("/submit").text)
    body.post(f"/submit/upload?csrf={token}", files={"file": ("年报.json", as_bytes(report()))})
    client.post("/api/bodies/1/approve", json={"version": 1}, headers=OFFICE)
    assert "再次上传将成为新的一版，需要重新审核" in body.get("/submit").text
    page = body.post(f"/submit/upload?csrf={token}", files={"file": ("年报2.json", as_bytes(report()))}).text
    assert "已收到第 2 版" in page and "第 1 版此前已通过审核" in page and "通过前汇总仍使用第 1 版" in page
    assert "内容与第 1 版相同" in page
