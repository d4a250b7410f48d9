"""The 收报 board of ``xxgk serve --db``: uploads are judged and archived by the same run as
``xxgk collect --db``; every roster body is listed with its status."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient
from test_collect import as_year, get, put, renamed, source, write_json
from test_serve import local

from validator.serve.app import Config, create_app

ROSTER = "机关名称,机关类型\n汾西县人民政府办公室,部门\n汾西县卫生健康局,部门\n汾西县教育局,部门\n汾西县财政局,部门\n"


def submissions(folder: Path) -> dict[str, Path]:
    """Three bodies' reports: one clean, one with a 错误, one with only 提示."""
    fenxi = source("fenxi-zfb_2023")
    education = renamed(fenxi, "汾西县教育局")
    put(education, "applications.new.total", get(education, "applications.new.total") + 1)
    health = renamed(as_year(source("huaian-shi_2024"), 2023, None), "汾西县卫生健康局", "部门")
    return {
        "政府办.json": write_json(folder / "a.json", fenxi),
        "教育局<b>.json": write_json(folder / "b.json", education),
        "卫健局.json": write_json(folder / "c.json", health),
    }


@pytest.fixture
def board(tmp_path) -> tuple[TestClient, Path]:
    roster = tmp_path / "名单.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    db = tmp_path / "年报.sqlite"
    app = create_app(Config(db=db, roster=roster))
    return local(app), db


def test_the_board_lists_every_roster_body_before_any_upload(board):
    client, _ = board
    page = client.get("/board")
    assert page.status_code == 200
    assert page.text.count("未报送") >= 4


def test_three_uploads_are_judged_archived_and_summed(board, tmp_path):
    client, db = board
    files = [("file", (name, path.read_bytes())) for name, path in submissions(tmp_path).items()]
    response = client.post("/board/upload", files=files, follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/board").text
    rows = {
        name: page[page.index(f"<td>{name}</td>") :].split("</tr>")[0]
        for name in ("汾西县人民政府办公室", "汾西县教育局", "汾西县卫生健康局", "汾西县财政局")
    }
    assert "通过" in rows["汾西县人民政府办公室"]
    assert "有错误" in rows["汾西县教育局"]
    assert "有提示" in rows["汾西县卫生健康局"]
    assert "未报送" in rows["汾西县财政局"]
    assert "教育局&lt;b&gt;.json" in rows["汾西县教育局"]  # the sender's name, as text
    stored = sorted(p.name for p in db.with_name("年报-收件").iterdir() if not p.name.startswith("."))
    assert stored == ["收件-0001.json", "收件-0002.json", "收件-0003.json"]
    with sqlite3.connect(db) as con:
        archived = {row[0] for row in con.execute("SELECT body_name FROM submissions")}
    assert "汾西县人民政府办公室" in archived and "汾西县教育局" not in archived
    link = page[page.index("<td>汾西县教育局</td>") :].split('href="')[1].split('"')[0]
    findings = client.get(link).text
    assert "错误" in findings and "应为" in findings
    summary = client.get("/board/summary.xlsx")
    assert summary.status_code == 200
    assert len(openpyxl.load_workbook(io.BytesIO(summary.content), read_only=True).sheetnames) >= 2


def test_the_check_page_stores_nothing_when_a_board_runs(board):
    from conftest import EXAMPLE

    client, db = board
    assert "不保存任何文件" in client.get("/").text
    response = client.post("/check", files={"file": (EXAMPLE.name, EXAMPLE.read_bytes())})
    assert "校验通过" in response.text
    assert not db.exists() and not db.with_name("年报-收件").exists()
