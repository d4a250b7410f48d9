"""A real uvicorn on 127.0.0.1 for tests that need real HTTP (concurrency, browsers, timeouts), and
the broken workbook the check page is tried with."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl

from conftest import EXAMPLE


@contextmanager
def live_server(app, **config) -> Iterator[str]:
    """A real uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL. `config` goes
    to ``uvicorn.Config`` (the protocol class, timeouts)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(1200):  # bounded wait for the socket (not a timing assertion)
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def broken_copy(tmp_path: Path) -> Path:
    """The example with one typo (表三!J4 3→4): one located root cause, consequences under it."""
    path = tmp_path / "broken.xlsx"
    shutil.copyfile(EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    wb["表三"]["J4"] = 4
    wb.save(path)
    return path
