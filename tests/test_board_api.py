"""The board's JSON API: every status transition, every forbidden one, every refusal code; what
is kept of an upload (every version, nothing refused or oversized); the difference between two
versions; the 汇总 from approved versions and the 催报 list; who may call what."""

from __future__ import annotations

import io
import json
import sqlite3

import openpyxl
import pytest

from conftest import ROOT, run_cli
from support.inbox import get
from support.season import (
    BODIES,
    OFFICE,
    as_bytes,
    board,
    board_rows,
    issue,
    report,
    submit,
)

NEW_TOTAL = "applications.new.total"
IN_FORCE = "proactive.normative_documents.in_force"


@pytest.fixture
def season(tmp_path):
    client, db = board(tmp_path, deadline="2024-01-20", contacts=True)
    return client, db, issue(client)


def returned(client, body_id: int, version: int, **body):
    return client.post(f"/api/bodies/{body_id}/return", json={"version": version, **body}, headers=OFFICE)


def approved(client, body_id: int, version: int):
    return client.post(f"/api/bodies/{body_id}/approve", json={"version": version}, headers=OFFICE)


def test_every_status_transition(season):
    client, _, codes = season
    code = codes[BODIES[0]]
    assert board_rows(client)[BODIES[0]]["status"] == "未报送"

    first = submit(client, code, report(error=True), "政府办.xlsx.json")
    assert first.status_code == 201
    body = first.json()
    assert (body["body"], body["version"], body["status"], body["check"]) == (BODIES[0], 1, "待审核", "有错误")
    assert body["report"]["valid"] is False and body["report"]["findings"][0]["located"] is True
    row = board_rows(client)[BODIES[0]]
    assert (row["status"], row["version"], row["errors"], row["warnings"]) == ("待审核", 1, 2, 0)

    back = returned(client, 1, 1, findings=True)  # one click: the findings are the reason
    assert back.status_code == 200 and back.json()["status"] == "已退回"
    assert "表三!J4" in back.json()["reason"] and "应为 3" in back.json()["reason"]
    mine = client.get("/api/submissions/mine", headers={"x-xxgk-code": code}).json()
    assert mine["status"] == "已退回" and mine["versions"][0]["reason"] == back.json()["reason"]

    second = submit(client, code, report())
    assert second.json()["version"] == 2 and second.json()["check"] == "通过"
    assert board_rows(client)[BODIES[0]]["status"] == "待审核"

    ok = approved(client, 1, 2)
    assert ok.status_code == 200 and ok.json()["status"] == "已通过"
    assert board_rows(client)[BODIES[0]]["status"] == "已通过"

    third = submit(client, code, report(**{IN_FORCE: 25}))  # after approval: a new version awaiting review
    assert third.status_code == 201 and third.json()["version"] == 3 and third.json()["status"] == "待审核"
    assert any("第 2 版已通过" in n and "第 3 版" in n for n in third.json()["notes"])
    row = board_rows(client)[BODIES[0]]
    assert (row["status"], row["version"], row["approved_version"]) == ("待审核", 3, 2)


def test_forbidden_transitions_are_409_and_change_nothing(season):
    client, db, codes = season
    code = codes[BODIES[0]]
    submit(client, code, report(error=True))
    submit(client, code, report())
    older = approved(client, 1, 1)
    assert older.status_code == 409 and older.json()["error"]["code"] == "not-latest"  # approve an older version
    assert returned(client, 1, 1, reason="x").json()["error"]["code"] == "not-latest"
    assert approved(client, 1, 2).status_code == 200
    again = returned(client, 1, 2, reason="再看看")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already-approved"  # return an approved one
    assert approved(client, 1, 2).json()["error"]["code"] == "already-approved"
    submit(client, code, report(error=True))
    assert returned(client, 1, 3, reason="表三有误").status_code == 200
    assert (
        approved(client, 1, 3).json()["error"]["code"] == "already-returned"
    )  # a returned one waits for a new version
    assert returned(client, 1, 3, reason="x").json()["error"]["code"] == "already-returned"
    passing = submit(client, codes[BODIES[1]], report(BODIES[1]))
    assert passing.status_code == 201
    no_errors = returned(client, 2, 1, findings=True)
    assert no_errors.status_code == 409 and no_errors.json()["error"]["code"] == "no-errors"
    assert returned(client, 2, 1).json()["error"]["code"] == "no-reason"  # 422: a return needs a reason
    assert returned(client, 2, 1).status_code == 422
    assert returned(client, 2, 1, reason="   ").status_code == 422
    assert approved(client, 2, 9).status_code == 404 and approved(client, 99, 1).status_code == 404
    assert client.post("/api/bodies/2/approve", content=b"[1]", headers=OFFICE).status_code == 422
    reviews = sqlite3.connect(db).execute("SELECT body_id, version, review FROM submissions ORDER BY id").fetchall()
    assert reviews == [(1, 1, "待审核"), (1, 2, "已通过"), (1, 3, "已退回"), (2, 1, "待审核")]


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("空.xlsx", b"", 422, "empty"),
        ("说明.txt", b"hello", 422, "not-xlsx"),
        ("报告.json", b"{not json", 422, "bad-json"),
        ("损坏.xlsx", b"PK\x03\x04 not a zip", 422, "damaged"),
        ("2022.json", as_bytes(report(year=2022)), 422, "wrong-year"),
        ("教育局.json", as_bytes(report(BODIES[1])), 409, "body-mismatch"),
    ],
)
def test_refused_uploads_give_their_code_and_nothing_is_kept(season, name, data, status, code):
    client, db, codes = season
    response = submit(client, codes[BODIES[0]], data, name)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if code == "body-mismatch":  # both names
        assert BODIES[0] in error["message"] and BODIES[1] in error["message"]
    if status == 422 and code != "wrong-year":  # the same reason as xxgk check
        path = db.parent / name
        path.write_bytes(data)
        assert error["code"] == json.loads(run_cli("check", path, "--json").out)["error"]["code"]
    assert "/tmp" not in json.dumps(error) and "upload" not in error["message"]
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM submissions").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM files").fetchone() == (0,)


def test_wrong_code_and_wrong_caller(season):
    client, _, codes = season
    assert submit(client, "2222-2222-2222-2222-2222", report()).status_code == 403
    assert submit(client, "not a code", report()).status_code == 403
    office_as_body = client.post("/api/submissions", files={"file": ("a.json", as_bytes(report()))}, headers=OFFICE)
    assert office_as_body.status_code == 403 and office_as_body.json()["error"]["code"] == "body-only"
    assert client.get("/api/submissions/mine", headers=OFFICE).status_code == 403
    code = {"x-xxgk-code": codes[BODIES[0]]}
    for method, path in [
        ("get", "/api/board"),
        ("get", "/api/bodies/1"),
        ("get", "/api/bodies/2"),
        ("get", "/api/bodies/1/diff?from=1&to=2"),
        ("get", "/api/audit"),
        ("get", "/api/summary.xlsx"),
        ("get", "/api/reminders.xlsx"),
        ("post", "/api/codes"),
        ("post", "/api/bodies/1/approve"),
        ("post", "/api/bodies/1/return"),
    ]:
        response = getattr(client, method)(path, headers=code)
        assert response.status_code == 403 and response.json()["error"]["code"] == "office-only", path
        assert getattr(client, method)(path).status_code == 401, path
    assert client.get("/api/board", headers={"authorization": "Bearer nope"}).status_code == 403


def test_a_body_sees_only_its_own_data(season):
    client, _, codes = season
    submit(client, codes[BODIES[0]], report(error=True))
    mine = client.get("/api/submissions/mine", headers={"x-xxgk-code": codes[BODIES[1]]}).json()
    assert mine["name"] == BODIES[1] and mine["versions"] == []
    assert client.get("/api/submissions/mine/1", headers={"x-xxgk-code": codes[BODIES[1]]}).status_code == 404
    report_a = client.get("/api/submissions/mine/1", headers={"x-xxgk-code": codes[BODIES[0]]})
    assert report_a.status_code == 200 and report_a.json()["valid"] is False


def test_a_post_from_another_site_or_without_the_csrf_token_is_refused(season):
    client, _, codes = season
    headers = {**OFFICE, "origin": "http://evil.example"}
    assert client.post("/api/codes", headers=headers).status_code == 403
    assert client.post("/api/codes", headers={**OFFICE, "sec-fetch-site": "cross-site"}).status_code == 403
    assert client.get(f"/board?token={OFFICE['authorization'][7:]}").status_code == 200  # a cookie now
    assert client.post("/api/bodies/1/approve", json={"version": 1}).status_code == 403  # cookie, no token
    login = client.post("/submit/login", data={"code": codes[BODIES[0]]}, follow_redirects=False)
    assert login.status_code == 303
    upload = client.post("/submit/upload", files={"file": ("a.json", as_bytes(report()))})
    assert upload.status_code == 403 and "页面已过期" in upload.text  # the body's cookie without its token


def test_every_upload_is_a_new_version_and_nothing_is_overwritten(season):
    """There is no inbox folder and no index; the same file twice is two versions."""
    client, db, codes = season
    data = report()
    for _ in range(3):
        assert submit(client, codes[BODIES[0]], data).status_code == 201
    con = sqlite3.connect(db)
    assert con.execute(
        "SELECT version, json = (SELECT json FROM submissions WHERE version = 1) FROM submissions"
    ).fetchall() == [
        (1, 1),
        (2, 1),
        (3, 1),
    ]
    assert con.execute("SELECT count(*) FROM files").fetchone() == (1,)  # the same bytes kept once
    assert not any(p.name.endswith("-收件") for p in db.parent.iterdir())
    mine = client.get("/api/submissions/mine", headers={"x-xxgk-code": codes[BODIES[0]]}).json()
    assert [v["version"] for v in mine["versions"]] == [1, 2, 3]
    original = client.get("/api/bodies/1/versions/2/file", headers=OFFICE)
    assert original.status_code == 200 and original.content == as_bytes(data)


def test_an_oversized_upload_is_cut_off_while_it_streams_and_not_kept(tmp_path):
    """The per-file cap holds while the body streams in, for the body and the office."""
    client, db = board(tmp_path, max_upload=10_000)
    code = issue(client)[BODIES[0]]

    def chunks():
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.json"\r\n\r\n'
        for _ in range(50):
            yield b"0" * 10_000
        yield b"\r\n--x--\r\n"

    headers = {"content-type": "multipart/form-data; boundary=x", "x-xxgk-code": code}
    response = client.post("/api/submissions", content=chunks(), headers=headers)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too-large"
    two = {"content-type": "multipart/form-data; boundary=x", **OFFICE}
    small_then_big = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n'
        + as_bytes(report())[:100]
        + b'\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="b.json"\r\n\r\n'
        + b"1" * 12_000
        + b"\r\n--x--\r\n"
    )  # two files within the batch's total, the second over the per-file cap
    assert client.post("/api/uploads", content=small_then_big, headers=two).status_code == 413
    con = sqlite3.connect(db)
    assert con.execute("SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM files)").fetchone() == (0,)


def test_the_office_uploads_on_behalf_of_bodies(season):
    client, _, _ = season
    files = [
        ("file", ("政府办.json", as_bytes(report()))),
        ("file", ("教育局.json", as_bytes(report(BODIES[1], error=True)))),
        ("file", ("外单位.json", as_bytes(report("某市某局")))),
    ]
    response = client.post("/api/uploads", files=files, headers=OFFICE)
    assert response.status_code == 207
    out = {r["file"]: r for r in response.json()}
    assert out["政府办.json"]["body"] == BODIES[0] and out["政府办.json"]["version"] == 1
    assert out["教育局.json"]["check"] == "有错误"
    assert out["外单位.json"]["error"]["code"] == "not-on-roster"
    one = client.post(
        "/api/bodies/3/submissions", files={"file": ("财政局.json", as_bytes(report(BODIES[2])))}, headers=OFFICE
    )
    assert one.status_code == 201 and one.json()["body"] == BODIES[2]
    body = client.get("/api/bodies/3", headers=OFFICE).json()
    assert body["versions"][0]["origin"] == "office"


def test_the_difference_between_two_versions(season):
    client, _, codes = season
    code = codes[BODIES[0]]
    first = report(error=True)
    second = report()
    second["narrative"]["overview"] = first["narrative"]["overview"].replace("。", "。本年新增一项便民措施。", 1)
    submit(client, code, first)
    submit(client, code, second)
    diff = client.get("/api/bodies/1/diff?from=1&to=2", headers=OFFICE)
    assert diff.status_code == 200
    data = diff.json()
    assert data["cells"] == [
        {
            "ref": "表三!J4",
            "label": "表三 一、本年新收申请·总计",
            "old": str(get(first, NEW_TOTAL)),
            "new": str(get(second, NEW_TOTAL)),
            "key": NEW_TOTAL,
        }
    ]
    parts = {n["label"]: n for n in data["narrative"]}
    assert parts["一、总体情况"]["changed"] is True
    inserted = "".join(s["text"] for s in parts["一、总体情况"]["diff"] if s["op"] == "insert")
    assert inserted == "本年新增一项便民措施。"
    assert not [s for s in parts["一、总体情况"]["diff"] if s["op"] == "delete"]
    assert parts["五、存在的主要问题及改进情况"]["changed"] is False
    assert (
        "".join(s["text"] for s in parts["一、总体情况"]["diff"] if s["op"] != "insert")
        == first["narrative"]["overview"]
    )
    same = client.get("/api/bodies/1/diff?from=2&to=2", headers=OFFICE).json()
    assert same["cells"] == [] and not any(n["changed"] for n in same["narrative"])
    assert client.get("/api/bodies/1/diff?from=1&to=7", headers=OFFICE).status_code == 404
    assert client.get("/api/bodies/1/diff?from=x&to=2", headers=OFFICE).status_code == 422


def _sheet(xlsx: bytes, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(xlsx), data_only=True)
    return [tuple(r) for r in wb[name].iter_rows(values_only=True)]


@pytest.mark.slow
def test_the_summary_counts_approved_versions_and_marks_pending_ones(season):
    client, db, codes = season
    a, b = report(), report(BODIES[1], **{NEW_TOTAL: 3})
    a_sent = report(**{IN_FORCE: get(a, IN_FORCE)})
    submit(client, codes[BODIES[0]], a_sent)
    approved(client, 1, 1)
    submit(client, codes[BODIES[0]], report(**{IN_FORCE: 99}))  # awaiting review: not counted
    submit(client, codes[BODIES[1]], b)  # awaiting review
    plain = client.get("/api/summary.xlsx", headers=OFFICE)
    assert plain.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(plain.content))
    inbox = db.parent / "inbox"
    inbox.mkdir()
    (inbox / "a.json").write_bytes(as_bytes(a_sent))
    out = db.parent / "collect.xlsx"
    run_cli("collect", inbox, "-o", out, "--roster", db.parent / "名单.csv", "--quiet")
    assert wb.sheetnames == openpyxl.load_workbook(out, read_only=True).sheetnames  # the same sheets as collect
    detail = _sheet(plain.content, "分单位明细")
    header = detail[0]
    column = header.index(next(h for h in header if h and "现行有效件数" in h and "规范性文件" in h))
    counted = {r[0]: (r[4], r[column]) for r in detail[1:] if r[0]}
    assert counted[BODIES[0]] == ("是", get(a, IN_FORCE))  # the approved version 1, not the pending 99
    assert counted[BODIES[1]][0] == "否"
    status = {r[1]: r for r in _sheet(plain.content, "报送情况")[3:] if r[1]}
    assert "已通过（第 1 版）" in status[BODIES[0]][5] and "第 2 版待审核" in status[BODIES[0]][5]
    assert "待审核，未计入汇总" in status[BODIES[1]][5]
    assert status[BODIES[2]][4] == "未报送"
    pending = client.get("/api/summary.xlsx?pending=1", headers=OFFICE).content
    counted = {r[0]: r[4] for r in _sheet(pending, "报送情况")[3:] if r[0]}
    status = {r[1]: r for r in _sheet(pending, "报送情况")[3:] if r[1]}
    assert "尚未审核，已计入汇总" in status[BODIES[1]][5]
    detail = {r[0]: r[4] for r in _sheet(pending, "分单位明细")[1:] if r[0]}
    assert detail[BODIES[1]] == "是"


def test_the_reminder_list(season):
    client, _, codes = season
    submit(client, codes[BODIES[0]], report(error=True))
    returned(client, 1, 1, reason="表三有误，请改正")
    submit(client, codes[BODIES[1]], report(BODIES[1]))
    response = client.get("/api/reminders.xlsx", headers=OFFICE)
    rows = _sheet(response.content, "催报名单")
    assert rows[2] == ("序号", "单位", "情况", "截止日期", "逾期天数", "最近一版", "退回原因", "联系人", "联系电话")
    listed = {r[1]: r for r in rows[3:]}
    assert set(listed) == {BODIES[0], BODIES[2]}  # the body awaiting review is not chased
    assert listed[BODIES[0]][2].startswith("已退回，未重新报送") and listed[BODIES[0]][6] == "表三有误，请改正"
    assert listed[BODIES[2]][2].startswith("未报送（逾期") and listed[BODIES[2]][3] == "2024-01-20"
    assert listed[BODIES[2]][4] > 0 and listed[BODIES[2]][7] == "联系人2" and listed[BODIES[2]][8] == "0357-0002"
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"


def test_no_server_path_in_pages_when_the_archive_cannot_be_used(tmp_path):
    """The archive replaced by something else while the board runs."""
    client, db = board(tmp_path)
    issue(client)
    assert client.get(f"/board?token={OFFICE['authorization'][7:]}").status_code == 200
    db.write_bytes(b"not a database at all" * 100)
    for path in ("/board", "/api/board", "/board/bodies/1", "/api/audit"):
        response = client.get(path, headers=OFFICE)
        assert response.status_code == 503, (path, response.status_code)
        assert "年报.sqlite" in response.text and "不是 SQLite 数据库" in response.text
        assert str(tmp_path) not in response.text and "/tmp" not in response.text, (path, response.text)


def _routes(app) -> set[str]:
    from starlette.routing import Route

    while not hasattr(app, "routes"):
        app = app.app
    return {r.path.replace(":int", "") for r in app.routes if isinstance(r, Route) and r.path.startswith("/api/")}


def test_the_openapi_document_matches_the_routes_and_docs(season):
    client, _, _ = season
    served = client.get("/api/openapi.json").json()
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served == committed, "docs/openapi.json is stale: uv run python tools/rebuild_generated.py"
    documented = set(served["paths"]) | {"/api/openapi.json", "/api/docs"}
    assert documented == _routes(client.app)
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/bodies/{id}/diff" in page.text and "上级机关口令" in page.text


@pytest.mark.slow
def test_the_summary_and_reminders_from_the_command_line(season, tmp_path):
    client, db, codes = season
    submit(client, codes[BODIES[0]], report())
    approved(client, 1, 1)
    submit(client, codes[BODIES[1]], report(BODIES[1]))
    out, agg = tmp_path / "汇总.xlsx", tmp_path / "本级.json"
    result = run_cli(
        "archive", "summary", db, "-o", out, "--as", "汾西县人民政府", "--type", "政府", "--aggregate", agg
    )
    assert result.code == 0, result.err
    assert "2023 年度：3 个单位，1 个计入汇总" in result.out and "已生成汇总报告" in result.out
    assert json.loads(agg.read_text(encoding="utf-8"))["proactive"]["normative_documents"]["in_force"] == get(
        report(), IN_FORCE
    )
    pending = run_cli("archive", "summary", db, "-o", tmp_path / "含待审核.xlsx", "--include-pending")
    assert "2 个计入汇总" in pending.out
    assert run_cli("archive", "summary", db, "-o", db).code == 2  # never over the archive
    earlier = run_cli("archive", "summary", db, "-o", tmp_path / "2022.xlsx", "--year", "2022")
    assert earlier.code == 0 and "2022 年度：3 个单位，0 个计入汇总" in earlier.out
    assert board_rows(client)[BODIES[0]]["status"] == "已通过"  # looking at 2022 did not move the season
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'season_year'").fetchone() == ("2023",)
    chase = run_cli("archive", "reminders", db, "-o", tmp_path / "催报.xlsx")
    assert chase.code == 0 and "1 个单位" in chase.out
