"""Benchmark of ``xxgk collect``: prints figures, asserts nothing (no timed tests).

    uv run python benchmarks/collect.py [--json N] [--workbooks M] [--source DIR] [--compare DIR] [--repeat R]

1. N JSON submissions (default 10,000; distinct bodies, all from the example report), collected end
   to end in a fresh process: read, check, 汇总, write the 汇总 workbook and the result JSON. Once
   without and once with cross-year (``--last-year`` folder of N last-year files). Peak memory is
   the child's maximum resident set size; CPU is the child's user + system time (both its own,
   from ``wait4``; on a shared
   machine wall time says more about the neighbours than about us). ``--source DIR`` runs the
   child from another checkout's ``validator/`` (e.g. ``git archive OLD validator | tar -x -C DIR``)
   for a before/after comparison under the same load. The child imports from a warm bytecode
   cache (``PYTHONPYCACHEPREFIX`` in the work folder, filled by a first small run), as every run
   after the first does on a user's machine; with ``PYTHONDONTWRITEBYTECODE`` set, as on some
   CI machines, every run would otherwise compile ~130 modules first (~0.4 s).
2. M workbook submissions (default 40) against the floor of opening each of them with openpyxl
   in read-only mode and reading their values, measured in the same run, and against the same
   collect with the fast workbook reader switched off (openpyxl reads every file, as before it),
   and with the fast reader forgetting before each file what openpyxl said of its parts.
3. With ``--instructions K`` (valgrind installed): the instructions each JSON submission costs in
   both configurations of 1., counted by valgrind's callgrind over K submissions less a run of
   2 (start-up and imports). A count, not a time: a busy neighbour on a shared machine changes
   CPU seconds by half, the count by a fraction of a percent, so before/after (``--compare``)
   is told apart reliably. Instructions are not seconds (a C parser does more per instruction
   than the interpreter), so 1. still gives the speed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_JSON = ROOT / "examples" / "fenxi-zfb_2023.json"


def _report(i: int, year: int) -> dict:
    data = copy.deepcopy(json.loads(EXAMPLE_JSON.read_text(encoding="utf-8")))
    data["body"]["name"] = f"第{i:05d}号单位"
    data["year"] = year
    data["published_on"] = f"{year + 1}-01-20"
    data["validation"] = None
    return data


def _write_inbox(folder: Path, n: int, year: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"{i:05d}.json").write_text(json.dumps(_report(i, year), ensure_ascii=False), encoding="utf-8")


def _child_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def _run_child(args: list[str], source: Path, work: Path) -> tuple[float, float, float, int]:
    """Seconds, CPU seconds, peak RSS (MB) and exit code of one ``xxgk collect`` process (its
    own resource usage, from ``wait4``)."""
    start = time.perf_counter()
    with open(work / "child-stderr.txt", "w+b") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "validator", "collect", *args, "--quiet"],
            cwd=source,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=_child_env(work),
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if rc not in (0, 1):
            err.seek(0)
            print(err.read().decode("utf-8", "replace"), file=sys.stderr)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, rc


def bench_json(n: int, work: Path, sources: list[Path], repeat: int = 1) -> None:
    """Each configuration `repeat` times per source, the sources taking turns (a neighbour's
    load hits both alike); the least CPU of each is reported, with the largest peak memory."""
    inbox, last = work / "inbox", work / "last"
    _write_inbox(inbox, n, 2023)
    _write_inbox(last, n, 2022)
    warm = work / "warm"
    _write_inbox(warm, 2, 2023)
    for source in sources:
        _run_child(
            [str(warm), "-o", str(work / "w.xlsx"), "--json", str(work / "w.json"), "--last-year", str(warm)],
            source,
            work,
        )
    configs = [
        ("end to end (read, check, 汇总, 汇总.xlsx, result JSON)", [str(inbox), "--json", str(work / "r.json")]),
        (f"+ {n:,} last-year files (cross-year)", [str(inbox), "--last-year", str(last)]),
    ]
    for label, args in configs:
        best: dict[Path, tuple[float, float, float, int]] = {}
        cpus: dict[Path, list[float]] = {s: [] for s in sources}
        peaks: dict[Path, float] = {s: 0.0 for s in sources}
        for _ in range(repeat):
            for source in sources:
                run = _run_child([*args, "-o", str(work / f"s{sources.index(source)}.xlsx")], source, work)
                cpus[source].append(run[1])
                peaks[source] = max(peaks[source], run[2])
                if source not in best or run[1] < best[source][1]:
                    best[source] = run
        for source in sources:
            seconds, cpu, _, rc = best[source]
            peak = peaks[source]
            name = "" if source == ROOT else f" [{source}]"
            runs = ", ".join(f"{c:.1f}" for c in cpus[source])
            print(
                f"{n:,} JSON submissions {label}{name}: {seconds:.1f} s ({n / seconds:,.0f}/s), CPU {cpu:.1f} s "
                f"({n / cpu:,.0f} submissions per CPU-second; CPU of each run: {runs} s), "
                f"peak RSS {peak:,.0f} MB (exit {rc})"
            )
    for i, source in enumerate(sources):
        name = "" if source == ROOT else f" [{source}]"
        print(f"  汇总.xlsx{name}: {(work / f's{i}.xlsx').stat().st_size / 1024 / 1024:.1f} MB")


def bench_workbooks(m: int, work: Path, repeat: int = 1) -> None:
    sys.path.insert(0, str(ROOT))
    import openpyxl

    from validator.cli.program import main as xxgk

    inbox = work / "wb-inbox"
    inbox.mkdir()
    for i in range(m):
        src = work / f"wb{i}.json"
        src.write_text(json.dumps(_report(i, 2023), ensure_ascii=False), encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()):
            xxgk(["fill", str(src), "-o", str(inbox / f"{i:03d}.xlsx")])
    files = sorted(inbox.iterdir())
    from validator import accel
    from validator.collect.run import Options, collect
    from validator.readers.xlsx import fast as fastread

    floors, runs, plain_runs, cold_runs = [], [], [], []
    for _ in range(repeat):  # taking turns; the least of each is shown
        start, cpu_start = time.perf_counter(), time.process_time()
        for path in files:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            for ws in wb.worksheets:
                for _row in ws.iter_rows(values_only=True):
                    pass
            wb.close()
        floors.append((time.perf_counter() - start, time.process_time() - cpu_start))
        for fast, out, progress in (
            (True, runs, None),
            (False, plain_runs, None),
            (True, cold_runs, lambda n, total: fastread.clear_caches()),
        ):
            fastread.clear_caches()
            with contextlib.nullcontext() if fast else accel.plain("xlsx-fast"):
                start, cpu_start = time.perf_counter(), time.process_time()
                result = collect(inbox, Options(progress=progress))
                out.append((time.perf_counter() - start, time.process_time() - cpu_start))
            assert len(result.bodies) == m
    (floor, floor_cpu), (seconds, cpu) = min(floors, key=lambda r: r[1]), min(runs, key=lambda r: r[1])
    plain_cpu, cold_cpu = min(r[1] for r in plain_runs), min(r[1] for r in cold_runs)
    print(
        f"{m} workbook submissions, read + check in process: {m / seconds:.1f} workbooks/s "
        f"({seconds / m * 1000:.0f} ms each); floor (openpyxl read-only open + read every value): "
        f"{m / floor:.1f} workbooks/s ({floor / m * 1000:.0f} ms each); ratio {seconds / floor:.2f}x\n"
        f"  CPU: {m / cpu:.1f} workbooks per CPU-second ({cpu / m * 1000:.1f} ms each); floor {m / floor_cpu:.1f} "
        f"per CPU-second ({floor_cpu / m * 1000:.0f} ms each); ratio {cpu / floor_cpu:.2f}x\n"
        f"  with the fast reader off (accel.plain('xlsx-fast'), openpyxl reads every file): "
        f"{m / plain_cpu:.1f} per CPU-second ({plain_cpu / m * 1000:.0f} ms each), {plain_cpu / cpu:.1f}x the CPU\n"
        f"  every part new to the fast reader (its openpyxl verdicts forgotten before each file, as for files "
        f"saved by different programs): {m / cold_cpu:.1f} per CPU-second ({cold_cpu / m * 1000:.0f} ms each)"
    )


def bench_instructions(k: int, work: Path, sources: list[Path]) -> None:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: no instruction counts")
        return
    folders = {}
    for name, n in (("k", k), ("two", 2)):
        folders[name] = (work / f"ic-{name}-inbox", work / f"ic-{name}-last")
        _write_inbox(folders[name][0], n, 2023)
        _write_inbox(folders[name][1], n, 2022)
    configs = [
        ("end to end with the result JSON", lambda inbox, last: [str(inbox), "--json", str(work / "ic.json")]),
        ("+ as many last-year files (cross-year)", lambda inbox, last: [str(inbox), "--last-year", str(last)]),
    ]
    for label, args in configs:
        for source in sources:
            _run_child([*args(*folders["two"]), "-o", str(work / "ic.xlsx")], source, work)  # bytecode cache
            full, start = (
                _instructions([*args(*folders[n]), "-o", str(work / "ic.xlsx")], source, work) for n in ("k", "two")
            )
            name = "" if source == ROOT else f" [{source}]"
            print(
                f"{k} JSON submissions {label}{name}: {(full - start) / (k - 2) / 1e6:.2f} million instructions "
                f"per submission (callgrind; start-up {start / 1e9:.2f} billion)"
            )


def _instructions(args: list[str], source: Path, work: Path) -> int:
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m", "validator"]
        + ["collect", *args, "--quiet"],
        cwd=source,
        env=_child_env(work),
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None or proc.returncode not in (0, 1):
        raise SystemExit(f"callgrind run failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", type=int, default=10_000)
    ap.add_argument("--workbooks", type=int, default=40)
    ap.add_argument("--source", type=Path, default=ROOT, help="folder holding the validator/ package to run")
    ap.add_argument("--compare", type=Path, help="also run this folder's validator/, taking turns (before/after)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each configuration (the least CPU is shown)")
    ap.add_argument("--instructions", type=int, default=0, help="also count instructions per submission (valgrind)")
    args = ap.parse_args()
    sources = [args.source.resolve(), *([args.compare.resolve()] if args.compare else [])]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.json:
            bench_json(args.json, work, sources, args.repeat)
        if args.workbooks:
            bench_workbooks(args.workbooks, work, args.repeat)
        if args.instructions:
            bench_instructions(args.instructions, work, sources)


if __name__ == "__main__":
    main()
