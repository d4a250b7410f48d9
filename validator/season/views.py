"""What the board shows, read from the archive: one row per body, a body's versions, the log.

Every query goes through an index on (body, year, version): a body's row costs the same
whatever else the archive holds, and the board costs one row per body.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field

from validator.collect.ledger import APPROVED, PENDING, RETURNED, Event
from validator.collect.versions import BODY_COLUMNS, BodyRow, body_row

UNSUBMITTED = "未报送"
STATUSES = (UNSUBMITTED, PENDING, RETURNED, APPROVED)
ORIGINS = {"body": "单位报送", "office": "上级机关代为上传"}


@dataclass
class Review:
    at: str
    action: str
    """``return`` or ``approve``."""
    reason: str = ""


@dataclass
class VersionInfo:
    id: int
    number: int
    year: int
    received_at: str
    origin: str
    file_name: str
    check: str
    """通过 / 有提示 / 有错误, as judged when it arrived."""
    errors: int
    warnings: int
    review: str
    current: bool
    content_hash: str
    has_file: bool
    reviews: list[Review] = field(default_factory=list)

    @property
    def origin_zh(self) -> str:
        return ORIGINS.get(self.origin, self.origin)

    @property
    def reason(self) -> str:
        """The office's last reason for returning it ('' when not returned)."""
        returns = [r for r in self.reviews if r.action == "return"]
        return returns[-1].reason if returns and self.review == RETURNED else ""

    def as_dict(self) -> dict:
        return {
            "version": self.number,
            "year": self.year,
            "received_at": self.received_at,
            "origin": self.origin,
            "file": self.file_name,
            "check": self.check,
            "errors": self.errors,
            "warnings": self.warnings,
            "status": self.review,
            "current": self.current,
            "content_hash": self.content_hash,
            "reason": self.reason or None,
            "reviews": [{"at": r.at, "action": r.action, "reason": r.reason or None} for r in self.reviews],
        }


@dataclass
class BoardRow:
    body: BodyRow
    status: str
    latest: VersionInfo | None
    approved: int | None
    """The number of the latest approved version (the one the 汇总 counts)."""
    first_received: str | None
    overdue_days: int

    @property
    def id(self) -> int:
        return self.body.id

    @property
    def name(self) -> str:
        return self.body.name

    @property
    def note(self) -> str:
        """What the status does not say: an approved version behind a newer one."""
        if self.latest and self.approved and self.approved != self.latest.number:
            return f"第 {self.approved} 版已通过，第 {self.latest.number} 版{self.status}"
        return ""

    def as_dict(self) -> dict:
        latest = self.latest
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "version": latest.number if latest else None,
            "errors": latest.errors if latest else None,
            "warnings": latest.warnings if latest else None,
            "check": latest.check if latest else None,
            "approved_version": self.approved,
            "received_at": latest.received_at if latest else None,
            "deadline": self.body.deadline.isoformat() if self.body.deadline else None,
            "overdue_days": self.overdue_days,
            "on_roster": self.body.on_roster,
            "has_code": self.body.code_handle is not None,
        }


_VERSION = (
    "id, version, year, received_at, origin, source_file, status, errors, warnings, review, current, content_hash,"
    " file_sha256 IS NOT NULL"
)


def _version(row: tuple) -> VersionInfo:
    return VersionInfo(*row[:10], bool(row[10]), row[11], bool(row[12]))  # type: ignore[call-arg]


def versions(con: sqlite3.Connection, body_id: int, year: int) -> list[VersionInfo]:
    rows = con.execute(
        f"SELECT {_VERSION} FROM submissions WHERE body_id = ? AND year = ? ORDER BY version", (body_id, year)
    )
    out = [_version(r) for r in rows]
    by_id = {v.id: v for v in out}
    for at, action, sub_id, detail in con.execute(
        "SELECT at, action, submission_id, detail FROM events WHERE body_id = ? AND action IN ('return', 'approve')"
        " ORDER BY id",
        (body_id,),
    ):
        if sub_id in by_id:
            by_id[sub_id].reviews.append(Review(at, action, json.loads(detail)[0].get("reason", "")))
    return out


def version(con: sqlite3.Connection, body_id: int, year: int, number: int) -> VersionInfo | None:
    found = [v for v in versions(con, body_id, year) if v.number == number]
    return found[0] if found else None


def body(con: sqlite3.Connection, body_id: int) -> BodyRow | None:
    row = con.execute(f"SELECT {BODY_COLUMNS} FROM bodies WHERE id = ?", (body_id,)).fetchone()
    return body_row(row) if row else None


def status_of(latest: VersionInfo | None) -> str:
    return latest.review if latest is not None else UNSUBMITTED


def overdue_days(deadline: dt.date | None, first_received: str | None, today: dt.date) -> int:
    if deadline is None:
        return 0
    arrived = dt.date.fromisoformat(first_received[:10]) if first_received else today
    return max((arrived - deadline).days, 0)


def board(con: sqlite3.Connection, year: int, today: dt.date) -> list[BoardRow]:
    """One row per body on the roster, and per body off it with a version this year."""
    prefixed = ", ".join(f"b.{c.strip()}" for c in BODY_COLUMNS.split(","))
    latest_cols = ", ".join(f"s.{c.strip()}" for c in _VERSION.split(",")[:-1]) + ", s.file_sha256 IS NOT NULL"
    rows = con.execute(
        f"SELECT {prefixed}, {latest_cols},"
        " (SELECT MAX(version) FROM submissions a WHERE a.body_id = b.id AND a.year = :year AND a.review = :approved),"
        " (SELECT received_at FROM submissions f WHERE f.body_id = b.id AND f.year = :year ORDER BY version LIMIT 1),"
        " (SELECT at || char(10) || detail FROM events e WHERE e.submission_id = s.id AND e.action = 'return'"
        " ORDER BY e.id DESC LIMIT 1)"
        " FROM bodies b LEFT JOIN submissions s ON s.id ="
        " (SELECT id FROM submissions l WHERE l.body_id = b.id AND l.year = :year ORDER BY version DESC LIMIT 1)"
        " WHERE b.on_roster = 1 OR s.id IS NOT NULL"
        " ORDER BY b.on_roster DESC, b.roster_row, b.id",
        {"year": year, "approved": APPROVED},
    )
    width = len(BODY_COLUMNS.split(","))
    out = []
    for row in rows:
        info = body_row(row[:width])
        latest = _version(row[width : width + 13]) if row[width] is not None else None
        approved, first, returned = row[width + 13], row[width + 14], row[width + 15]
        if latest is not None and returned:
            at, detail = returned.split("\n", 1)
            latest.reviews.append(Review(at, "return", json.loads(detail)[0].get("reason", "")))
        out.append(
            BoardRow(info, status_of(latest), latest, approved, first, overdue_days(info.deadline, first, today))
        )
    return out


def counts(rows: list[BoardRow]) -> dict[str, int]:
    out = {s: 0 for s in STATUSES}
    for r in rows:
        out[r.status] += 1
    out["逾期"] = sum(1 for r in rows if r.overdue_days and r.status != APPROVED)
    return out


def event_dict(event: Event, names: dict[int, str]) -> dict:
    actor = event.actor
    shown = {"office": "上级机关", "collect": "上级机关（命令行）", "system": "本工具"}.get(actor, actor)
    if actor.startswith("body:"):
        shown = names.get(int(actor[5:]), actor)
    detail = {k: v for k, v in event.detail.items() if k != "actor_name"}
    return {
        "id": event.id,
        "at": event.at,
        "actor": actor,
        "actor_name": shown,
        "action": event.action,
        "action_zh": event.action_zh,
        "body_id": event.body_id,
        "body": names.get(event.body_id) if event.body_id is not None else None,
        "version": event.version,
        "content_hash": event.content_hash,
        "detail": detail,
        "hash": event.hash,
    }


def names(con: sqlite3.Connection) -> dict[int, str]:
    return {id: name for id, name in con.execute("SELECT id, name FROM bodies")}
