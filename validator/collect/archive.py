"""The archive (``--db 年报.sqlite``): every version of every body's report, the roster's bodies
and their 报送码, and the audit log; shared by ``xxgk collect --db`` and the 收报 board.

stdlib sqlite3 in WAL mode. Every write is one ``BEGIN IMMEDIATE`` transaction: a run that is
killed leaves nothing behind, and a second writer (another run, the board) waits for the first
(busy timeout) instead of failing or losing rows. Nothing is ever deleted or overwritten:
triggers refuse a DELETE and an UPDATE of a version's content, the figures, the files and the
log (:mod:`validator.collect.versions` says what a version is; :mod:`validator.collect.ledger`
chains the log so that ``xxgk archive verify`` proves it whole).

A file that is not our archive, or is damaged, is refused (exit code 2) after read-only checks
and before anything is written to it. An archive of structure version 1 (before versions and
the log) is migrated in one transaction on the first write; every row is kept.

``PRAGMA application_id`` = 0x78786B67 ("xxgk"), ``PRAGMA user_version`` = :data:`SCHEMA_VERSION`.
The tables are documented in ``docs/archive.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from validator.collect import ledger, versions
from validator.collect.bodies import BodyIndex, Identity
from validator.collect.inbox import Item, describe
from validator.collect.run import slim_last_year
from validator.collect.schema import (
    APPLICATION_ID,
    FIGURES,
    SCHEMA_VERSION,
    SUBMISSIONS,
    TRIGGERS,
    V2_INDEXES,
    V2_TABLES,
    statements,
)
from validator.collect.versions import migrate_v1
from validator.errors import UnusableInput
from validator.fileio import atomic_write, distinct_output
from validator.jsonio import read_json_bytes

if TYPE_CHECKING:
    from validator.collect.run import Body, CollectResult

BUSY_TIMEOUT_S = 300.0
_HEADER = b"SQLite format 3\x00"


def _refuse(path: Path, why: str) -> UnusableInput:
    return UnusableInput(f"{why}；数据库未被改动", where=path.name)


class Archive:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Archive:
        """Check the file read-only; nothing is written until the first write."""
        path = Path(path)
        try:
            if path.exists():
                if not path.is_file():
                    raise _refuse(path, "不是文件")
                with path.open("rb") as fh:
                    header = fh.read(len(_HEADER))
                if header and header != _HEADER:
                    raise _refuse(path, "不是 SQLite 数据库（可能已损坏或不是归档文件）")
                if header:
                    cls._check_existing(path)
            elif not path.parent.resolve().is_dir():
                raise UnusableInput("数据库所在的文件夹不存在", where=str(path))
        except OSError as exc:
            raise UnusableInput(f"无法读取数据库：{exc.strerror or exc}", where=path.name) from None
        return cls(path)

    @staticmethod
    def _check_existing(path: Path) -> None:
        try:
            con = _read_only(path)
        except sqlite3.Error as exc:
            raise _refuse(path, f"无法打开数据库（{exc}）") from None
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if app_id != APPLICATION_ID and tables:
                raise _refuse(path, "这是别的程序的 SQLite 数据库，不是本工具的归档")
            if version > SCHEMA_VERSION:
                raise _refuse(path, f"归档由更新版本的本工具创建（结构版本 {version}），请升级本工具")
            problems = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
            if problems != ["ok"]:
                raise _refuse(path, f"数据库已损坏（{'；'.join(problems)[:200]}）")
        except sqlite3.DatabaseError as exc:
            raise _refuse(path, _open_problem(path, exc)) from None
        finally:
            con.close()

    @property
    def exists(self) -> bool:
        try:
            return self.path.is_file() and self.path.stat().st_size > 0
        except OSError:
            return False

    # -- connections ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            # Structure version 1 is migrated by rebuilding its tables: with foreign keys on, dropping
            # the old table would cascade into the figures (PRAGMA foreign_keys is fixed once a
            # transaction starts, so it is decided here).
            version = con.execute("PRAGMA user_version").fetchone()[0]
            con.execute(f"PRAGMA foreign_keys={'ON' if version != 1 else 'OFF'}")
            con.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise UnusableInput(_write_problem(self.path, exc, "无法打开或写入数据库"), where=self.path.name) from None
        return con

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``); the structure is created or migrated first.
        On any error nothing of it stays; SQLite's own reason is kept (a full disk is named as such)."""
        con = self._connect()
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
                ensure_schema(con)
                yield con
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:  # SQLite may have rolled back already (a full disk does)
                    try:
                        con.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise
        except sqlite3.Error as exc:
            message = _write_problem(self.path, exc, "无法写入数据库")
            raise UnusableInput(f"{message}；本次没有写入任何记录", where=self.path.name) from None
        finally:
            con.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection | None]:
        """A read-only connection, or None when the archive has no tables yet."""
        if not self.exists:
            yield None
            return
        try:
            with self.path.open("rb") as fh:
                if fh.read(len(_HEADER)) != _HEADER:
                    raise _refuse(self.path, "不是 SQLite 数据库（可能已损坏或不是归档文件）")
        except OSError as exc:
            raise UnusableInput(f"无法读取数据库：{exc.strerror or exc}", where=self.path.name) from None
        try:
            con = _read_only(self.path)
        except sqlite3.Error as exc:
            raise _refuse(self.path, _open_problem(self.path, exc)) from None
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            yield con if "submissions" in tables else None
        except sqlite3.DatabaseError as exc:
            raise _refuse(self.path, f"数据库已损坏（{exc}）") from None
        finally:
            con.close()

    def schema_version(self) -> int:
        with self.read() as con:
            return con.execute("PRAGMA user_version").fetchone()[0] if con is not None else 0

    def backup(self, out: str | Path) -> None:
        """A consistent copy of the archive while others keep writing (SQLite's online backup API),
        written atomically; the copy is a complete archive (the board serves it unchanged)."""
        for name in (self.path, f"{self.path}-wal", f"{self.path}-shm"):
            distinct_output(out, name)
        if not self.exists:
            raise UnusableInput("归档不存在或是空的", where=self.path.name)
        try:
            atomic_write(out, lambda tmp: _backup_into(self.path, tmp))
        except sqlite3.Error as exc:
            raise UnusableInput(_write_problem(Path(out), exc, "无法写入备份"), where=Path(out).name) from None

    # -- collect --------------------------------------------------------------------------------

    def store(self, result: CollectResult, actor: str = "collect") -> int:
        """Archive the run's reports of the collect year as versions submitted by the office;
        returns how many were new (a content a body already has for that year is not stored again).

        Each version (its JSON text, its figures) is made as it is inserted: made all at once,
        10,000 submissions' rows took over 400 MB before the first insert."""
        added = 0
        with self.write() as con:
            bodies = versions.BodyTable(con)
            if result.roster_used:
                bodies.sync_roster([b.roster for b in result.bodies if b.roster is not None], actor)
            for body in result.bodies:
                items = sorted(body.versions, key=lambda i: (i.received, i.rel))
                if result.year is None or not items:
                    continue
                body_id = bodies.id_for(body.identity, actor)
                for item in items:
                    assert item.submission is not None and item.report is not None
                    if versions.has_content(con, body_id, result.year, item.digest):
                        continue
                    new = versions.NewVersion(
                        item.submission, item.report, item.rel, item.received, origin="office", digest=item.digest
                    )
                    versions.add_version(con, body_id, result.year, new, ledger.Actor(actor))
                    added += 1
                    _after_insert(added)
        return added

    def last_year_lookup(self, bodies: list[Body], year: int) -> dict[int, Item]:
        """Each body's current report for ``year`` (its approved version, else its latest), matched
        like the inbox. A version with 错误, or a row that cannot be read, is not used, and the
        body's note says why (a damaged row stops nothing). Rows are read one at a time: 10,000
        archived JSON texts held at once were some 150 MB."""
        index: BodyIndex[Body] = BodyIndex()
        position = {id(b): i for i, b in enumerate(bodies)}
        for body in bodies:
            index.add(body.identity, body)
        found: dict[int, Item] = {}
        with self.read() as con:
            if con is None:
                return {}
            rows = con.execute(
                "SELECT s.body_name, s.body_type, s.region_code, s.credit_code, b.name, b.type, b.region_code,"
                " b.credit_code, s.version, s.status, s.source_file, s.received_at, s.json"
                " FROM submissions s JOIN bodies b ON b.id = s.body_id WHERE s.year = ? AND s.current = 1",
                (year,),
            )
            for (
                name,
                body_type,
                region,
                credit,
                bname,
                btype,
                bregion,
                bcredit,
                n,
                status,
                source,
                received,
                text,
            ) in rows:
                match = index.find(Identity(bname, btype or "", bregion or "", bcredit or ""))
                if match is None:
                    match = index.find(Identity(name, body_type or "", region or "", credit or ""))
                if match is None or position[id(match)] in found:
                    continue
                if status == "有错误":
                    match.last_year_note = f"归档中 {year} 年度的现行报告（第 {n} 版）有错误，未做历年核对"
                    continue
                try:
                    found[position[id(match)]] = archived_item(source, received, text)
                except UnusableInput as exc:
                    match.last_year_note = (
                        f"归档（{self.path.name}）中 {year} 年度第 {n} 版无法读取（{exc}），未做历年核对；"
                        "请用 xxgk archive verify 检查归档"
                    )
        return found


def _read_only(path: Path) -> sqlite3.Connection:
    """Read-only; on a read-only medium (no ``-shm`` can be made) the file is opened as immutable
    when no write-ahead log is pending, so a healthy archive there is still read."""
    uri = path.resolve().as_uri()
    try:
        con = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        if _writable(path) or _has_wal(path):
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _has_wal(path: Path) -> bool:
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def _open_problem(path: Path, exc: sqlite3.Error) -> str:
    if isinstance(exc, sqlite3.OperationalError) and not _writable(path):
        return "无法打开数据库：文件或所在文件夹是只读的，或没有权限（数据库本身未见损坏）"
    return f"数据库已损坏（{exc}）"


def _write_problem(path: Path, exc: sqlite3.Error, head: str) -> str:
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        return "数据库所在磁盘已满"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN) or not _writable(path):
        return f"{head}：文件或所在文件夹是只读的，或没有权限"
    if code == sqlite3.SQLITE_BUSY:
        return f"{head}：另一个程序长时间占用数据库，请稍后再试"
    return f"{head}（{exc}）"


def ensure_schema(con: sqlite3.Connection) -> None:
    """Inside a write transaction: create the structure, or migrate version 1."""
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version == 0:
        for statement in statements(V2_TABLES + SUBMISSIONS.format(name="submissions") + ";" + V2_INDEXES + FIGURES):
            con.execute(statement)
        for statement in statements(TRIGGERS):
            con.execute(statement)
        con.execute(f"PRAGMA application_id={APPLICATION_ID}")
    elif version == 1:
        migrate_v1(con)
    con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _after_insert(count: int) -> None:
    """Called after each new version inside the open transaction (tests kill the run here)."""


def archived_item(source: str, received: str, text: str) -> Item:
    """An archived version as a last-year file: the few figures the 历年 rules read."""
    where = f"归档：{source}"
    item = Item(Path(source), where, dt.datetime.fromisoformat(received))
    item.submission = read_json_bytes(text.encode("utf-8"), where)
    describe(item, content=False)  # last year's figures only: no hash, no canonical form
    slim_last_year(item)
    return item


def _backup_into(path: Path, target: str) -> None:
    source = _read_only(path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            problems = [r[0] for r in copy.execute("PRAGMA quick_check(5)")]
            if problems != ["ok"]:
                raise UnusableInput(f"备份校验未通过（{'；'.join(problems)[:200]}）", where=path.name)
        finally:
            copy.close()
    finally:
        source.close()
