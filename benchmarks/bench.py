"""Benchmarks: print figures, assert nothing (speed targets are judged by people, not tests).

    uv run python benchmarks/bench.py

Each figure is reported with a floor measured in the same run on the same machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "fenxi-zfb_2023.xlsx"
JSON = ROOT / "examples" / "fenxi-zfb_2023.json"


def _median_seconds(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    py = sys.executable
    floor = _median_seconds([py, "-c", f"import openpyxl; openpyxl.load_workbook({str(EXAMPLE)!r})"])
    check = _median_seconds([py, "-m", "validator", "check", str(EXAMPLE)])
    print(
        f"xxgk check example (whole process): {check * 1000:.0f} ms; "
        f"floor (python + openpyxl.load_workbook): {floor * 1000:.0f} ms; ratio {check / floor:.2f}x"
    )

    floor = _median_seconds([py, "-c", "import xlwings"])
    entry = _median_seconds([py, "-c", "import xlwings, addin.button, addin.excel"])
    print(
        f"Excel button entry import (xlwings + addin.button + addin.excel): {entry * 1000:.0f} ms; "
        f"floor (python -c 'import xlwings'): {floor * 1000:.0f} ms; +{(entry - floor) * 1000:.0f} ms"
    )

    sys.path.insert(0, str(ROOT))
    from validator.engine import validate
    from validator.readers.xlsx import read_grids
    from validator.workbook.grids import submission_from_grids

    fmt, grids = read_grids(EXAMPLE)
    runs = []
    for _ in range(50):
        start = time.perf_counter()
        validate(submission_from_grids(fmt, grids, EXAMPLE.name))
        runs.append(time.perf_counter() - start)
    print(
        f"validation of the example from its sheet values (what the button does after reading): "
        f"{statistics.median(runs) * 1000:.1f} ms"
    )
    from validator.jsonio import read_json_bytes

    data = JSON.read_bytes()
    n = 2000
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(n):
        report = validate(read_json_bytes(data))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert report.valid
    print(
        f"JSON submissions checked in one process (read as check reads them + all rules): {n / elapsed:.0f} per second, "
        f"{n / cpu:.0f} per CPU-second (on a shared machine the CPU figure says more)"
    )

    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reports = 10_000
    summary = {"valid": 0, "errors": 0}
    for _ in range(reports):  # what a receiving office keeps: the verdicts, not the submissions
        report = validate(read_json_bytes(data))
        summary["valid"] += report.valid
        summary["errors"] += len(report.errors)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"peak memory after checking {reports} JSON submissions in one process: {peak / 1024:.0f} MB "
        f"(was {before / 1024:.0f} MB before the loop; {summary['valid']} valid)"
    )


if __name__ == "__main__":
    main()
