"""The audit log: every step recorded with its actor, version and content hash, chained so that
``xxgk archive verify`` finds any row edited, removed or added with the sqlite3 shell; and
``xxgk archive backup`` copying the archive while the board keeps writing, the copy serving
the same board."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from validator.serve.app import Config, create_app

from conftest import run_cli
from support.season import BODIES, OFFICE, TOKEN, as_bytes, board, board_rows, issue, report, submit
from support.server import live_server


@pytest.fixture
def season_db(tmp_path):
    """A short season: codes, an upload with an error, its return, a fixed upload, approval, a 汇总."""
    client, db = board(tmp_path)
    codes = issue(client)
    assert submit(client, codes[BODIES[0]], report(error=True)).status_code == 201
    assert (
        client.post("/api/bodies/1/return", json={"version": 1, "reason": "表三有误"}, headers=OFFICE).status_code
        == 200
    )
    assert submit(client, codes[BODIES[0]], report()).status_code == 201
    assert client.post("/api/bodies/1/approve", json={"version": 2}, headers=OFFICE).status_code == 200
    assert client.get("/api/summary.xlsx", headers=OFFICE).status_code == 200
    return client, db


def test_every_step_is_recorded_and_the_log_verifies(season_db):
    client, db = season_db
    audit = client.get("/api/audit", headers=OFFICE).json()
    assert audit["verified"] is True and audit["problems"] == []
    steps = [(e["action"], e["actor_name"], e["version"]) for e in audit["events"]]
    assert steps[-7:] == [
        ("issue-code", "上级机关", None),
        ("issue-code", "上级机关", None),
        ("submit", BODIES[0], 1),
        ("return", "上级机关", 1),
        ("submit", BODIES[0], 2),
        ("approve", "上级机关", 2),
        ("download", "上级机关", None),
    ]
    assert steps[:2] == [("roster", "上级机关", None), ("season", "本工具", None)]
    submits = [e for e in audit["events"] if e["action"] == "submit"]
    assert all(len(e["content_hash"]) == 64 for e in submits)
    assert audit["events"][-1]["hash"] == audit["head"]
    result = run_cli("archive", "verify", db)
    assert result.code == 0 and "归档完好" in result.out, result.err


TAMPERING = {
    "an event's reason": (
        "events_fixed",
        "UPDATE events SET detail = replace(detail, '表三有误', '没问题') WHERE action = 'return'",
        "内容被改动",
    ),
    "an event removed": ("events_no_delete", "DELETE FROM events WHERE action = 'return'", "缺失"),
    "an approval removed from the end": ("", "", ""),
    "a report's figure": (
        "figures_fixed",
        "UPDATE figures SET value = value + 1 WHERE key = 'applications.new.total'",
        "数字被改动",
    ),
    "a report's JSON": (
        "submissions_fixed",
        "UPDATE submissions SET json = replace(json, '汾西', '汾东')",
        "报告内容被改动",
    ),
    "a version deleted": ("submissions_no_delete", "DELETE FROM submissions WHERE version = 1", "被删除"),
    "a review state": ("", "UPDATE submissions SET review = '已通过' WHERE version = 1", "审核状态"),
    "a code swapped": (
        "",
        "UPDATE bodies SET code_hash = (SELECT code_hash FROM bodies WHERE id = 2) WHERE id = 1",
        "报送码",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("what", TAMPERING)
def test_an_edit_with_the_sqlite3_shell_fails_verify(season_db, what):
    _, db = season_db
    trigger, statement, words = TAMPERING[what]
    if not statement:  # the log cut short after the approval: the version's state still tells
        con = sqlite3.connect(db)
        con.execute("DROP TRIGGER events_no_delete")
        con.execute("DELETE FROM events WHERE id >= (SELECT id FROM events WHERE action = 'approve')")
        con.commit()
        con.close()
        result = run_cli("archive", "verify", db)
        assert result.code == 1 and "审核状态" in result.err
        return
    con = sqlite3.connect(db)
    if trigger:
        con.execute(f"DROP TRIGGER {trigger}")
    con.execute("PRAGMA foreign_keys = OFF")
    assert con.execute(statement).rowcount >= 1
    con.commit()
    con.close()
    result = run_cli("archive", "verify", db)
    assert result.code == 1, (what, result.out)
    assert words in result.err, result.err


@pytest.mark.slow
def test_backup_while_the_board_is_written_gives_an_archive_that_serves_the_same_board(tmp_path):
    client, db = board(tmp_path, names=[f"单位{n:02d}" for n in range(12)])
    codes = issue(client)
    app = create_app(Config(db=db, year=2023, token=TOKEN))
    with live_server(app) as url:

        def send(name: str) -> int:
            with httpx.Client(base_url=url, timeout=300) as c:
                files = {"file": ("r.json", as_bytes(report(name)))}
                return c.post("/api/submissions", files=files, headers={"x-xxgk-code": codes[name]}).status_code

        copies = []

        def back_up() -> None:
            for n in range(3):
                out = tmp_path / f"备份{n}.sqlite"
                assert run_cli("archive", "backup", db, "-o", out).code == 0
                copies.append(out)

        backer = threading.Thread(target=back_up)
        with ThreadPoolExecutor(max_workers=6) as pool:
            backer.start()
            statuses = list(pool.map(send, codes))
            backer.join()
        assert statuses == [201] * 12
        with httpx.Client(base_url=url, timeout=300, headers=OFFICE) as c:
            live = {r["name"]: r["status"] for r in c.get("/api/board").json()}
    for copy in copies:  # each copy taken during the uploads is a whole, verifiable archive
        assert run_cli("archive", "verify", copy).code == 0
    final = tmp_path / "最终备份.sqlite"
    assert run_cli("archive", "backup", db, "-o", final).code == 0
    restored = create_app(Config(db=final, year=2023, token=TOKEN))
    from starlette.testclient import TestClient

    again = TestClient(restored, base_url="http://127.0.0.1:8765")
    assert {n: r["status"] for n, r in board_rows(again).items()} == live
    assert set(live.values()) == {"待审核"}
    assert run_cli("archive", "backup", db, "-o", db).code == 2  # never over the archive itself
