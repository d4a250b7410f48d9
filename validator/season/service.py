"""The 收报 season on one archive: the service under the board's pages, its JSON API and the
``xxgk codes``/``xxgk archive`` commands (none of which holds any of this logic).

- Bodies come from the roster (:meth:`Season.open` brings the archive's bodies in line with it).
- A body submits with its 报送码 (:meth:`authenticate`, :meth:`submit`); the office may upload on
  a body's behalf (:meth:`receive`), and ``xxgk collect --db`` stores a folder the same way.
- Every upload is judged when it arrives (its body's own last year from the archive, the rules
  of ``xxgk check``) and becomes the body's next version; nothing is judged again later.
- The office returns (:meth:`return_version`) or approves (:meth:`approve`) the latest version.
- Each step is one write transaction with its audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from validator.collect import ledger, versions
from validator.collect.archive import Archive
from validator.collect.bodies import Identity, name_key, same_body
from validator.collect.inbox import identity_of
from validator.collect.ledger import APPROVED, PENDING, RETURNED, Actor
from validator.collect.roster import load_roster
from validator.collect.schema import now
from validator.collect.session import write_outputs
from validator.collect.workbook import write_collect_workbook
from validator.engine import validate
from validator.errors import UnusableInput
from validator.jsonio import read_json_bytes
from validator.profile import Profile
from validator.readers import load
from validator.season import codes, views
from validator.season.diff import Diff, diff
from validator.season.sheets import CodeLine, ReminderLine, codes_workbook, reminders_workbook
from validator.season.summary import season_result
from validator.submission import Submission
from validator.values import to_year

MAX_REASON = 4000
OFFICE = Actor("office")
COMMAND = Actor("collect")


class SeasonError(Exception):
    """A refusal with a Chinese message; `kind` says which (the faces map it to HTTP statuses):
    ``forbidden`` (wrong code or token), ``throttled`` (too many wrong tries), ``mismatch`` (a
    report of another body), ``conflict`` (a step the version's state does not allow),
    ``not-found``, ``invalid`` (a bad reason, a report of another year)."""

    def __init__(self, kind: str, message: str, code: str | None = None, retry_after: float = 0.0):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code or kind
        self.retry_after = retry_after

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class Submitted:
    body: views.BodyRow
    version: views.VersionInfo
    status: str
    report: dict
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "body": self.body.name,
            "body_id": self.body.id,
            "version": self.version.number,
            "status": self.status,
            "check": self.version.check,
            "notes": self.notes,
            "report": self.report,
        }


@dataclass
class BodyView:
    body: views.BodyRow
    row: views.BoardRow
    versions: list[views.VersionInfo]

    def as_dict(self) -> dict:
        return {**self.row.as_dict(), "versions": [v.as_dict() for v in self.versions]}

    def arrival_notes(self) -> list[str]:
        """What a body is told about its latest upload (the page it lands on after uploading)."""
        if not self.versions:
            return []
        latest = self.versions[-1]
        notes = [f"已收到第 {latest.number} 版（{latest.file_name}），校验结果：{latest.check}；等待上级机关审核。"]
        approved = [v.number for v in self.versions[:-1] if v.review == APPROVED]
        if approved:
            notes.append(
                f"第 {approved[-1]} 版此前已通过审核；本次上传的第 {latest.number} 版需要重新审核，"
                f"通过前汇总仍使用第 {approved[-1]} 版。"
            )
        if len(self.versions) > 1 and self.versions[-2].content_hash == latest.content_hash:
            notes.append(f"本次上传的内容与第 {self.versions[-2].number} 版相同。")
        return notes


@dataclass
class Issued:
    lines: list[CodeLine]
    workbook: bytes


def _default_today() -> dt.date:
    return dt.date.today()


class Season:
    def __init__(
        self,
        archive: Archive,
        year: int,
        roster_used: bool,
        profile: Profile | None = None,
        today: Callable[[], dt.date] = _default_today,
    ) -> None:
        self.archive = archive
        self.year = year
        self.roster_used = roster_used
        self.profile = profile
        self.today = today
        self.throttle = codes.Throttle()
        self._verified: dict[str, tuple[int, str]] = {}
        self._mutex = threading.Lock()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection (the archive exists: :meth:`open` made it)."""
        with self.archive.read() as con:
            if con is None:
                raise UnusableInput("归档是空的或已被移走", where=self.archive.path.name)
            yield con

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        db: str | Path,
        *,
        roster: str | Path | None = None,
        year: int | None = None,
        profile: Profile | None = None,
        today: Callable[[], dt.date] = _default_today,
        actor: str = "office",
        remember: bool = True,
    ) -> Season:
        """The season on `db` (created or migrated on first use): the roster's bodies brought in,
        the year the one given, else the one last used, else the latest with reports, else last
        calendar year. With `remember` the year given becomes the board's (a command looking at
        another year passes False)."""
        archive = Archive.open(db)
        entries = load_roster(roster) if roster else None
        with archive.write() as con:
            if entries is not None:
                versions.BodyTable(con).sync_roster(entries, actor)
            year = _season_year(con, year, today()) if remember or year is None else year
            roster_used = entries is not None or con.execute("SELECT 1 FROM bodies WHERE on_roster = 1").fetchone()
        return cls(archive, year, bool(roster_used), profile, today)

    def remember_url(self, url: str) -> None:
        """Where bodies reach the board (printed on the 报送码 list by ``xxgk codes``)."""
        with self.archive.write() as con:
            con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('board_url', ?)", (url,))

    def url(self) -> str | None:
        with self._read() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'board_url'").fetchone()
        return row[0] if row else None

    # -- codes -----------------------------------------------------------------------------------

    def authenticate(self, code: str, client: str) -> views.BodyRow:
        """The body a 报送码 belongs to; :class:`SeasonError` ``forbidden`` for a wrong or revoked
        code, ``throttled`` (with `retry_after`) after repeated wrong ones from this client."""
        wait = self.throttle.wait(client)
        if wait:
            raise SeasonError(
                "throttled", f"报送码错误次数过多，请 {int(wait) + 1} 秒后再试", "too-many-tries", retry_after=wait
            )
        normalized = codes.normalize(code)
        found = self._find_code(normalized) if normalized else None
        if found is None:
            if not normalized:
                codes.matches("X" * 20, None, None)  # the same time as a wrong code of the right shape
            self.throttle.failed(client)
            raise SeasonError("forbidden", "报送码不正确或已作废（重新发放后原码作废）", "wrong-code")
        return found

    def _find_code(self, code: str) -> views.BodyRow | None:
        key = hashlib.sha256(code.encode("ascii")).hexdigest()
        with self._read() as con:
            cached = self._verified.get(key)
            if cached is not None:
                body = views.body(con, cached[0])
                if body is not None and body.code_handle == cached[1]:
                    return body
            row = con.execute(
                "SELECT id, code_salt, code_hash FROM bodies WHERE code_handle = ?", (codes.handle(code),)
            ).fetchone()
            if not codes.matches(code, row[1] if row else None, row[2] if row else None):
                return None
            body = views.body(con, row[0])
        assert body is not None and body.code_handle is not None
        with self._mutex:
            self._verified[key] = (body.id, body.code_handle)
        return body

    def issue_codes(self, which: str | Sequence[int] = "missing", url: str = "", actor: Actor = OFFICE) -> Issued:
        """New 报送码 for the roster's bodies without one (``missing``), for all of them (``all``,
        every old code revoked), or for the given body ids (their old codes revoked). Returns the
        printed list; only hashes are kept."""
        with self._read() as con:
            rows = self._roster_rows(con)
        if which == "missing":
            chosen = [r for r in rows if r.code_handle is None]
        elif which == "all":
            chosen = rows
        else:
            wanted = {int(i) for i in which}
            with self._read() as con:
                known = {b.id: b for b in (views.body(con, i) for i in wanted) if b is not None}
            missing = wanted - set(known)
            if missing:
                raise SeasonError("not-found", "没有这个单位", "no-such-body")
            chosen = [known[i] for i in sorted(wanted)]
        made = []
        for body in chosen:
            code = codes.new_code()
            salt, digest = codes.hashed(codes.normalize(code) or "")
            made.append((body, code, salt, digest))
        with self.archive.write() as con:
            taken = {r[0] for r in con.execute("SELECT code_handle FROM bodies WHERE code_handle IS NOT NULL")}
            lines = []
            for body, code, salt, digest in made:
                while codes.handle(codes.normalize(code) or "") in taken:  # a handle names one body
                    code = codes.new_code()
                    salt, digest = codes.hashed(codes.normalize(code) or "")
                handle = codes.handle(codes.normalize(code) or "")
                taken.add(handle)
                old = con.execute("SELECT code_handle FROM bodies WHERE id = ?", (body.id,)).fetchone()[0]
                con.execute(
                    "UPDATE bodies SET code_handle = ?, code_salt = ?, code_hash = ?, code_issued_at = ? WHERE id = ?",
                    (handle, salt, digest, _now(), body.id),
                )
                ledger.append(
                    con,
                    actor,
                    "reissue-code" if old else "issue-code",
                    body_id=body.id,
                    detail={"code": ledger.code_digest(salt, digest), "handle": handle},
                )
                lines.append(CodeLine(body.name, code))
        with self._mutex:
            self._verified.clear()
        return Issued(
            lines, codes_workbook(lines, url or self.url() or "（收报网址：启动 xxgk serve 后显示）", self.year)
        )

    def _roster_rows(self, con: sqlite3.Connection) -> list[views.BodyRow]:
        return [r.body for r in views.board(con, self.year, self.today()) if r.body.on_roster]

    # -- submissions -----------------------------------------------------------------------------

    def submit(self, body_id: int, path: Path, display: str, actor: Actor) -> Submitted:
        """Judge an upload of the body's report and store it as its next version. Refusals:
        :class:`UnusableInput` (the file cannot be read, as ``check`` says), :class:`SeasonError`
        ``mismatch`` (another body's report) or ``invalid`` (another year). Nothing is kept of a
        refused upload."""
        with self._read() as con:
            body = views.body(con, body_id)
        if body is None:
            raise SeasonError("not-found", "没有这个单位", "no-such-body")
        submission = load(path)
        submission.source = display
        return self._store(body, submission, path, display, actor)

    def receive(self, files: list[tuple[str, Path]], actor: Actor = OFFICE) -> list[tuple[str, Submitted | dict]]:
        """The office's uploads on behalf of bodies, each matched to its body by its identity (as
        ``collect`` matches); a file the roster does not list is refused, without a roster it
        starts a body of its own. One result (or error) per file."""
        out: list[tuple[str, Submitted | dict]] = []
        for display, path in files:
            try:
                submission = load(path)
                submission.source = display
                identity = identity_of(submission)
                with self.archive.write() as con:
                    table = versions.BodyTable(con)
                    found = table.find(identity)
                    if found is None and not self.roster_used and identity.name:
                        found = views.body(con, table.id_for(identity, actor.key))
                if found is None:
                    name = identity.name or "（未填写机关名称）"
                    raise SeasonError("mismatch", f"名单中没有“{name}”，未接收", "not-on-roster")
                out.append((display, self._store(found, submission, path, display, actor)))
            except UnusableInput as exc:
                out.append((display, _unusable(exc, path, display)))
            except SeasonError as exc:
                out.append((display, exc.as_dict()))
        return out

    def _store(self, body: views.BodyRow, submission: Submission, path: Path, display: str, actor: Actor) -> Submitted:
        identity = identity_of(submission)
        if not same_body(identity, body.identity):
            raise SeasonError("mismatch", _mismatch(identity, body.identity), "body-mismatch")
        year = to_year(submission.values.get("year"))
        if year != self.year:
            shown = f"报告为 {year} 年度" if year is not None else "报告没有填写年度"
            raise SeasonError("invalid", f"{shown}，本次收报为 {self.year} 年度", "wrong-year")
        last = self._last_year(body.id)
        report = validate(submission, self.profile, last)
        data = path.read_bytes()
        new = versions.NewVersion(submission, report, display, dt.datetime.now(), origin=actor.kind, data=data)
        if actor.kind == "body":
            actor = Actor("body", body.id, body.name)
        with self.archive.write() as con:
            before = views.versions(con, body.id, self.year)
            stored = versions.add_version(con, body.id, self.year, new, actor)
        notes = _notes(before, stored)
        with self._read() as con:
            info = views.version(con, body.id, self.year, stored.version)
        assert info is not None
        return Submitted(body, info, PENDING, report.as_dict(), notes)

    def _last_year(self, body_id: int) -> Submission | None:
        with self._read() as con:
            row = con.execute(
                "SELECT json, status FROM submissions WHERE body_id = ? AND year = ? AND current = 1",
                (body_id, self.year - 1),
            ).fetchone()
        if row is None or row[1] == "有错误":
            return None
        try:
            return read_json_bytes(row[0].encode("utf-8"), "归档中的上年报告")
        except UnusableInput:
            return None

    # -- review ----------------------------------------------------------------------------------

    def return_version(self, body_id: int, number: int, reason: str, actor: Actor = OFFICE) -> views.VersionInfo:
        reason = (reason or "").strip()
        if not reason:
            raise SeasonError("invalid", "请写明退回原因", "no-reason")
        if len(reason) > MAX_REASON:
            raise SeasonError("invalid", f"退回原因过长（超过 {MAX_REASON} 字）", "reason-too-long")
        return self._review(body_id, number, RETURNED, actor, {"reason": reason})

    def approve(self, body_id: int, number: int, actor: Actor = OFFICE) -> views.VersionInfo:
        return self._review(body_id, number, APPROVED, actor, None)

    def _review(self, body_id: int, number: int, review: str, actor: Actor, detail: dict | None) -> views.VersionInfo:
        verb = "退回" if review == RETURNED else "通过"
        with self.archive.write() as con:
            found = views.versions(con, body_id, self.year)
            target = [v for v in found if v.number == number]
            if views.body(con, body_id) is None or not target:
                raise SeasonError("not-found", f"没有第 {number} 版", "no-such-version")
            latest, version = found[-1], target[0]
            if version.number != latest.number:
                raise SeasonError(
                    "conflict", f"只能{verb}最新的一版（第 {latest.number} 版），第 {number} 版已被替代", "not-latest"
                )
            if version.review != PENDING:
                code = {RETURNED: "already-returned", APPROVED: "already-approved"}[version.review]
                raise SeasonError("conflict", f"第 {number} 版{version.review}，不能再{verb}", code)
            stored = versions.Stored(version.id, body_id, self.year, number, version.content_hash, version.check)
            versions.set_review(con, stored, review, actor, detail)
        with self._read() as con:
            info = views.version(con, body_id, self.year, number)
        assert info is not None
        return info

    def findings_reason(self, body_id: int, number: int) -> str:
        """A return reason made of the version's 错误 (root causes first, each with its cells and
        figures): what the office's one-click return sends."""
        report = self.report(body_id, number)
        errors = [f for f in report["findings"] if f["severity"] == "error" and f.get("caused_by") is None]
        if not errors:
            raise SeasonError("conflict", f"第 {number} 版没有错误，请写明退回原因", "no-errors")
        lines = [f"校验发现 {len(errors)} 处错误，请改正后重新报送："]
        for n, f in enumerate(errors[:30], 1):
            cells = "、".join(c["ref"] for c in f["cells"][:3])
            message = f["message"]
            figures = ""
            if (f.get("expected") is not None or f.get("actual") is not None) and "应为" not in message:
                figures = f"（应为 {_shown(f.get('expected'))}，现为 {_shown(f.get('actual'))}）"
            where = "" if not cells or message.startswith(cells.split("、")[0]) else f"{cells}："
            lines.append(f"{n}. {where}{message}{figures}")
        if len(errors) > 30:
            lines.append(f"……另有 {len(errors) - 30} 处，见校验结果")
        return "\n".join(lines)[:MAX_REASON]

    # -- views -----------------------------------------------------------------------------------

    def board(self) -> list[views.BoardRow]:
        with self._read() as con:
            return views.board(con, self.year, self.today())

    def body(self, body_id: int) -> BodyView:
        with self._read() as con:
            body = views.body(con, body_id)
            if body is None:
                raise SeasonError("not-found", "没有这个单位", "no-such-body")
            found = views.versions(con, body_id, self.year)
            first = found[0].received_at if found else None
            approved = [v.number for v in found if v.review == APPROVED]
            latest = found[-1] if found else None
            row = views.BoardRow(
                body,
                views.status_of(latest),
                latest,
                approved[-1] if approved else None,
                first,
                views.overdue_days(body.deadline, first, self.today()),
            )
        return BodyView(body, row, found)

    def report(self, body_id: int, number: int) -> dict:
        """The version's check report (``check --json``), as judged when it arrived."""
        import json

        text, data = self._version_text(body_id, number, "report, json")
        if text:
            return json.loads(text)
        return validate(read_json_bytes(data.encode("utf-8"), f"第 {number} 版"), self.profile).as_dict()

    def submission(self, body_id: int, number: int) -> Submission:
        (text,) = self._version_text(body_id, number, "json")
        return read_json_bytes(text.encode("utf-8"), f"第 {number} 版")

    def _version_text(self, body_id: int, number: int, columns: str) -> tuple:
        with self._read() as con:
            row = con.execute(
                f"SELECT {columns} FROM submissions WHERE body_id = ? AND year = ? AND version = ?",
                (body_id, self.year, number),
            ).fetchone()
        if row is None:
            raise SeasonError("not-found", f"没有第 {number} 版", "no-such-version")
        return row

    def diff(self, body_id: int, old: int, new: int) -> Diff:
        return diff(self.submission(body_id, old), self.submission(body_id, new), old, new)

    def original(self, body_id: int, number: int, actor: Actor = OFFICE) -> tuple[str, bytes]:
        """The file as uploaded (versions collected from a folder have none)."""
        with self._read() as con:
            row = con.execute(
                "SELECT f.name, f.data FROM submissions s JOIN files f ON f.sha256 = s.file_sha256"
                " WHERE s.body_id = ? AND s.year = ? AND s.version = ?",
                (body_id, self.year, number),
            ).fetchone()
        if row is None:
            raise SeasonError("not-found", f"第 {number} 版没有保存原始文件（由文件夹汇总存入）", "no-file")
        self._log_download(actor, "original", body_id=body_id, version=number)
        return row[0], row[1]

    def audit(self, limit: int | None = None) -> list[dict]:
        with self._read() as con:
            names = views.names(con)
            return [views.event_dict(e, names) for e in ledger.events(con, limit=limit)]

    def verify(self) -> ledger.Verified:
        with self._read() as con:
            return ledger.verify(con)

    # -- outputs ---------------------------------------------------------------------------------

    def summary(self, include_pending: bool = False):
        """The 汇总 as a collect result (approved versions; with `include_pending` also versions
        awaiting review without 错误)."""
        with self._read() as con:
            rows = views.board(con, self.year, self.today())
            return season_result(
                self.archive,
                con,
                rows,
                self.year,
                include_pending=include_pending,
                roster_used=self.roster_used,
                profile=self.profile,
            )

    def summary_workbook(self, include_pending: bool = False, actor: Actor = OFFICE) -> bytes:
        import tempfile

        result = self.summary(include_pending)
        with tempfile.TemporaryDirectory(prefix="xxgk-summary-") as tmp:
            out = Path(tmp) / "汇总.xlsx"
            write_collect_workbook(result, out)
            data = out.read_bytes()
        self._log_download(actor, "summary", include_pending=include_pending)
        return data

    def write_summary(
        self,
        out: str | Path,
        *,
        include_pending: bool = False,
        json: str | Path | None = None,
        aggregate: str | Path | None = None,
        as_name: str | None = None,
        as_type: str | None = None,
        actor: Actor = COMMAND,
    ) -> list[str]:
        """The 汇总 workbook (and ``--json``, ``--aggregate``) written from the approved versions,
        as ``collect`` writes them; returns what to tell the user."""
        result = self.summary(include_pending)
        lines = write_outputs(result, out, json=json, aggregate=aggregate, as_name=as_name, as_type=as_type)
        self._log_download(actor, "summary", include_pending=include_pending)
        counted = sum(1 for b in result.bodies if b.included)
        pending = "（含待审核且无错误的版本）" if include_pending else ""
        return [f"{self.year} 年度：{len(result.bodies)} 个单位，{counted} 个计入汇总{pending}", *lines]

    def body_ids(self, names: Sequence[str]) -> list[int]:
        """The roster bodies with these names (as ``collect`` compares names)."""
        with self._read() as con:
            rows = self._roster_rows(con)
        by_key = {r.identity.key: r.id for r in rows}
        missing = [n for n in names if name_key(n) not in by_key]
        if missing:
            raise SeasonError("not-found", f"名单中没有：{'、'.join(missing)}", "no-such-body")
        return [by_key[name_key(n)] for n in names]

    def reminders(self) -> list[ReminderLine]:
        out = []
        for row in self.board():
            if not row.body.on_roster or row.status not in (views.UNSUBMITTED, RETURNED):
                continue
            latest = row.latest
            status = "未报送" if latest is None else "已退回，未重新报送"
            if row.overdue_days:
                status += f"（逾期 {row.overdue_days} 天）"
            out.append(
                ReminderLine(
                    row.name,
                    status,
                    row.body.deadline.isoformat() if row.body.deadline else "",
                    row.overdue_days,
                    f"第 {latest.number} 版（{latest.received_at[:10]}）" if latest else "",
                    latest.reason if latest else "",
                    row.body.contact,
                    row.body.phone,
                )
            )
        return out

    def reminders_workbook(self, actor: Actor = OFFICE) -> bytes:
        data = reminders_workbook(self.reminders(), self.year, self.today().isoformat())
        self._log_download(actor, "reminders")
        return data

    def _log_download(self, actor: Actor, what: str, **detail) -> None:
        body_id = detail.pop("body_id", None)
        version = detail.pop("version", None)
        with self.archive.write() as con:
            ledger.append(con, actor, "download", body_id=body_id, version=version, detail={"what": what, **detail})


def _season_year(con, year: int | None, today: dt.date) -> int:
    row = con.execute("SELECT value FROM meta WHERE key = 'season_year'").fetchone()
    stored = int(row[0]) if row else None
    if year is None:
        if stored is not None:
            return stored
        latest = con.execute("SELECT MAX(year) FROM submissions").fetchone()[0]
        year = latest if latest is not None else today.year - 1
    if year != stored:
        con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('season_year', ?)", (str(year),))
        ledger.append(con, Actor("system"), "season", detail={"year": year, "before": stored})
    return year


def _now() -> str:
    return now()


def _shown(value: object) -> str:
    return "空白" if value is None else str(value)


def _mismatch(report: Identity, body: Identity) -> str:
    name = report.name or "（未填写机关名称）"
    if report.key == body.key:
        return f"报告中的单位“{name}”与报送码所属单位“{body.name}”的统一社会信用代码或行政区划代码不一致，未接收"
    return f"这是“{name}”的报告，报送码属于“{body.name}”：只能报送本单位的报告，未接收"


def _notes(before: list[views.VersionInfo], stored: versions.Stored) -> list[str]:
    notes = []
    approved = [v.number for v in before if v.review == APPROVED]
    if approved:
        notes.append(
            f"第 {approved[-1]} 版已通过；本次上传为第 {stored.version} 版，等待审核"
            f"（审核通过前，汇总仍使用第 {approved[-1]} 版）"
        )
    if before and before[-1].content_hash == stored.content_hash:
        notes.append(f"内容与第 {before[-1].number} 版相同")
    return notes


def _unusable(exc: UnusableInput, path: Path, display: str) -> dict:
    message = str(exc).replace(str(path), display).replace(path.name, display)
    return {"code": exc.code, "message": message}
