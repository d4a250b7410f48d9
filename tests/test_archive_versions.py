"""The archive as a store of versions: numbered, never deleted or overwritten, one current per
body and year; a structure-version-1 archive migrated without losing a row; superseded
versions never used as next year's 上年; one damaged row named and skipped; a full disk and a
read-only folder named as such. ``xxgk collect --db`` and the board write through one path.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from validator import api
from validator.collect import archive as archive_module
from validator.collect.ledger import Actor

from conftest import ROOT, run_cli
from support.inbox import get
from support.season import BODIES, as_bytes, report, v1_archive, write_roster

KEY = "proactive.normative_documents.in_force"


def write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(as_bytes(data))
    return path


def rows(db: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture
def season(tmp_path):
    roster = write_roster(tmp_path / "名单.csv")
    return api.open_season(tmp_path / "年报.sqlite", roster=roster, year=2023)


def submit(season, name: str, data: dict, tmp_path: Path, file: str = "a.json"):
    body = next(r for r in season.board() if r.name == name)
    path = write(tmp_path / "up" / file, data)
    return season.submit(body.id, path, file, Actor("body", body.id))


def test_versions_are_numbered_and_exactly_one_is_current(season, tmp_path):
    first = submit(season, BODIES[0], report(error=True), tmp_path)
    second = submit(season, BODIES[0], report(), tmp_path)
    assert (first.version.number, second.version.number) == (1, 2)
    season.approve(second.body.id, 2)
    third = submit(season, BODIES[0], report(**{KEY: 25}), tmp_path)
    assert third.version.number == 3
    assert any("第 2 版已通过" in n for n in third.notes)
    current = rows(season.archive.path, "SELECT version, review, current FROM submissions ORDER BY version")
    assert current == [(1, "待审核", 0), (2, "已通过", 1), (3, "待审核", 0)]  # the approved one stays current
    season.approve(third.body.id, 3)
    assert rows(season.archive.path, "SELECT version FROM submissions WHERE current = 1") == [(3,)]
    with pytest.raises(sqlite3.IntegrityError):  # two current versions of one body and year cannot exist
        con = sqlite3.connect(season.archive.path)
        con.execute("UPDATE submissions SET current = 1 WHERE version = 1")


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM submissions WHERE version = 1",
        "UPDATE submissions SET json = '{}' WHERE version = 1",
        "UPDATE submissions SET content_hash = 'x'",
        "DELETE FROM figures",
        "UPDATE figures SET value = 0",
        "DELETE FROM events",
        "UPDATE events SET detail = '[{}]'",
        "DELETE FROM files",
    ],
)
def test_the_archive_itself_refuses_to_delete_or_overwrite(season, tmp_path, statement):
    submit(season, BODIES[0], report(), tmp_path)
    con = sqlite3.connect(season.archive.path)
    with pytest.raises(sqlite3.IntegrityError, match="nothing is deleted or overwritten"):
        con.execute(statement)
    con.close()


def test_a_version_1_archive_migrates_without_losing_a_row(tmp_path):
    db = tmp_path / "年报.sqlite"
    fenxi, education = report(), report(BODIES[1])
    v1_archive(
        db,
        [
            (fenxi, "政府办.json"),
            (report(**{KEY: 25}), "政府办-修改.json"),  # a later version of the same body, unmarked in version 1
            (education, "教育局.json"),
            (report(year=2022), "政府办2022.json"),
        ],
    )
    before = rows(db, "SELECT id, content_hash, json, source_file FROM submissions ORDER BY id")
    figures_before = rows(db, "SELECT submission_id, key, value FROM figures ORDER BY 1, 2")
    assert api.open_season(db, year=2023).board()  # the first write migrates
    assert rows(db, "PRAGMA user_version") == [(2,)]
    assert rows(db, "SELECT id, content_hash, json, source_file FROM submissions ORDER BY id") == before
    assert rows(db, "SELECT submission_id, key, value FROM figures ORDER BY 1, 2") == figures_before
    versions = rows(db, "SELECT id, year, version, current, status, origin FROM submissions ORDER BY id")
    assert versions == [
        (1, 2023, 1, 0, "通过", "office"),  # 逾期 in version 1: its check result was 通过
        (2, 2023, 2, 1, "通过", "office"),
        (3, 2023, 1, 1, "通过", "office"),
        (4, 2022, 1, 1, "通过", "office"),
    ]
    verified = api.verify_archive(db)
    assert verified.ok and verified.events >= 4 and verified.versions == 4, verified.problems
    total = rows(
        db,
        "SELECT SUM(f.value) FROM submissions s JOIN figures f ON f.submission_id = s.id"
        " WHERE s.year = 2023 AND s.current = 1 AND f.key = ? AND s.body_key = ?",
        KEY,
        BODIES[0],
    )
    assert total == [(25,)]


def test_verify_explains_a_version_1_archive(tmp_path):
    db = tmp_path / "旧.sqlite"
    v1_archive(db, [(report(), "a.json")])
    result = run_cli("archive", "verify", db)
    assert result.code == 2 and "结构版本 1" in result.err


@pytest.mark.slow
def test_superseded_versions_are_marked_and_never_next_years_last_year(tmp_path):
    """(A) v1 then v2 collected in three runs: one current version, the per-year sum counts
    the body once; (B) v1 and v2 in one run, then v1 alone, then both: next year uses v2."""
    v1, v2 = report(), report(**{KEY: 25})
    for case in ("A", "B"):
        inbox, db = tmp_path / case / "inbox", tmp_path / case / "年报.sqlite"
        inbox.mkdir(parents=True)
        steps = [["v1"], ["v1", "v2"], ["v2"]] if case == "A" else [["v1", "v2"], ["v1"], ["v1", "v2"]]
        for step in steps:
            for stale in inbox.iterdir():
                stale.unlink()
            for name in step:
                write(inbox / f"{name}.json", v1 if name == "v1" else v2)
                os.utime(inbox / f"{name}.json", (1_700_000_000 + int(name[1]), 1_700_000_000 + int(name[1])))
            run_cli("collect", inbox, "-o", tmp_path / case / "o.xlsx", "--db", db, "--quiet")
        current = rows(
            db,
            "SELECT SUM(f.value) FROM submissions s JOIN figures f ON f.submission_id = s.id"
            " WHERE s.year = 2023 AND s.current = 1 AND f.key = ?",
            KEY,
        )
        assert current == [(25,)], case
        assert rows(db, "SELECT source_file, current FROM submissions ORDER BY version") == [
            ("v1.json", 0),
            ("v2.json", 1),
        ], case
        nxt = tmp_path / case / "next"
        write(nxt / "2024.json", report(year=2024))
        out = tmp_path / case / "n.json"
        run_cli("collect", nxt, "-o", tmp_path / case / "n.xlsx", "--json", out, "--db", db, "--quiet")
        body = json.loads(out.read_text(encoding="utf-8"))["bodies"][0]
        assert body["last_year"] == "归档：v2.json", case


def test_a_damaged_archive_row_is_named_and_skipped(tmp_path):
    """One unreadable archived report does not stop next year's run."""
    inbox, db = tmp_path / "2023", tmp_path / "年报.sqlite"
    write(inbox / "a.json", report())
    write(inbox / "b.json", report(BODIES[1]))
    run_cli("collect", inbox, "-o", tmp_path / "a.xlsx", "--db", db, "--quiet")
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER submissions_fixed")  # what someone editing with the sqlite3 shell can do
    con.execute(
        'UPDATE submissions SET json = replace(json, \'"year": 2023\', \'"year": "2023"\') WHERE version = 1 AND body_name = ?',
        (BODIES[0],),
    )
    con.commit()
    con.close()
    nxt = tmp_path / "2024"
    write(nxt / "a.json", report(year=2024))
    write(nxt / "b.json", report(BODIES[1], year=2024))
    out = tmp_path / "n.json"
    result = run_cli("collect", nxt, "-o", tmp_path / "n.xlsx", "--json", out, "--db", db, "--quiet")
    assert result.code in (0, 1) and (tmp_path / "n.xlsx").is_file(), result.err
    bodies = {b["name"]: b for b in json.loads(out.read_text(encoding="utf-8"))["bodies"]}
    note = bodies[BODIES[0]]["last_year_note"]
    assert "年报.sqlite" in note and "第 1 版无法读取" in note and "xxgk archive verify" in note
    assert bodies[BODIES[1]]["last_year"] == "归档：b.json"  # the other body's row is used
    assert str(tmp_path) not in note


def test_a_full_disk_is_named_as_such(tmp_path, monkeypatch):
    """SQLite rolls back on a full disk; the message says 磁盘已满, not "cannot rollback"."""
    db = tmp_path / "年报.sqlite"
    small = tmp_path / "small"
    for n in range(40):
        write(small / f"{n}.json", report(f"单位{n:03d}"))
    real = archive_module.Archive._connect

    def tiny(self):
        con = real(self)
        con.execute("PRAGMA max_page_count = 40")  # about 160 KB: full long before 40 reports
        return con

    monkeypatch.setattr(archive_module.Archive, "_connect", tiny)
    result = run_cli("collect", small, "-o", tmp_path / "o.xlsx", "--db", db, "--quiet")
    assert result.code == 2
    assert "数据库所在磁盘已满" in result.err and "rollback" not in result.err, result.err
    assert "本次没有写入任何记录" in result.err


def _without_privileges() -> list[str] | None:
    """A prefix that runs a command without root's right to write anywhere (None: cannot)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all"] if setpriv else None


@pytest.mark.slow
def test_a_healthy_read_only_archive_is_not_called_damaged(tmp_path):
    """The archive in a folder the user may not write (no -shm can be made)."""
    prefix = _without_privileges()
    if prefix is None:
        pytest.skip("needs setpriv to drop root's privileges")
    folder = tmp_path / "ro"
    inbox = tmp_path / "inbox"
    write(inbox / "a.json", report())
    db = folder / "年报.sqlite"
    folder.mkdir()
    assert run_cli("collect", inbox, "-o", tmp_path / "a.xlsx", "--db", db, "--quiet").code == 0
    for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    folder.chmod(0o555)
    db.chmod(0o444)
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "validator"]
        collect = subprocess.run(
            [*prefix, *command, "collect", str(inbox), "-o", str(tmp_path / "b.xlsx"), "--db", str(db), "--quiet"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert collect.returncode == 2
        assert "已损坏" not in collect.stderr and "只读" in collect.stderr, collect.stderr
        verify = subprocess.run(
            [*prefix, *command, "archive", "verify", str(db)], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert verify.returncode == 0 and "归档完好" in verify.stdout, verify.stderr
    finally:
        folder.chmod(0o755)


def test_a_collected_folder_shows_on_the_board_as_the_offices_versions(tmp_path):
    inbox, db = tmp_path / "inbox", tmp_path / "年报.sqlite"
    roster = write_roster(tmp_path / "名单.csv")
    write(inbox / "政府办.json", report())
    write(inbox / "教育局.json", report(BODIES[1], error=True))
    result = run_cli("collect", inbox, "-o", tmp_path / "o.xlsx", "--roster", roster, "--db", db, "--quiet")
    assert "新增 2 份" in result.out
    season = api.open_season(db, roster=roster)
    assert season.year == 2023
    board = {r.name: r for r in season.board()}
    assert board[BODIES[0]].status == "待审核" and board[BODIES[0]].latest.check == "通过"
    assert board[BODIES[1]].latest.check == "有错误" and board[BODIES[1]].latest.origin == "office"
    assert board[BODIES[2]].status == "未报送"
    events = [e for e in season.audit() if e["action"] == "submit"]
    assert {e["actor"] for e in events} == {"collect"} and len(events) == 2
    again = run_cli("collect", inbox, "-o", tmp_path / "o.xlsx", "--roster", roster, "--db", db, "--quiet")
    assert "新增 0 份" in again.out
    assert api.verify_archive(db).ok


def test_the_board_and_collect_share_the_numbering(tmp_path):
    """A body's upload on the board after a collected version is its version 2, and next
    year's collect reads the approved one."""
    inbox, db = tmp_path / "inbox", tmp_path / "年报.sqlite"
    roster = write_roster(tmp_path / "名单.csv")
    write(inbox / "政府办.json", report(error=True))
    run_cli("collect", inbox, "-o", tmp_path / "o.xlsx", "--roster", roster, "--db", db, "--quiet")
    season = api.open_season(db, roster=roster)
    stored = submit(season, BODIES[0], report(), tmp_path)
    assert stored.version.number == 2
    season.approve(stored.body.id, 2)
    nxt = tmp_path / "2024"
    write(nxt / "a.json", report(year=2024))
    out = tmp_path / "n.json"
    run_cli("collect", nxt, "-o", tmp_path / "n.xlsx", "--json", out, "--db", db, "--quiet")
    assert json.loads(out.read_text(encoding="utf-8"))["bodies"][0]["last_year"] == "归档：a.json"
    assert get(report(), KEY) == 20
