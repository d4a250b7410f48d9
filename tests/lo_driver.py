#!/usr/bin/python3
"""Drive a headless LibreOffice through UNO for tests/test_libreoffice.py.

Standalone: run it with the *system* interpreter (the one that can ``import uno``), not the
project venv. It reads one JSON request on stdin, starts one ``soffice`` for all of it,
and prints one JSON answer on stdout.

Request::

    {"profile": "/tmp/.../lo-profile",      # fresh dir for -env:UserInstallation
     "soffice": "/usr/bin/soffice",         # optional, default: soffice on PATH
     "pidfile": "/tmp/.../soffice.pid",     # optional: soffice's process-group id is written here
     "connect_timeout": 60, "deadline": 110,
     "jobs": [{"name": "fenxi-bad",
               "file": "/abs/path.xlsx",
               "set":  [["表三", "J4", 4], ...],          # applied after loading, before recalc
               "recalc": true,                           # false: no calculateAll() (autocalc only)
               "read": [["表三", "K4"], ...],
               "cf":   [["表三", "J4"], ...],             # conditional-format entries of these cells
               "html": "/abs/out.html"}]}                # optional: export after recalc

Answer::

    {"soffice": "LibreOffice 7.4 ...",
     "jobs": {"fenxi-bad": {"sheets": [...], "protected": {"表三": true, ...},
                            "values": {"表三!K4": {"kind": "text", "value": "应为3",
                                                   "formula": "=IF(...)", "error": 0}},
                            "cf": {"表三!J4": [{"operator": "FORMULA", "formula1": "...",
                                               "style": "Excel_CondFormat_1_1_1",
                                               "back_color": "#FF9999"}]},
                            "html": "/abs/out.html"}}}

``kind`` is one of ``empty``, ``number``, ``text`` or ``error`` (a formula reports its
result's kind). soffice is always terminated, its whole process group killed if needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path

import uno  # noqa: F401  (system python3-uno)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

FORMULA_RESULT_VALUE, FORMULA_RESULT_STRING, FORMULA_RESULT_ERROR = 1, 2, 4


def prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def kill_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        # the shell wrapper may be gone while soffice.bin still runs in the group
        time.sleep(0.2)


def start_soffice(soffice: str, profile: Path, pipe: str, log) -> subprocess.Popen:
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [
        soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
        "--nolockcheck", f"--accept=pipe,name={pipe};urp;",
        f"-env:UserInstallation={profile.resolve().as_uri()}",
    ]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True)


def connect(pipe: str, proc: subprocess.Popen, timeout: float):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None and proc.returncode != 0:
            raise RuntimeError(f"soffice exited early with code {proc.returncode}")
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException as exc:
            last = exc
            time.sleep(0.25)
    raise TimeoutError(f"could not connect to soffice within {timeout:.0f} s: {last}")


def hex_color(value: int) -> str | None:
    if value is None or value < 0:  # -1 = transparent / no fill
        return None
    return f"#{value & 0xFFFFFF:06X}"


def read_cell(cell) -> dict:
    kind = cell.getType().value  # EMPTY / VALUE / TEXT / FORMULA
    out = {"formula": None, "error": cell.getError()}
    if kind == "FORMULA":
        out["formula"] = cell.getFormula()
        result = cell.getPropertyValue("FormulaResultType2")
        if out["error"] or result == FORMULA_RESULT_ERROR:
            out.update(kind="error", value=cell.getString())
        elif result == FORMULA_RESULT_STRING:
            out.update(kind="text", value=cell.getString())
        else:
            out.update(kind="number", value=cell.getValue())
    elif kind == "VALUE":
        out.update(kind="number", value=cell.getValue())
    elif kind == "TEXT":
        out.update(kind="text", value=cell.getString())
    else:
        out.update(kind="empty", value=None)
    return out


def read_cf(doc, cell) -> list[dict]:
    entries = cell.getPropertyValue("ConditionalFormat")
    styles = doc.getStyleFamilies().getByName("CellStyles")
    out = []
    for i in range(entries.getCount()):
        entry = entries.getByIndex(i)
        style = entry.getStyleName()
        back = None
        if style and styles.hasByName(style):
            back = hex_color(styles.getByName(style).getPropertyValue("CellBackColor"))
        out.append({"operator": entry.getOperator().value, "formula1": entry.getFormula1(),
                    "formula2": entry.getFormula2(), "style": style, "back_color": back})
    return out


def set_cell(cell, value) -> None:
    if value is None:
        cell.setString("")
    elif isinstance(value, str):
        if value.startswith("="):
            cell.setFormula(value)
        else:
            cell.setString(value)
    else:
        cell.setValue(float(value))


def run_job(desktop, job: dict) -> dict:
    url = Path(job["file"]).resolve().as_uri()
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (
        prop("Hidden", True), prop("MacroExecutionMode", 4), prop("ReadOnly", False)))
    if doc is None:
        raise RuntimeError(f"LibreOffice could not load {job['file']}")
    try:
        sheets = doc.getSheets()
        names = list(sheets.getElementNames())
        res = {"sheets": names,
               "protected": {n: bool(sheets.getByName(n).isProtected()) for n in names},
               "values": {}, "cf": {}}

        def cell(sheet: str, ref: str):
            return sheets.getByName(sheet).getCellRangeByName(ref)

        for sheet, ref, value in job.get("set", ()):
            set_cell(cell(sheet, ref), value)
        if job.get("recalc", True):
            doc.calculateAll()
        for sheet, ref in job.get("read", ()):
            res["values"][f"{sheet}!{ref}"] = read_cell(cell(sheet, ref))
        for sheet, ref in job.get("cf", ()):
            res["cf"][f"{sheet}!{ref}"] = read_cf(doc, cell(sheet, ref))
        if job.get("html"):
            doc.storeToURL(Path(job["html"]).resolve().as_uri(),
                           (prop("FilterName", "HTML (StarCalc)"),))
            res["html"] = job["html"]
        return res
    finally:
        try:
            doc.close(True)
        except Exception:  # noqa: BLE001 - a disposed document is fine
            pass


def main() -> int:
    request = json.load(sys.stdin)
    profile = Path(request["profile"])
    pipe = f"xxgk_lo_{os.getpid()}_{uuid.uuid4().hex}"
    log_path = profile.parent / f"{profile.name}.soffice.log"
    profile.parent.mkdir(parents=True, exist_ok=True)
    answer: dict = {"pipe": pipe, "jobs": {}}
    with open(log_path, "wb") as log:
        proc = start_soffice(request.get("soffice") or "soffice", profile, pipe, log)
        if request.get("pidfile"):
            Path(request["pidfile"]).write_text(str(proc.pid))

        def watchdog():  # never outlive the caller's timeout, never leave soffice behind
            sys.stderr.write("lo_driver: deadline reached, killing soffice\n")
            kill_group(proc)
            os._exit(3)

        timer = threading.Timer(float(request.get("deadline", 110)), watchdog)
        timer.daemon = True
        timer.start()
        desktop = None
        try:
            ctx = connect(pipe, proc, float(request.get("connect_timeout", 60)))
            smgr = ctx.ServiceManager
            desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            config = smgr.createInstanceWithContext(
                "com.sun.star.configuration.ConfigurationProvider", ctx)
            about = config.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationAccess",
                (prop("nodepath", "/org.openoffice.Setup/Product"),))
            answer["soffice"] = f"{about.getByName('ooName')} {about.getByName('ooSetupVersionAboutBox')}"
            for job in request["jobs"]:
                answer["jobs"][job["name"]] = run_job(desktop, job)
        finally:
            if desktop is not None:
                try:
                    desktop.terminate()
                except Exception:  # noqa: BLE001 - the bridge drops when soffice quits
                    pass
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            kill_group(proc)
            timer.cancel()
    json.dump(answer, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001 - report and fail
        traceback.print_exc()
        sys.exit(1)
