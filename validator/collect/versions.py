"""Versions in the archive: the one path by which a report enters it (``xxgk collect --db`` and
the 收报 board alike), the bodies they belong to, and which version is current.

A body's reports for a year are numbered versions (1, 2, …), judged when they arrive and never
changed afterwards. A version's review state is 待审核 until the office returns it (已退回) or
approves it (已通过). The **current** version of a body and year, the one a per-year sum and next
year's 上年 use, is its latest approved version, else its latest one; every other version is
marked superseded (``current = 0``). An index makes two current versions of one body and year
impossible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from validator.collect import ledger, schema
from validator.collect.bodies import BodyIndex, Identity, name_key
from validator.collect.inbox import canonical, content_hash, figures_of, identity_of
from validator.collect.ledger import APPROVED, PENDING, RETURNED, Actor
from validator.collect.schema import now
from validator.jsonio import dump_model, report_to_model
from validator.report import CellRef, Finding, ValidationReport

if TYPE_CHECKING:
    from validator.collect.roster import RosterEntry
    from validator.submission import Submission

REVIEWS = (PENDING, RETURNED, APPROVED)


@dataclass
class NewVersion:
    submission: Submission
    report: ValidationReport
    file_name: str
    """What the sender called the file (shown, never used as a path)."""
    received: dt.datetime
    origin: str
    """``body`` (uploaded with its 报送码) or ``office`` (the board's office, or ``collect --db``)."""
    digest: str | None = None
    """The content hash when already made (collect's :attr:`Item.digest`)."""
    data: bytes | None = None
    """The file as uploaded, kept with the version (the board); None for a collected folder."""


@dataclass(frozen=True)
class Stored:
    id: int
    body_id: int
    year: int
    version: int
    content_hash: str
    check: str


def check_result(report: ValidationReport) -> str:
    """通过 / 有提示 / 有错误, as ``collect`` says it."""
    return "有错误" if report.errors else "有提示" if report.findings else "通过"


def content_digest(submission: Submission) -> str:
    return content_hash(canonical(submission)[0])


def has_content(con: sqlite3.Connection, body_id: int, year: int, digest: str) -> bool:
    row = con.execute(
        "SELECT 1 FROM submissions WHERE body_id = ? AND year = ? AND content_hash = ? LIMIT 1", (body_id, year, digest)
    ).fetchone()
    return row is not None


def add_version(con: sqlite3.Connection, body_id: int, year: int, new: NewVersion, actor: Actor) -> Stored:
    """Store the next version of a body's report for `year` with its figures, file and log event,
    inside the caller's write transaction. The cost does not depend on how much the archive holds:
    every lookup goes through an index."""
    sub, report = new.submission, new.report
    digest = new.digest or content_digest(sub)
    text = dump_model(report_to_model(sub, report)).decode("utf-8")
    report_text = json.dumps(report.as_dict(), ensure_ascii=False)
    figures = [
        (k, format(v, "f") if not isinstance(v, int) else v)
        for k, v in figures_of(sub)[0].items()
        if not k.startswith("last_year.")
    ]
    ident = identity_of(sub)
    row = con.execute("SELECT MAX(version) FROM submissions WHERE body_id = ? AND year = ?", (body_id, year)).fetchone()
    number = (row[0] or 0) + 1
    file_sha = None
    if new.data is not None:
        file_sha = hashlib.sha256(new.data).hexdigest()
        con.execute(
            "INSERT OR IGNORE INTO files (sha256, name, size, data) VALUES (?,?,?,?)",
            (file_sha, new.file_name, len(new.data), new.data),
        )
    check = check_result(report)
    cur = con.execute(
        "INSERT INTO submissions (body_id, year, version, review, current, origin, content_hash, format, body_name,"
        " body_key, body_type, region_code, credit_code, status, errors, warnings, source_file, received_at,"
        " archived_at, json, report, file_sha256) VALUES (?,?,?,?,0,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            body_id,
            year,
            number,
            PENDING,
            new.origin,
            digest,
            sub.format.id,
            ident.name,
            name_key(ident.name),
            ident.type or None,
            ident.region_code or None,
            ident.credit_code or None,
            check,
            len(report.errors),
            len(report.warnings),
            new.file_name,
            new.received.isoformat(timespec="seconds"),
            now(),
            text,
            report_text,
            file_sha,
        ),
    )
    sub_id = cur.lastrowid
    assert sub_id is not None
    con.executemany(
        "INSERT INTO figures (submission_id, key, value) VALUES (?,?,?)", [(sub_id, k, v) for k, v in figures]
    )
    detail = {
        "file": new.file_name,
        "origin": new.origin,
        "year": year,
        "check": check,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "json_sha256": ledger.json_digest(text),
        "figures_sha256": ledger.figures_digest(figures),
        "file_sha256": file_sha,
    }
    ledger.append(
        con, actor, "submit", body_id=body_id, submission_id=sub_id, version=number, content_hash=digest, detail=detail
    )
    settle_current(con, body_id, year)
    return Stored(sub_id, body_id, year, number, digest, check)


def set_review(con: sqlite3.Connection, stored: Stored, review: str, actor: Actor, detail: dict | None = None) -> None:
    """Return (已退回) or approve (已通过) a version, with its log event; the caller has checked
    that the step is allowed."""
    action = {RETURNED: "return", APPROVED: "approve"}[review]
    con.execute("UPDATE submissions SET review = ? WHERE id = ?", (review, stored.id))
    ledger.append(
        con,
        actor,
        action,
        body_id=stored.body_id,
        submission_id=stored.id,
        version=stored.version,
        content_hash=stored.content_hash,
        detail=detail,
    )
    settle_current(con, stored.body_id, stored.year)


def settle_current(con: sqlite3.Connection, body_id: int, year: int | None) -> None:
    """Mark the current version of a body and year (its latest approved, else its latest)."""
    rows = con.execute(
        "SELECT id, review FROM submissions WHERE body_id = ? AND year IS ? ORDER BY version", (body_id, year)
    ).fetchall()
    if not rows:
        return
    approved = [r for r in rows if r[1] == APPROVED]
    current = (approved or rows)[-1][0]
    con.execute(
        "UPDATE submissions SET current = 0 WHERE body_id = ? AND year IS ? AND current = 1 AND id != ?",
        (body_id, year, current),
    )
    con.execute("UPDATE submissions SET current = 1 WHERE id = ? AND current = 0", (current,))


@dataclass
class BodyRow:
    id: int
    identity: Identity
    on_roster: bool
    roster_row: int | None
    deadline: dt.date | None
    contact: str
    phone: str
    code_handle: str | None

    @property
    def name(self) -> str:
        return self.identity.name


BODY_COLUMNS = "id, name, type, region_code, credit_code, on_roster, roster_row, deadline, contact, phone, code_handle"


def body_row(row: tuple) -> BodyRow:
    id, name, type_, region, credit, on_roster, roster_row, deadline, contact, phone, handle = row
    return BodyRow(
        id,
        Identity(name, type_ or "", region or "", credit or ""),
        bool(on_roster),
        roster_row,
        dt.date.fromisoformat(deadline) if deadline else None,
        contact or "",
        phone or "",
        handle,
    )


class BodyTable:
    """The archive's bodies, matched like the inbox (credit code, region + name, name)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.rows = [body_row(r) for r in con.execute(f"SELECT {BODY_COLUMNS} FROM bodies ORDER BY id")]
        self.index: BodyIndex[BodyRow] = BodyIndex()
        for row in self.rows:
            self.index.add(row.identity, row)

    def find(self, identity: Identity) -> BodyRow | None:
        return self.index.find(identity)

    def id_for(self, identity: Identity, actor: str = "collect") -> int:
        """The body's id, a new row (not on the roster) when it is not known yet."""
        found = self.find(identity)
        if found is not None:
            return found.id
        return self._insert(identity, on_roster=False).id

    def _insert(self, identity: Identity, on_roster: bool, entry: RosterEntry | None = None) -> BodyRow:
        cur = self.con.execute(
            "INSERT INTO bodies (name, key, type, region_code, credit_code, on_roster, roster_row, deadline, contact,"
            " phone, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                identity.name,
                identity.key,
                identity.type or None,
                identity.region_code or None,
                identity.credit_code or None,
                int(on_roster),
                entry.row if entry else None,
                entry.deadline.isoformat() if entry and entry.deadline else None,
                _extra(entry, "contact"),
                _extra(entry, "phone"),
                now(),
            ),
        )
        assert cur.lastrowid is not None
        row = body_row(self.con.execute(f"SELECT {BODY_COLUMNS} FROM bodies WHERE id = ?", (cur.lastrowid,)).fetchone())
        self.rows.append(row)
        self.index.add(identity, row)
        return row

    def sync_roster(self, entries: list[RosterEntry], actor: str) -> dict[str, int]:
        """Bring the bodies in line with the roster: new entries added, known ones updated (their
        ids, versions and codes kept), bodies no longer listed marked off the roster. Logged when
        anything changed."""
        listed: set[int] = set()
        added = updated = 0
        for entry in entries:
            row = self.find(entry.identity)
            if row is None or row.id in listed:
                row = self._insert(entry.identity, on_roster=True, entry=entry)
                added += 1
            else:
                values = (
                    entry.identity.name,
                    entry.identity.key,
                    entry.identity.type or row.identity.type or None,
                    entry.identity.region_code or row.identity.region_code or None,
                    entry.identity.credit_code or row.identity.credit_code or None,
                    entry.row,
                    entry.deadline.isoformat() if entry.deadline else None,
                    _extra(entry, "contact"),
                    _extra(entry, "phone"),
                )
                cur = self.con.execute(
                    "UPDATE bodies SET name=?, key=?, type=?, region_code=?, credit_code=?, on_roster=1, roster_row=?,"
                    " deadline=?, contact=?, phone=? WHERE id = ? AND NOT (name IS ? AND key IS ? AND type IS ? AND"
                    " region_code IS ? AND credit_code IS ? AND on_roster = 1 AND roster_row IS ? AND deadline IS ?"
                    " AND contact IS ? AND phone IS ?)",
                    (*values, row.id, *values),
                )
                updated += cur.rowcount
            listed.add(row.id)
        removed = self.con.execute(
            f"UPDATE bodies SET on_roster = 0 WHERE on_roster = 1 AND id NOT IN ({','.join('?' * len(listed))})",
            tuple(listed),
        ).rowcount
        counts = {"added": added, "updated": updated, "removed": removed, "listed": len(listed)}
        if added or updated or removed:
            ledger.append(self.con, Actor(actor), "roster", detail=counts)
            self.__init__(self.con)  # type: ignore[misc]
        return counts


def _extra(entry: RosterEntry | None, field: str) -> str | None:
    return (getattr(entry, field, "") or None) if entry is not None else None


def migrate_v1(con: sqlite3.Connection) -> None:
    """Structure version 1 → 2 inside the caller's transaction (foreign keys off): every row is
    kept with its id, becomes a version of its body (numbered in the order it was archived), the
    latest of each body and year current, each recorded in the log as migrated."""
    for statement in schema.statements(schema.V2_TABLES + schema.SUBMISSIONS.format(name="submissions_v2")):
        con.execute(statement)
    old = con.execute(
        "SELECT id, content_hash, format, year, body_name, body_key, body_type, region_code, credit_code, status,"
        " errors, warnings, source_file, received_at, archived_at, json FROM submissions ORDER BY id"
    ).fetchall()
    bodies = BodyTable(con)
    numbered: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    placed = []
    for row in old:
        identity = Identity(row[4], row[6] or "", row[7] or "", row[8] or "")
        body_id = bodies.id_for(identity, "system")
        numbered[(body_id, row[3])].append(row[0])
        placed.append((body_id, row))
    latest = {ids[-1] for ids in numbered.values()}
    for body_id, row in placed:
        (id, content, fmt, year, name, key, btype, region, credit, status, errors, warnings, source, received) = row[
            :14
        ]
        archived, text = row[14], row[15]
        check = "有错误" if errors else "有提示" if warnings else "通过"
        version = numbered[(body_id, year)].index(id) + 1
        con.execute(
            "INSERT INTO submissions_v2 (id, body_id, year, version, review, current, origin, content_hash, format,"
            " body_name, body_key, body_type, region_code, credit_code, status, errors, warnings, source_file,"
            " received_at, archived_at, json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (id, body_id, year, version, PENDING, int(id in latest), "office", content, fmt, name, key, btype)
            + (region, credit, check, errors, warnings, source, received, archived, text),
        )
    con.execute("DROP TABLE submissions")
    con.execute("ALTER TABLE submissions_v2 RENAME TO submissions")
    for statement in schema.statements(schema.V2_INDEXES + schema.TRIGGERS):
        con.execute(statement)
    for body_id, row in placed:
        id, content, year, status, source, text = row[0], row[1], row[3], row[9], row[12], row[15]
        figures = con.execute("SELECT key, value FROM figures WHERE submission_id = ?", (id,)).fetchall()
        version = numbered[(body_id, year)].index(id) + 1
        detail = {
            "file": source,
            "origin": "office",
            "year": year,
            "from_schema": 1,
            "status_before": status,
            "json_sha256": ledger.json_digest(text),
            "figures_sha256": ledger.figures_digest(figures),
            "file_sha256": None,
        }
        ledger.append(
            con,
            Actor("system"),
            "migrate",
            body_id=body_id,
            submission_id=id,
            version=version,
            content_hash=content,
            detail=detail,
        )
    con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('migrated_from', '1')")
    broken = con.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise sqlite3.IntegrityError(f"foreign key check after migration: {broken[:3]}")


def stored_report(text: str) -> ValidationReport:
    """A version's check report back from its stored ``check --json`` document."""
    data = json.loads(text)

    def cells(items: list[dict]) -> tuple[CellRef, ...]:
        return tuple(CellRef(c["ref"], c["key"]) for c in items)

    findings = [
        Finding(
            rule=f["rule"],
            severity=f["severity"],
            scope=f["scope"],
            cells=cells(f["cells"]),
            message=f["message"],
            expected=f.get("expected"),
            actual=f.get("actual"),
            explanation=f.get("explanation"),
            caused_by=f.get("caused_by"),
            located=bool(f.get("located")),
            alternatives=tuple((CellRef(a["ref"], a["key"]), a.get("expected")) for a in f.get("alternatives", ())),
        )
        for f in data["findings"]
    ]
    stats = data.get("stats", {})
    return ValidationReport(
        data["source"], data["format"], findings, stats.get("rules_run", 0), stats.get("cells_checked", 0)
    )
