"""The archive's structure (SQL) and the small helpers the modules writing it share."""

from __future__ import annotations

import datetime as dt
import sqlite3

APPLICATION_ID = 0x78786B67
SCHEMA_VERSION = 2

V1_SCHEMA = """
CREATE TABLE submissions (
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
CREATE INDEX submissions_year_body ON submissions(year, body_key);
CREATE TABLE figures (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value NOT NULL,
    PRIMARY KEY (submission_id, key)
) WITHOUT ROWID;
CREATE INDEX figures_key ON figures(key);
"""
"""Structure version 1, as the first releases wrote it (kept to test the migration)."""

SUBMISSIONS = """
CREATE TABLE {name} (
    id INTEGER PRIMARY KEY,
    body_id INTEGER NOT NULL REFERENCES bodies(id),
    year INTEGER,
    version INTEGER NOT NULL,
    review TEXT NOT NULL,
    current INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    format TEXT NOT NULL,
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
    json TEXT NOT NULL,
    report TEXT,
    file_sha256 TEXT REFERENCES files(sha256),
    UNIQUE (body_id, year, version)
)"""

V2_TABLES = """
CREATE TABLE bodies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT,
    region_code TEXT,
    credit_code TEXT,
    on_roster INTEGER NOT NULL DEFAULT 0,
    roster_row INTEGER,
    deadline TEXT,
    contact TEXT,
    phone TEXT,
    code_handle TEXT UNIQUE,
    code_salt BLOB,
    code_hash BLOB,
    code_issued_at TEXT,
    added_at TEXT NOT NULL
);
CREATE INDEX bodies_key ON bodies(key);
CREATE TABLE files (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    body_id INTEGER,
    submission_id INTEGER,
    version INTEGER,
    content_hash TEXT,
    detail TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX events_body ON events(body_id);
CREATE INDEX events_submission ON events(submission_id);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

V2_INDEXES = """
CREATE INDEX submissions_year_body ON submissions(year, body_key);
CREATE INDEX submissions_body_year ON submissions(body_id, year, version);
CREATE UNIQUE INDEX submissions_current ON submissions(body_id, year) WHERE current = 1;
CREATE INDEX submissions_hash ON submissions(content_hash);
"""

FIGURES = """
CREATE TABLE figures (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    key TEXT NOT NULL,
    value NOT NULL,
    PRIMARY KEY (submission_id, key)
) WITHOUT ROWID;
CREATE INDEX figures_key ON figures(key);
"""

_KEPT = "SELECT RAISE(ABORT, 'xxgk: the archive keeps every row; nothing is deleted or overwritten')"
TRIGGERS = f"""
CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions BEGIN {_KEPT}; END;
CREATE TRIGGER submissions_fixed BEFORE UPDATE OF id, body_id, year, version, origin, content_hash, format,
    body_name, body_key, body_type, region_code, credit_code, status, errors, warnings, source_file, received_at,
    archived_at, json, report, file_sha256 ON submissions BEGIN {_KEPT}; END;
CREATE TRIGGER figures_no_delete BEFORE DELETE ON figures BEGIN {_KEPT}; END;
CREATE TRIGGER figures_fixed BEFORE UPDATE ON figures BEGIN {_KEPT}; END;
CREATE TRIGGER files_no_delete BEFORE DELETE ON files BEGIN {_KEPT}; END;
CREATE TRIGGER files_fixed BEFORE UPDATE ON files BEGIN {_KEPT}; END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN {_KEPT}; END;
CREATE TRIGGER events_fixed BEFORE UPDATE ON events BEGIN {_KEPT}; END;
"""
"""Refusals inside the database itself: a version's review state and its ``current`` mark may
change (each change is logged); its content, figures, file and the log may not."""


def statements(script: str) -> list[str]:
    """A script's statements (triggers hold ``;`` inside BEGIN … END)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return [s for s in out if s]


def now() -> str:
    """Local time to the second, as every archive timestamp is written."""
    return dt.datetime.now().isoformat(timespec="seconds")
