"""Running LibreOffice from the tests: availability policy and one driver session per module.

The venv interpreter cannot ``import uno``, so ``lo_driver.py`` runs under the system python3
with a JSON job list on stdin and answers JSON on stdout. Skipped when soffice or python3-uno
is missing, except with ``CI=true``, where that is a failure (CI must really run these).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("lo_driver.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def clean_env() -> dict:
    """The system interpreter must not pick up the venv's packages."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def unavailable() -> str | None:
    if shutil.which("soffice") is None:
        return "LibreOffice not installed (no `soffice` on PATH)"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found (needed for python3-uno)"
    try:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, text=True, timeout=30, env=clean_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{SYSTEM_PYTHON} -c 'import uno' failed: {exc}"
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"python3-uno not importable by {SYSTEM_PYTHON}: {last}"
    return None


def require_libreoffice() -> None:
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true, so the LibreOffice tests must run, but: {reason}")
    pytest.skip(reason)


def kill_group(pidfile: Path) -> None:
    try:
        os.killpg(int(pidfile.read_text()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def run_driver(work: Path, jobs: list[dict], timeout: int) -> dict:
    """One soffice for all `jobs` (fresh profile under `work`); always gone when this returns."""
    pidfile = work / "soffice.pid"
    request = {
        "profile": str(work / "profile"),
        "pidfile": str(pidfile),
        "soffice": shutil.which("soffice"),
        "connect_timeout": 60,
        "deadline": timeout - 10,
        "jobs": jobs,
    }
    try:
        proc = subprocess.run(
            [SYSTEM_PYTHON, str(DRIVER)],
            input=json.dumps(request, ensure_ascii=False),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=clean_env(),
        )
    except subprocess.TimeoutExpired:
        kill_group(pidfile)
        pytest.fail(f"lo_driver.py did not finish within {timeout} s")
    if proc.returncode != 0:
        kill_group(pidfile)
    assert proc.returncode == 0, f"lo_driver.py failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}"
    answer = json.loads(proc.stdout)
    answer["pgid"] = int(pidfile.read_text())
    return answer
