"""The archive (``--db 年报.sqlite``): every accepted submission, so next year checks itself.

stdlib sqlite3 in WAL mode. One run writes in one ``BEGIN IMMEDIATE`` transaction: a run that
is killed leaves nothing behind (SQLite rolls the transaction back), and a second run on the
same file waits for the first (busy timeout) instead of failing or losing rows. Rows are keyed
by the content hash, so re-running on the same files adds nothing.

A file that is not our archive, or is damaged, is refused (exit code 2) after read-only checks
and before anything is written to it.

Schema (``PRAGMA user_version`` = 1, ``application_id`` = 0x78786B67, "xxgk"):

- ``submissions(id, content_hash UNIQUE, format, year, body_name, body_key, body_type,
  region_code, credit_code, status, errors, warnings, source_file, received_at, archived_at, json)``
- ``figures(submission_id → submissions.id, key, value)``: one row per figure; ``value`` is an
  INTEGER for counts and exact decimal TEXT for amounts in 万元.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from validator.collect.bodies import BodyIndex, Identity, name_key
from validator.collect.inbox import Item, describe
from validator.collect.run import Body, CollectResult, slim_last_year
from validator.errors import UnusableInput

APPLICATION_ID = 0x78786B67
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 300.0
_HEADER = b"SQLite format 3\x00"
SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    format TEXT NOT NULL,
    year INTEGER,
    body_name TEXT NOT NULL,
    body_key TEXT NOT NULL,
    body_type TEXT,
    region_code TEXT,
    credit_code TEXT,
    status TEXT NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    source_file TEXT NOT NULL,
    received_at TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_year_body ON submissions(year, body_key);
CREATE TABLE IF NOT EXISTS figures (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value NOT NULL,
    PRIMARY KEY (submission_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS figures_key ON figures(key);
"""


def _refuse(path: Path, why: str) -> UnusableInput:
    return UnusableInput(f"{why}；数据库未被改动", where=str(path))


class Archive:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Archive:
        """Check the file read-only; nothing is written until :meth:`store`."""
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
            raise UnusableInput(f"无法读取数据库：{exc.strerror or exc}", where=str(path)) from None
        return cls(path)

    @staticmethod
    def _check_existing(path: Path) -> None:
        try:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
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
            raise _refuse(path, f"数据库已损坏（{exc}）") from None
        finally:
            con.close()

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise UnusableInput(f"无法打开或写入数据库（{exc}）", where=str(self.path)) from None
        return con

    def store(self, result: CollectResult) -> int:
        """Archive every submission counted in the 汇总; returns how many were new.

        Each row (its JSON text, its figures) is made as it is inserted: made all at once,
        10,000 submissions' rows took over 400 MB before the first insert."""
        rows = (_row(body, result) for body in result.bodies if body.included)
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                if con.execute("PRAGMA user_version").fetchone()[0] == 0:
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            con.execute(statement)
                    con.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                added = 0
                for submission, figures in rows:
                    cur = con.execute(
                        "INSERT OR IGNORE INTO submissions (content_hash, format, year, body_name, body_key, body_type,"
                        " region_code, credit_code, status, errors, warnings, source_file, received_at, archived_at,"
                        " json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        submission,
                    )
                    if cur.rowcount == 1:
                        added += 1
                        con.executemany(
                            "INSERT INTO figures (submission_id, key, value) VALUES (?,?,?)",
                            [(cur.lastrowid, k, v) for k, v in figures],
                        )
                        _after_insert(added)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return added
        except sqlite3.Error as exc:
            raise UnusableInput(f"无法写入数据库（{exc}）；本次没有写入任何记录", where=str(self.path)) from None
        finally:
            con.close()

    def last_year_lookup(self, bodies: list[Body], year: int) -> dict[int, Item]:
        """Each body's newest archived submission for ``year``, matched like the inbox. Rows are
        read one at a time: 10,000 archived JSON texts held at once were some 150 MB."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return {}
        index: BodyIndex[Body] = BodyIndex()
        position = {id(b): i for i, b in enumerate(bodies)}
        for body in bodies:
            index.add(body.identity, body)
        found: dict[int, Item] = {}
        con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "submissions" not in tables:
                return {}
            rows = con.execute(
                "SELECT body_name, body_type, region_code, credit_code, source_file, received_at, json"
                " FROM submissions WHERE year = ? ORDER BY id DESC",
                (year,),
            )
            for name, body_type, region, credit, source, received, text in rows:
                match = index.find(Identity(name, body_type or "", region or "", credit or ""))
                if match is None or position[id(match)] in found:
                    continue
                found[position[id(match)]] = _archived_item(source, received, text)
        except sqlite3.DatabaseError as exc:
            raise _refuse(self.path, f"数据库已损坏（{exc}）") from None
        finally:
            con.close()
        return found


def _after_insert(count: int) -> None:
    """Called after each new submission inside the open transaction (tests kill the run here)."""


def _archived_item(source: str, received: str, text: str) -> Item:
    from validator.jsonio import read_json_bytes

    where = f"归档：{source}"
    item = Item(Path(source), where, dt.datetime.fromisoformat(received))
    item.submission = read_json_bytes(text.encode("utf-8"), where)
    describe(item, content=False)  # last year's figures only: no hash, no canonical form
    slim_last_year(item)
    return item


def _row(body: Body, result: CollectResult) -> tuple[tuple[object, ...], list[tuple[str, object]]]:
    from validator.jsonio import dump_model, report_to_model

    item = body.submission
    assert item is not None and item.report is not None and item.submission is not None
    ident = item.identity
    assert ident is not None
    text = dump_model(report_to_model(item.submission, item.report)).decode("utf-8")
    now = dt.datetime.now().isoformat(timespec="seconds")
    submission = (
        item.digest,
        item.submission.format.id,
        item.year,
        ident.name,
        name_key(ident.name),
        ident.type or None,
        ident.region_code or None,
        ident.credit_code or None,
        body.status,
        len(item.report.errors),
        len(item.report.warnings),
        item.rel,
        item.received.isoformat(timespec="seconds"),
        now,
        text,
    )
    figures: list[tuple[str, object]] = [
        (k, format(v, "f") if not isinstance(v, int) else v)
        for k, v in item.figures.items()
        if not k.startswith("last_year.")
    ]
    return submission, figures
