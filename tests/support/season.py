"""The 收报 season in tests: reports of named bodies, a roster, a board app, codes read back
from the printed list, and an archive as the first releases wrote it (structure version 1)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path

import openpyxl
from starlette.testclient import TestClient

from validator.serve.app import Config, create_app

from support.inbox import put

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_JSON = ROOT / "examples" / "fenxi-zfb_2023.json"
BODIES = ("汾西县人民政府办公室", "汾西县教育局", "汾西县财政局")
TOKEN = "office-token-for-tests"
OFFICE = {"authorization": f"Bearer {TOKEN}"}


def report(name: str = BODIES[0], *, year: int = 2023, error: bool = False, **cells) -> dict:
    """The example report (which passes) as `name`'s; `error` adds one to 表三!J4 (one located 错误);
    `cells` set dotted keys (``applications__new__total=5``)."""
    data = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    data["body"]["name"] = name
    data["year"] = year
    if year != 2023:
        data["published_on"] = f"{year + 1}-01-20"
    if error:
        data["applications"]["new"]["total"] += 1
    for key, value in cells.items():
        put(data, key.replace("__", "."), value)
    return data


def as_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def write_roster(path: Path, names=BODIES, deadline: str = "", contacts: bool = False) -> Path:
    header = "机关名称,机关类型" + (",报送截止日期" if deadline else "") + (",联系人,联系电话" if contacts else "")
    lines = [header]
    for n, name in enumerate(names):
        row = f"{name},部门" + (f",{deadline}" if deadline else "")
        if contacts:
            row += f",联系人{n},0357-00{n:02d}"
        lines.append(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def board(
    tmp_path: Path, *, names=BODIES, deadline: str = "", contacts: bool = False, **config
) -> tuple[TestClient, Path]:
    roster = write_roster(tmp_path / "名单.csv", names, deadline, contacts)
    db = tmp_path / "年报.sqlite"
    app = create_app(Config(db=db, roster=roster, year=2023, token=TOKEN, **config))
    return TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False), db


def codes_of(xlsx: bytes) -> dict[str, str]:
    """{单位: 报送码} from the printed list."""
    ws = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in ws[3]]
    assert header == ["单位", "报送码", "报送网址"], header
    return {row[0]: row[1] for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}


def issue(client: TestClient) -> dict[str, str]:
    response = client.post("/api/codes", headers=OFFICE)
    assert response.status_code == 200, response.text
    return codes_of(response.content)


def submit(client: TestClient, code: str, data: dict | bytes, name: str = "年报.json"):
    content = data if isinstance(data, bytes) else as_bytes(data)
    return client.post("/api/submissions", files={"file": (name, content)}, headers={"x-xxgk-code": code})


def board_rows(client: TestClient) -> dict[str, dict]:
    response = client.get("/api/board", headers=OFFICE)
    assert response.status_code == 200, response.text
    return {row["name"]: row for row in response.json()}


def v1_archive(db: Path, reports: list[tuple[dict, str]]) -> None:
    """An archive exactly as structure version 1 wrote it: one row per (report, source file),
    figures as its rows, ``user_version`` 1."""
    from validator.collect import schema as archive
    from validator.collect.inbox import canonical, content_hash, figures_of, identity_of
    from validator.jsonio import dump_model, read_json_bytes, report_to_model

    con = sqlite3.connect(db)
    con.executescript(archive.V1_SCHEMA)
    con.execute(f"PRAGMA application_id={archive.APPLICATION_ID}")
    con.execute("PRAGMA user_version=1")
    for n, (data, source) in enumerate(reports):
        sub = read_json_bytes(as_bytes(data), source)
        ident = identity_of(sub)
        text = dump_model(report_to_model(sub, None)).decode("utf-8")
        at = (dt.datetime(2024, 1, 10) + dt.timedelta(hours=n)).isoformat()
        cur = con.execute(
            "INSERT INTO submissions (content_hash, format, year, body_name, body_key, body_type, region_code,"
            " credit_code, status, errors, warnings, source_file, received_at, archived_at, json)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                content_hash(canonical(sub)[0]),
                sub.format.id,
                data["year"],
                ident.name,
                ident.key,
                ident.type,
                ident.region_code or None,
                ident.credit_code or None,
                "逾期" if n == 0 else "通过",
                0,
                0,
                source,
                at,
                at,
                text,
            ),
        )
        figures = [(k, format(v, "f") if not isinstance(v, int) else v) for k, v in figures_of(sub)[0].items()]
        con.executemany(
            "INSERT INTO figures (submission_id, key, value) VALUES (?,?,?)",
            [(cur.lastrowid, k, v) for k, v in figures],
        )
    con.commit()
    con.close()


def copy_of(data: dict) -> dict:
    return copy.deepcopy(data)
