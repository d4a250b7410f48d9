"""The archive's audit log: every step of a season, append-only and hash-chained.

Each event (time, actor, action, body, version, content hash, detail) stores the hash of the
one before it, and its own hash covers all of that: an event edited, removed or inserted breaks
the chain from there on. :func:`verify` also replays the log against the tables it describes
(every version has its submission event with the same content, figures and file; every
version's review state and ``current`` mark is what the log's returns and approvals give; every
body's 报送码 is the one last issued), so a version edited or deleted with the sqlite3 shell,
or a log cut short, is found too.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from validator.collect.schema import now

GENESIS = "0" * 64
ACTIONS = {
    "submit": "提交",
    "migrate": "迁入（旧版归档）",
    "return": "退回",
    "approve": "通过",
    "issue-code": "发放报送码",
    "reissue-code": "重发报送码（原码作废）",
    "download": "下载",
    "roster": "更新名单",
    "season": "设定收报年度",
}
"""Actions and how they read in Chinese."""
PENDING, RETURNED, APPROVED = "待审核", "已退回", "已通过"


@dataclass(frozen=True)
class Actor:
    """Who acted: ``office`` (the board's office), ``collect`` (``xxgk collect --db`` or another
    command run by the office), ``system``, or ``body`` with its id."""

    kind: str
    body_id: int | None = None
    name: str = ""

    @property
    def key(self) -> str:
        return f"body:{self.body_id}" if self.kind == "body" else self.kind


@dataclass(frozen=True)
class Event:
    id: int
    at: str
    actor: str
    action: str
    body_id: int | None
    submission_id: int | None
    version: int | None
    content_hash: str | None
    detail: dict
    prev: str
    hash: str

    @property
    def action_zh(self) -> str:
        return ACTIONS.get(self.action, self.action)


def _canonical(values: list) -> bytes:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def event_hash(
    prev: str,
    id: int,
    at: str,
    actor: str,
    action: str,
    body_id: int | None,
    submission_id: int | None,
    version: int | None,
    content_hash: str | None,
    detail: str,
) -> str:
    payload = [id, at, actor, action, body_id, submission_id, version, content_hash, detail]
    return hashlib.sha256(prev.encode("ascii") + b"\n" + _canonical(payload)).hexdigest()


def append(
    con: sqlite3.Connection,
    actor: Actor,
    action: str,
    *,
    body_id: int | None = None,
    submission_id: int | None = None,
    version: int | None = None,
    content_hash: str | None = None,
    detail: dict | None = None,
) -> Event:
    """Add an event inside the caller's write transaction (so the step and its record commit together)."""
    assert action in ACTIONS, action
    row = con.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    id, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    info = dict(detail or {})
    if actor.name:
        info.setdefault("actor_name", actor.name)
    text = _canonical([info]).decode("utf-8")
    at = now()
    digest = event_hash(prev, id, at, actor.key, action, body_id, submission_id, version, content_hash, text)
    con.execute(
        "INSERT INTO events (id, at, actor, action, body_id, submission_id, version, content_hash, detail, prev, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (id, at, actor.key, action, body_id, submission_id, version, content_hash, text, prev, digest),
    )
    return Event(id, at, actor.key, action, body_id, submission_id, version, content_hash, info, prev, digest)


_COLUMNS = "id, at, actor, action, body_id, submission_id, version, content_hash, detail, prev, hash"


def _event(row: tuple) -> Event:
    detail = json.loads(row[8])[0]
    return Event(*row[:8], detail, *row[9:])  # type: ignore[arg-type, call-arg]


def events(con: sqlite3.Connection, body_id: int | None = None, limit: int | None = None) -> list[Event]:
    """The log, oldest first (one body's events with `body_id`; the last `limit` ones)."""
    where, args = ("WHERE body_id = ?", [body_id]) if body_id is not None else ("", [])
    order = "ORDER BY id DESC LIMIT ?" if limit else "ORDER BY id DESC"
    rows = con.execute(f"SELECT {_COLUMNS} FROM events {where} {order}", [*args, *([limit] if limit else [])])
    return [_event(r) for r in reversed(rows.fetchall())]


def head(con: sqlite3.Connection) -> tuple[int, str]:
    row = con.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def json_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def figures_digest(figures: Sequence[tuple[str, object]]) -> str:
    return hashlib.sha256(_canonical(sorted([k, v] for k, v in figures))).hexdigest()


def code_digest(salt: bytes, digest: bytes) -> str:
    return hashlib.sha256(salt + digest).hexdigest()


@dataclass
class Verified:
    events: int
    versions: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


MAX_PROBLEMS = 50


def verify(con: sqlite3.Connection) -> Verified:
    """Check the chain and replay it against the versions, figures, files and codes."""
    problems: list[str] = []

    def problem(text: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(text)

    submitted: dict[int, Event] = {}
    reviews: dict[int, str] = {}
    codes: dict[int, str] = {}
    prev, expected_id, count = GENESIS, 1, 0
    for row in con.execute(f"SELECT {_COLUMNS} FROM events ORDER BY id"):
        count += 1
        id, at, actor, action, body_id, sub_id, version, content, detail, stored_prev, digest = row
        if id != expected_id:
            problem(f"审计记录第 {expected_id} 条起缺失（下一条为第 {id} 条）")
        expected_id = id + 1
        if stored_prev != prev:
            problem(f"审计记录第 {id} 条与前一条接不上（前一条被改动或删除）")
        if event_hash(stored_prev, id, at, actor, action, body_id, sub_id, version, content, detail) != digest:
            problem(f"审计记录第 {id} 条的内容被改动（{ACTIONS.get(action, action)}，{at}）")
        prev = digest
        try:
            info = json.loads(detail)[0]
        except (ValueError, IndexError, KeyError, TypeError):
            problem(f"审计记录第 {id} 条无法读取")
            continue
        if action in ("submit", "migrate") and sub_id is not None:
            if sub_id in submitted:
                problem(f"第 {sub_id} 号报告有两条提交记录")
            submitted[sub_id] = Event(
                id, at, actor, action, body_id, sub_id, version, content, info, stored_prev, digest
            )
            reviews[sub_id] = PENDING
        elif action in ("return", "approve") and sub_id is not None:
            reviews[sub_id] = RETURNED if action == "return" else APPROVED
        elif action in ("issue-code", "reissue-code") and body_id is not None:
            codes[body_id] = info.get("code", "")
    versions = _verify_versions(con, submitted, reviews, problem)
    _verify_codes(con, codes, problem)
    _verify_files(con, problem)
    return Verified(count, versions, prev, problems)


def _verify_versions(con: sqlite3.Connection, submitted: dict[int, Event], reviews: dict[int, str], problem) -> int:
    groups: dict[tuple[int, int | None], list[tuple[int, int, str, int]]] = defaultdict(list)
    seen = 0
    rows = con.execute(
        "SELECT id, body_id, year, version, review, current, content_hash, json, file_sha256 FROM submissions ORDER BY id"
    )
    for id, body_id, year, version, review, current, content, text, file_sha in rows:
        seen += 1
        event = submitted.pop(id, None)
        where = f"第 {id} 号报告（第 {version} 版）"
        if event is None:
            problem(f"{where}没有提交记录（在审计记录之外加入）")
            continue
        if event.content_hash != content or event.body_id != body_id or event.version != version:
            problem(f"{where}与提交记录不符（内容、单位或版本号被改动）")
        if event.detail.get("json_sha256") != json_digest(text):
            problem(f"{where}的报告内容被改动")
        figures = con.execute("SELECT key, value FROM figures WHERE submission_id = ?", (id,)).fetchall()
        if event.detail.get("figures_sha256") != figures_digest(figures):
            problem(f"{where}的数字被改动")
        if event.detail.get("file_sha256") != file_sha:
            problem(f"{where}的原始文件记录被改动")
        if reviews.get(id) != review:
            problem(f"{where}的审核状态为“{review}”，审计记录为“{reviews.get(id)}”")
        groups[(body_id, year)].append((version, id, review, current))
    for sub_id in submitted:
        problem(f"第 {sub_id} 号报告有提交记录，但已不在归档中（被删除）")
    for versions in groups.values():
        versions.sort()
        approved = [v for v in versions if v[2] == APPROVED]
        should = (approved or versions)[-1][1]
        for _, id, _, current in versions:
            if bool(current) != (id == should):
                problem(f"第 {id} 号报告的“现行版本”标记与审计记录不符")
    return seen


def _verify_codes(con: sqlite3.Connection, codes: dict[int, str], problem) -> None:
    for body_id, name, salt, digest in con.execute("SELECT id, name, code_salt, code_hash FROM bodies"):
        if digest is None and body_id not in codes:
            continue
        if digest is None or code_digest(salt or b"", digest) != codes.get(body_id):
            problem(f"{name}的报送码与最后一次发放记录不符")


def _verify_files(con: sqlite3.Connection, problem) -> None:
    for sha, data in con.execute("SELECT sha256, data FROM files"):
        if hashlib.sha256(data).hexdigest() != sha:
            problem(f"原始文件 {sha[:12]}… 的内容被改动")
