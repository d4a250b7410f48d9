"""Benchmark: one upload on the 收报 board (POST → judged → stored with its log event → on the
board), with 10 and with 2,000 bodies already in the archive.

    uv run python benchmarks/board.py [--bodies 10 2000] [--runs 15]

For each archive size: a roster of that many bodies, each with a code and one version this year
and its current version last year (so an upload's cross-year lookup has something to find), then
`runs` uploads by one body on a real uvicorn (127.0.0.1). Prints medians of:

- upload: ``POST /api/submissions`` until its 201 (read, checked against last year, stored);
- own status: ``GET /api/submissions/mine`` (what the body sees next);
- the board: ``GET /api/board`` (one row per body: grows with the roster by nature), measured
  apart from the uploads;
- in-process ``Season.submit`` (no HTTP), the service's own cost, wall and CPU time (CPU time
  moves less when the machine is shared).

The cost of an upload must not grow with the archive; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from validator import api  # noqa: E402
from validator.collect import versions  # noqa: E402
from validator.collect.bodies import Identity  # noqa: E402
from validator.collect.ledger import Actor  # noqa: E402
from validator.engine import validate  # noqa: E402
from validator.jsonio import read_json_bytes  # noqa: E402
from validator.serve.app import Config, create_app  # noqa: E402

EXAMPLE = json.loads((ROOT / "examples" / "fenxi-zfb_2023.json").read_text(encoding="utf-8"))
TOKEN = "benchmark"


def report(name: str, year: int, bump: int = 0) -> bytes:
    data = json.loads(json.dumps(EXAMPLE))
    data["body"]["name"] = name
    data["year"] = year
    data["published_on"] = f"{year + 1}-01-20"
    data["proactive"]["normative_documents"]["in_force"] += bump
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def fill(folder: Path, bodies: int) -> tuple[Path, str]:
    """An archive of `bodies` bodies with codes, a version each this year and last year."""
    names = [f"某县第{n:04d}局" for n in range(bodies)]
    roster = folder / "名单.csv"
    roster.write_text("机关名称,机关类型\n" + "".join(f"{n},部门\n" for n in names), encoding="utf-8")
    db = folder / "年报.sqlite"
    season = api.open_season(db, roster=roster, year=2023)
    issued = season.issue_codes("missing")
    first = read_json_bytes(report(names[0], 2023), "x")
    judged = validate(first)  # the same verdict for every body's copy: judged once to fill quickly
    actor = Actor("collect")
    with season.archive.write() as con:
        table = versions.BodyTable(con)
        for name in names:
            body_id = table.id_for(Identity(name, "部门"))
            for year in (2022, 2023):
                sub = read_json_bytes(report(name, year), f"{name}{year}.json")
                new = versions.NewVersion(sub, judged, f"{name}{year}.json", dt.datetime.now(), origin="office")
                versions.add_version(con, body_id, year, new, actor)
    import sqlite3

    with sqlite3.connect(db) as con:  # the filling's write-ahead log folded in, as a running board has it
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, issued.lines[0].code


def serve(db: Path):
    server = uvicorn.Server(
        uvicorn.Config(create_app(Config(db=db, year=2023, token=TOKEN)), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure(bodies: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="xxgk-board-bench-") as tmp:
        folder = Path(tmp)
        db, code = fill(folder, bodies)
        name = "某县第0000局"
        server, thread, url = serve(db)
        out: dict[str, list[float]] = {
            "upload": [],
            "own status": [],
            "the board": [],
            "in-process submit": [],
            "in-process submit CPU": [],
        }
        try:
            with httpx.Client(base_url=url, timeout=300) as c:
                c.get("/api/submissions/mine", headers={"x-xxgk-code": code})  # the code's hash, once
                for n in range(runs):
                    files = {"file": ("年报.json", report(name, 2023, bump=n + 1))}
                    start = time.perf_counter()
                    response = c.post("/api/submissions", files=files, headers={"x-xxgk-code": code})
                    out["upload"].append(time.perf_counter() - start)
                    assert response.status_code == 201, response.text
                    start = time.perf_counter()
                    mine = c.get("/api/submissions/mine", headers={"x-xxgk-code": code}).json()
                    out["own status"].append(time.perf_counter() - start)
                    assert mine["version"] == response.json()["version"]
                for _ in range(runs):  # apart: listing every body between two uploads would be a different load
                    start = time.perf_counter()
                    rows = c.get("/api/board", headers={"authorization": f"Bearer {TOKEN}"}).json()
                    out["the board"].append(time.perf_counter() - start)
                    assert len(rows) == bodies
        finally:
            server.should_exit = True
            thread.join()
        season = api.open_season(db)
        body_id = next(r.id for r in season.board() if r.name == name)
        for n in range(runs):
            path = folder / "in.json"
            path.write_bytes(report(name, 2023, bump=100 + n))
            start, cpu = time.perf_counter(), time.process_time()
            season.submit(body_id, path, "in.json", Actor("body", body_id))
            out["in-process submit"].append(time.perf_counter() - start)
            out["in-process submit CPU"].append(time.process_time() - cpu)
        size = db.stat().st_size
    return {k: median_ms(v) for k, v in out.items()} | {"archive MB": size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", type=int, nargs="+", default=[10, 2000])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = {n: measure(n, args.runs) for n in args.bodies}
    keys = list(next(iter(results.values())))
    print(f"{'median (ms)':<22}" + "".join(f"{f'{n} bodies':>14}" for n in results))
    for key in keys:
        print(f"{key:<22}" + "".join(f"{results[n][key]:>14.1f}" for n in results))


if __name__ == "__main__":
    main()
