"""xxgk collect --db: idempotent archive, next year's cross-year from it, concurrent and killed runs,
and a damaged database refused untouched."""

from __future__ import annotations

import copy
import json
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from support.inbox import FIGURE_KEYS, MONEY_KEYS, Inbox, get, independent_sum, put, renamed, source, write_json

WAIT_S = 120  # upper bound for a helper process to reach a point; never asserted on


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    return Inbox(tmp_path_factory.mktemp("archive"))


def counts(db: Path) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (
            con.execute("SELECT count(*) FROM submissions").fetchone()[0],
            con.execute("SELECT count(*) FROM figures").fetchone()[0],
        )
    finally:
        con.close()


def collect(inbox: Path, db: Path, out: Path, *extra: str):
    return run_cli("collect", inbox, "-o", out, "--db", db, "--quiet", *extra)


@pytest.mark.slow
def test_archive_is_idempotent_and_holds_exact_figures(box, tmp_path):
    db = tmp_path / "年报.sqlite"
    first = collect(box.inbox, db, tmp_path / "a.xlsx")
    # every report of the collect year is a version (有错误 and both 重复报送 ones too); not 年度不符
    assert "新增 7 份" in first.out
    assert counts(db) == (7, 7 * len(FIGURE_KEYS))
    again = collect(box.inbox, db, tmp_path / "b.xlsx")
    assert "新增 0 份" in again.out
    assert counts(db) == (7, 7 * len(FIGURE_KEYS))
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = sorted(
        r[0] for r in con.execute("SELECT body_name FROM submissions WHERE year = 2023 AND status != '有错误'")
    )
    assert names == sorted(
        ["汾西县人民政府办公室", "淮安市人民政府", "平潭综合实验区", "汾西县卫生健康局", "汾西县财政局", "汾西县财政局"]
    )
    current = con.execute("SELECT count(*) FROM submissions WHERE year = 2023 AND current = 1").fetchone()[0]
    assert current == 6  # one current version per body and year: the later of 财政局's two
    sums = independent_sum([box.reports[k] for k in ("fenxi", "huaian", "pingtan", "health")])
    for key in ("applications.new.total", "proactive.fees.amount_wan_yuan"):
        values = [
            r[0]
            for r in con.execute(
                "SELECT value FROM figures f JOIN submissions s ON s.id = f.submission_id"
                " WHERE key = ? AND s.status != '有错误' AND s.body_name != '汾西县财政局'",
                (key,),
            )
        ]
        total = sum((Decimal(v) for v in values), Decimal(0)) if key in MONEY_KEYS else sum(values)
        assert total == sums[key]
        assert all(isinstance(v, str if key in MONEY_KEYS else int) for v in values)
    stored = json.loads(con.execute("SELECT json FROM submissions WHERE body_name = '平潭综合实验区'").fetchone()[0])
    assert stored["proactive"]["fees"]["amount_wan_yuan"] == get(
        box.reports["pingtan"], "proactive.fees.amount_wan_yuan"
    )
    con.close()


def test_documented_query_runs(box, tmp_path):
    db = tmp_path / "q.sqlite"
    collect(box.inbox, db, tmp_path / "a.xlsx")
    page = (ROOT / "docs" / "receiving.md").read_text(encoding="utf-8")
    query = page.split("```sql\n", 1)[1].split("```", 1)[0]
    rows = sqlite3.connect(db).execute(query).fetchall()
    assert [(r[0], r[2]) for r in rows[:2]] == [("汾西县卫生健康局", 178), ("淮安市人民政府", 178)]
    assert len(rows) == 6  # the current version of each body


def test_next_year_uses_the_archive_for_cross_year(box, tmp_path):
    db = tmp_path / "年报.sqlite"
    collect(box.inbox, db, tmp_path / "2023.xlsx")
    fenxi = copy.deepcopy(box.reports["fenxi"])
    fenxi["year"], fenxi["published_on"] = 2024, "2025-01-20"
    last_forward = get(fenxi, "applications.carried_forward.natural_person")
    good = copy.deepcopy(fenxi)
    bad = renamed(fenxi, "平潭综合实验区", "政府")  # archived 2023: pingtan's own figures
    for report, carried in (
        (good, last_forward),
        (bad, get(box.reports["pingtan"], "applications.carried_forward.natural_person") + 3),
    ):
        delta = carried - get(report, "applications.carried_in.natural_person")
        for col in ("natural_person", "total"):
            put(report, f"applications.carried_in.{col}", get(report, f"applications.carried_in.{col}") + delta)
            put(
                report,
                f"applications.carried_forward.{col}",
                get(report, f"applications.carried_forward.{col}") + delta,
            )
    inbox = tmp_path / "inbox2024"
    write_json(inbox / "汾西.json", good)
    write_json(inbox / "平潭.json", bad)
    res = collect(inbox, db, tmp_path / "2024.xlsx", "--json", str(tmp_path / "r.json"))
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    bodies = {b["name"]: b for b in data["bodies"]}
    assert bodies["汾西县人民政府办公室"]["last_year"] == "归档：汾西县政府办.json"
    assert bodies["平潭综合实验区"]["last_year"] == "归档：平潭.xlsx"
    files = {f["file"]: f for f in data["files"]}
    assert not [f for f in files["汾西.json"]["findings"] if f["rule"].startswith("XY-T3")]
    carry = [f for f in files["平潭.json"]["findings"] if f["rule"] == "XY-T3-CARRY"]
    assert carry and carry[0]["cells"][0]["key"] == "applications.carried_in.natural_person"
    assert bodies["平潭综合实验区"]["status"] == "有错误" and res.code == 1


def _damaged(tmp_path: Path, box) -> list[Path]:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE accounts (id INTEGER, owner TEXT)")
    con.commit()
    con.close()
    broken = tmp_path / "broken.sqlite"
    collect(box.inbox, broken, tmp_path / "x.xlsx")
    con = sqlite3.connect(broken)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(broken.read_bytes())
    page = 4096
    data[2 * page : 3 * page] = b"\xff" * page  # a b-tree page overwritten
    broken.write_bytes(bytes(data))
    return [garbage, foreign, broken]


def test_damaged_or_foreign_database_is_exit_2_and_untouched(box, tmp_path):
    for db in _damaged(tmp_path, box):
        before = db.read_bytes()
        res = collect(box.inbox, db, tmp_path / f"{db.stem}.xlsx")
        assert res.code == 2, (db.name, res.out, res.err)
        assert "数据库未被改动" in res.err
        assert db.read_bytes() == before
        assert not (tmp_path / f"{db.stem}.xlsx").exists()


HELPER = """
import sys, time
from pathlib import Path
import validator.collect.archive as archive
mode, marker = sys.argv[1], Path(sys.argv[2])

def hook(count):
    marker.write_text(str(count))
    if mode == "hang":
        time.sleep(3600)
    elif mode == "slow":
        time.sleep(0.3)

archive._after_insert = hook
from validator.cli.program import main
sys.exit(main(sys.argv[3:]))
"""


def _helper(mode: str, marker: Path, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HELPER, mode, str(marker), *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "helper never reached the transaction"
        time.sleep(0.05)


@pytest.mark.slow
def test_killed_run_leaves_no_partial_rows(box, tmp_path):
    db = tmp_path / "killed.sqlite"
    marker = tmp_path / "in-transaction"
    proc = _helper("hang", marker, "collect", box.inbox, "-o", tmp_path / "k.xlsx", "--db", db, "--quiet")
    try:
        _wait_for(marker, proc)  # one submission and its figures inserted, transaction open
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert (tmp_path / "killed.sqlite-wal").exists()  # the killed run had written into the WAL
    res = collect(box.inbox, db, tmp_path / "after.xlsx")  # the next run opens it as the kill left it
    assert res.code == 1 and "新增 7 份" in res.out, res.err  # nothing of the killed run survived
    assert counts(db) == (7, 7 * len(FIGURE_KEYS))


@pytest.mark.slow
def test_two_concurrent_runs_lose_nothing(box, tmp_path):
    db = tmp_path / "shared.sqlite"
    other = tmp_path / "other-inbox"
    for i in range(4):
        write_json(other / f"{i}.json", renamed(source("fenxi-zfb_2023"), f"汾西县第{i}局"))
    write_json(other / "fenxi.json", box.reports["fenxi"])  # also in the first inbox
    marker_a = tmp_path / "a-in-transaction"
    a = _helper("slow", marker_a, "collect", box.inbox, "-o", tmp_path / "a.xlsx", "--db", db, "--quiet")
    _wait_for(marker_a, a)  # a holds the write lock now; b must wait for it, not fail
    b = _helper("slow", tmp_path / "b-marker", "collect", other, "-o", tmp_path / "b.xlsx", "--db", db, "--quiet")
    out_a, err_a = a.communicate(timeout=WAIT_S)
    out_b, err_b = b.communicate(timeout=WAIT_S)
    assert a.returncode == 1 and b.returncode == 0, (err_a, err_b)
    added = [int(o.split("新增 ")[1].split(" ")[0]) for o in (out_a, out_b)]
    assert added == [7, 4]  # the shared 汾西 report is stored once
    assert counts(db) == (11, 11 * len(FIGURE_KEYS))
