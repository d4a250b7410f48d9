"""Benchmark: ``POST /api/check`` on a real uvicorn (127.0.0.1) vs ``xxgk check --json`` in-process.

    uv run python benchmarks/serve.py

Prints medians and their ratio (target ≤ 1.3×); asserts nothing. Both sides check the same
file; the HTTP side includes the upload, the multipart parsing, the temp file and the reply.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from validator.cli.program import main as xxgk
from validator.serve.app import create_app

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "examples" / "fenxi-zfb_2023.xlsx", ROOT / "examples" / "fenxi-zfb_2023.json"]
RUNS = 15


def in_process(path: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        xxgk(["check", str(path), "--json"])


def main() -> None:
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/api/check"
    try:
        with httpx.Client(timeout=120) as client:
            for path in FILES:
                data = path.read_bytes()

                def http(path: Path = path, data: bytes = data) -> None:
                    client.post(url, files={"file": (path.name, data)}).raise_for_status()

                local, remote = [], []
                for run in range(RUNS + 2):  # interleaved; the first two warm up
                    for fn, out in ((in_process, local), (http, remote)):
                        start = time.perf_counter()
                        fn(path) if fn is in_process else fn()
                        if run >= 2:
                            out.append(time.perf_counter() - start)
                a, b = statistics.median(local), statistics.median(remote)
                print(
                    f"{path.name}: check in-process {a * 1000:.0f} ms, /api/check {b * 1000:.0f} ms; ratio {b / a:.2f}x"
                )
    finally:
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
