"""VBA project benchmarks: print figures, assert nothing (tests bound the work instead).

    uv run python benchmarks/bench_vba.py

The floor is ``zlib.compress`` of the same bytes (C, the same LZ77 family), measured in the
same run; our compressor is pure Python, so it is judged by the time an Excel user would wait
(it runs once per ``xxgk template`` / ``xxgk excel-setup``), not by the ratio.
"""

from __future__ import annotations

import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(call: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import xlwings

    from addin.build import xlsm_bytes
    from addin.ovba.compression import compress
    from validator.formats import get_format

    data = Path(xlwings.__file__).with_name("xlwings.bas").read_bytes()
    ours = _median_ms(lambda: compress(data))
    floor = _median_ms(lambda: zlib.compress(data, 9))
    print(
        f"compress xlwings.bas ({len(data):,} bytes -> {len(compress(data)):,}): {ours:.1f} ms; "
        f"floor (zlib level 9, C): {floor:.2f} ms"
    )
    fmt = get_format()
    print(f"whole .xlsm template (workbook + VBA project): {_median_ms(lambda: xlsm_bytes(fmt), runs=3):.0f} ms")


if __name__ == "__main__":
    main()
