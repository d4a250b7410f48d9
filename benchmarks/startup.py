"""What one clerk's action costs: a single ``xxgk check`` and the Excel button's import.

    uv run python benchmarks/startup.py [--source DIR] [--compare DIR]

Counts, not times (a busy neighbour on a shared machine changes CPU seconds by half, an
instruction count by a fraction of a percent): valgrind's callgrind counts the instructions of

- ``python -m validator check`` of the example workbook and of its JSON (the whole process);
- ``python -c "import addin.excel"``, the Excel button's import path (xlwings itself is left
  out: it is the same for every version of this tool), with the modules it loads;
- ``python -c pass``, the interpreter's own start-up, as the floor.

``--source DIR`` runs another checkout's ``validator/`` and ``addin/`` (e.g. ``git archive OLD
validator addin examples | tar -x -C DIR``); ``--compare DIR`` runs both, for before/after. Each
child imports from a warm bytecode cache, as every run after the first does on a user's machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = "import sys, addin.excel; print(len(sys.modules))"


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["PYTHONHASHSEED"] = "0"
    return env


def _instructions(args: list[str], source: Path, work: Path) -> int:
    subprocess.run([sys.executable, *args], cwd=source, env=_env(work), capture_output=True, check=False)  # warm
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *args],
        cwd=source,
        env=_env(work),
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise SystemExit(f"callgrind run failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", type=Path, default=ROOT, help="folder holding the validator/ and addin/ to run")
    ap.add_argument("--compare", type=Path, help="also run this folder's packages (before/after)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    sources = [args.source.resolve(), *([args.compare.resolve()] if args.compare else [])]
    example = ROOT / "examples" / "fenxi-zfb_2023"
    cases = [
        ("python -c pass (floor)", ["-c", "pass"]),
        ("xxgk check example.xlsx", ["-m", "validator", "check", f"{example}.xlsx"]),
        ("xxgk check example.json", ["-m", "validator", "check", f"{example}.json"]),
        ("import addin.excel", ["-c", "import addin.excel"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for source in sources:
            name = "" if source == ROOT else f" [{source}]"
            modules = subprocess.run(
                [sys.executable, "-c", MODULES], cwd=source, env=_env(work), capture_output=True, text=True, check=True
            ).stdout.strip()
            print(f"modules loaded by import addin.excel{name}: {modules}")
            for label, argv in cases:
                count = _instructions(argv, source, work)
                print(f"{label}{name}: {count / 1e6:,.1f} million instructions")


if __name__ == "__main__":
    main()
