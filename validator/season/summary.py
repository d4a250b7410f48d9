"""The season's 汇总 from the archive: each body's approved version (optionally a version still
awaiting review, marked so in 报送情况), through the same statuses, totals and workbook writer
as ``xxgk collect``."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from validator.collect.archive import Archive
from validator.collect.inbox import Item, describe
from validator.collect.ledger import APPROVED, PENDING, RETURNED
from validator.collect.roster import RosterEntry
from validator.collect.run import Body, CollectResult, Options, judged
from validator.collect.versions import stored_report
from validator.engine import validate
from validator.jsonio import read_json_bytes
from validator.profile import Profile
from validator.season.views import BoardRow


def _item(con: sqlite3.Connection, row: BoardRow, number: int, first_received: str, profile: Profile | None) -> Item:
    text, report, file_name = con.execute(
        "SELECT json, report, source_file FROM submissions WHERE body_id = ? AND year = ? AND version = ?",
        (row.id, row.latest.year if row.latest else None, number),
    ).fetchone()
    rel = f"第 {number} 版：{file_name}"
    item = Item(Path(file_name), rel, dt.datetime.fromisoformat(first_received))
    item.submission = read_json_bytes(text.encode("utf-8"), rel)
    describe(item)
    item.report = stored_report(report) if report else validate(item.submission, profile)
    return item


def season_result(
    archive: Archive,
    con: sqlite3.Connection,
    rows: list[BoardRow],
    year: int,
    *,
    include_pending: bool = False,
    roster_used: bool = True,
    profile: Profile | None = None,
) -> CollectResult:
    """The collect result the 汇总 workbook and ``--aggregate`` are written from."""
    bodies: list[Body] = []
    items: list[Item] = []
    counts: dict[int, bool] = {}
    notes: dict[int, list[str]] = {}
    for row in rows:
        entry = (
            RosterEntry(row.body.identity, row.body.deadline, row.body.roster_row or 0) if row.body.on_roster else None
        )
        body = Body(row.body.identity, roster=entry)
        bodies.append(body)
        latest = row.latest
        if latest is None:
            continue
        pending_counts = include_pending and latest.review == PENDING and latest.check != "有错误"
        number = row.approved if row.approved is not None and not pending_counts else latest.number
        item = _item(con, row, number, row.first_received or latest.received_at, profile)
        item.body = body
        body.items.append(item)
        items.append(item)
        counts[id(body)] = row.approved is not None or pending_counts
        notes[id(body)] = _notes(row, number, pending_counts)
    options = Options(
        year=year,
        roster=[b.roster for b in bodies if b.roster is not None] if roster_used else None,
        counted=lambda body: counts.get(id(body), False),
        last_year_lookup=archive.last_year_lookup,
        profile=profile,
    )
    result = judged(Path(archive.path.name), items, bodies, year, options)
    for body in result.bodies:
        body.flags += notes.get(id(body), [])
    return result


def _notes(row: BoardRow, number: int, pending_counts: bool) -> list[str]:
    latest = row.latest
    assert latest is not None
    if pending_counts and number == latest.number:
        return [f"第 {number} 版待审核（尚未审核，已计入汇总）"]
    out = []
    if row.approved is not None:
        out.append(f"已通过（第 {row.approved} 版）")
        if latest.number != row.approved:
            out.append(f"第 {latest.number} 版{latest.review}，未计入")
    elif latest.review == RETURNED:
        out.append(f"第 {latest.number} 版已退回，未计入汇总")
    elif latest.review == PENDING:
        out.append(f"第 {latest.number} 版待审核，未计入汇总")
    elif latest.review == APPROVED:
        out.append(f"已通过（第 {latest.number} 版）")
    return out
