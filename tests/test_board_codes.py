"""报送码: ≥ 60 random bits from an alphabet without look-alikes, kept only as salted scrypt
hashes, compared in constant time; reissuing revokes; repeated wrong codes from one client get
HTTP 429; ``xxgk codes`` prints the list (A4: 单位, 报送码, 报送网址)."""

from __future__ import annotations

import io
import math
import sqlite3

import openpyxl
import pytest

from validator import api
from validator.season import codes
from validator.season.service import SeasonError

from conftest import run_cli
from support.season import BODIES, OFFICE, board, codes_of, issue, report, submit, write_roster


def test_a_code_has_at_least_60_bits_from_an_unambiguous_alphabet():
    assert not set(codes.ALPHABET) & set("01ILO")
    code = codes.new_code()
    raw = code.replace("-", "")
    secret_bits = (len(raw) - codes.GROUP) * math.log2(len(codes.ALPHABET))  # the handle is stored in clear
    assert secret_bits >= 60
    assert len({codes.new_code() for _ in range(2000)}) == 2000
    assert codes.normalize(code.lower().replace("-", " ")) == raw
    assert codes.normalize(code[:-1]) is None and codes.normalize(code[:-1] + "O") is None


def test_codes_are_stored_only_as_salted_hashes(tmp_path):
    client, db = board(tmp_path)
    issued = issue(client)
    data = db.read_bytes() + (
        db.with_name(db.name + "-wal").read_bytes() if db.with_name(db.name + "-wal").exists() else b""
    )
    for code in issued.values():
        assert code.encode() not in data and code.replace("-", "").encode() not in data
    con = sqlite3.connect(db)
    salts = [r[0] for r in con.execute("SELECT code_salt FROM bodies")]
    assert len(set(salts)) == len(salts) == 3 and all(len(s) == 16 for s in salts)
    con.close()


def test_reissuing_revokes_the_old_code_and_its_sessions(tmp_path):
    client, _ = board(tmp_path)
    old = issue(client)[BODIES[0]]
    browser = client
    assert browser.post("/submit/login", data={"code": old}, follow_redirects=False).status_code == 303
    assert BODIES[0] in browser.get("/submit").text
    response = client.post("/api/bodies/1/code", headers=OFFICE)
    new = codes_of(response.content)[BODIES[0]]
    assert new != old
    assert submit(client, old, report()).status_code == 403
    assert "输入本单位的报送码" in browser.get("/submit").text  # the session of the old code ended
    assert submit(client, new, report()).status_code == 201
    events = [e["action"] for e in client.get("/api/audit", headers=OFFICE).json()["events"]]
    assert events.count("issue-code") == 3 and events.count("reissue-code") == 1


def test_repeated_wrong_codes_from_one_client_get_429(tmp_path):
    client, _ = board(tmp_path)
    right = issue(client)[BODIES[0]]
    wrong = "2222-2222-2222-2222-2222"
    for _ in range(codes.Throttle.allowed):
        assert client.get("/api/submissions/mine", headers={"x-xxgk-code": wrong}).status_code == 403
    slowed = client.get("/api/submissions/mine", headers={"x-xxgk-code": right})
    assert slowed.status_code == 429  # even the right code waits: guessing cannot go on
    assert int(slowed.headers["retry-after"]) > 0
    assert client.post("/submit/login", data={"code": right}).status_code == 429
    assert client.get("/api/board", headers={"authorization": "Bearer wrong"}).status_code == 429


def test_the_lock_is_per_client_and_ends(tmp_path):
    client, db = board(tmp_path)
    right = issue(client)[BODIES[0]]
    season = api.open_season(db)
    now = [1000.0]
    season.throttle.clock = lambda: now[0]
    wrong = "2222-2222-2222-2222-2222"
    for _ in range(codes.Throttle.allowed):
        with pytest.raises(SeasonError, match="不正确"):
            season.authenticate(wrong, "10.0.0.9")
    with pytest.raises(SeasonError, match="次数过多"):
        season.authenticate(right, "10.0.0.9")
    assert season.authenticate(right, "10.0.0.10").name == BODIES[0]  # another client is not slowed
    now[0] += season.throttle.lock + 1
    assert season.authenticate(right, "10.0.0.9").name == BODIES[0]
    with pytest.raises(SeasonError):  # one more wrong one locks again, longer
        season.authenticate(wrong, "10.0.0.9")
    assert season.throttle.wait("10.0.0.9") > season.throttle.lock


def test_xxgk_codes_writes_the_printed_list(tmp_path):
    db, roster = tmp_path / "年报.sqlite", write_roster(tmp_path / "名单.csv")
    out = tmp_path / "报送码.xlsx"
    result = run_cli("codes", "--db", db, "--roster", roster, "-o", out, "--url", "http://10.1.2.3:8765/submit")
    assert result.code == 0 and "已发放 3 个报送码" in result.out, result.err
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws.page_setup.paperSize == 9 and ws.print_title_rows == "$3:$3"  # A4, the header on every page
    listed = codes_of(out.read_bytes())
    assert list(listed) == list(BODIES)
    assert {row[2].value for row in ws.iter_rows(min_row=4)} == {"http://10.1.2.3:8765/submit"}
    again = run_cli("codes", "--db", db, "-o", tmp_path / "again.xlsx")
    assert again.code == 2 and "--all" in again.err  # every body has one: nothing silently reissued
    one = run_cli("codes", "--db", db, "-o", tmp_path / "one.xlsx", "--body", BODIES[1])
    assert one.code == 0
    assert list(codes_of((tmp_path / "one.xlsx").read_bytes())) == [BODIES[1]]
    assert run_cli("codes", "--db", db, "-o", db).code == 2  # never over the archive
    assert run_cli("codes", "--db", db, "-o", tmp_path / "x.xlsx", "--body", "没有的局").code == 2


def test_the_office_page_has_the_codes_button(tmp_path):
    client, _ = board(tmp_path)
    page = client.get(f"/board?token={OFFICE['authorization'][7:]}")
    assert page.status_code == 200 and 'id="codes"' in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/board/codes", data={"csrf": csrf, "which": "missing"})
    assert response.status_code == 200
    assert len(codes_of(response.content)) == 3
    assert client.post("/board/codes", data={"which": "missing"}).status_code == 403  # no CSRF token
    assert io.BytesIO(response.content).getbuffer().nbytes > 0
