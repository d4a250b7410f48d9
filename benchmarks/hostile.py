"""Timings for the hostile inputs of tests/test_hostile.py: print figures, assert nothing.

    uv run python benchmarks/hostile.py

The tests bound the work these files cause by instrumentation (refused before openpyxl runs,
rows parsed counted) and bound memory; how long that takes depends on the machine, so it is
measured here, by people, not asserted in CI. Each case runs ``xxgk check`` in a child process
(wall time and peak memory of the child) on a file built in a temporary folder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from validator.workbook import read as wbread  # noqa: E402

from support.hostile_files import (  # noqa: E402
    FENXI,
    MB,
    SOURCE_JSON,
    million_rows,
    rebuild,
    run_measured,
    shared_strings,
    sheet_bomb,
    worksheet_part,
)


def _timed(label: str, path: Path, tmp: Path) -> None:
    start = time.perf_counter()
    m = run_measured("check", path, tmp_path=tmp)
    seconds = time.perf_counter() - start
    print(
        f"{label}: {path.stat().st_size / MB:.1f} MB file, exit {m.code}, {seconds:.2f} s, peak {m.max_rss_mb:.0f} MB",
        flush=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        _timed("example workbook (floor)", FENXI, tmp)

        start = time.perf_counter()
        bomb = sheet_bomb(tmp / "bomb.xlsx")
        print(f"2 GB sheet built in {time.perf_counter() - start:.2f} s")
        _timed("2 GB sheet (zip bomb)", bomb, tmp)

        for sheet, dimension in (("表三", True), ("校验结果", True), ("校验结果", False)):
            path = rebuild(FENXI, tmp / "rows.xlsx", {worksheet_part(sheet): million_rows(sheet, dimension)})
            _timed(f"{sheet} +1,000,000 rows, <dimension> {'kept' if dimension else 'removed'}", path, tmp)

        count = 3_000_000
        path = shared_strings(tmp, "sst.xlsx", b"".join(b"<si><t>%x</t></si>" % i for i in range(count)))
        _timed(f"{count:,} shared strings (limit {wbread.MAX_SHARED_STRINGS:,})", path, tmp)

        path = tmp / "big.json"
        with path.open("wb") as fh:
            fh.write(b'{"format": "gb-2021-30", "narrative": {"overview": "')
            block = "很长的文字".encode() * (MB // 15)
            for _ in range(100):
                fh.write(block)
            fh.write(b'"}}')
        _timed("100 MB JSON", path, tmp)

        doc = json.loads(SOURCE_JSON.read_text("utf-8"))
        doc["explanations"] = [{"rule": f"R{i}", "cells": [], "text": ""} for i in range(1_000_000)]
        path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        _timed("JSON with 1,000,000 explanations", path, tmp)


if __name__ == "__main__":
    main()
