#!/usr/bin/python3
"""Drive a headless LibreOffice through UNO for tests/test_libreoffice*.py.

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
                            "values": {"表三!K4": {"kind": "text", "value": "不平：各列之和 3，总计 4",
                                                   "formula": "=IF(...)", "error": 0}},
                            "cf": {"表三!J4": [{"operator": "FORMULA", "formula1": "...",
                                               "style": "Excel_CondFormat_1_1_1",
                                               "back_color": "#FF9999"}]},
                            "html": "/abs/out.html"}}}

``kind`` is one of ``empty``, ``number``, ``text`` or ``error`` (a formula reports its
result's kind). soffice is always terminated, its whole process group killed if needed.

Optional job keys for macro workbooks (tests/test_libreoffice_xlsm.py); absent, nothing changes::

    "interactions": true,     # load with a recording InteractionHandler -> "interactions": [...]
    "basic": true,            # -> "basic": {"libraries": [...], "vba_compat": bool,
                              #     "modules": {lib: {module: {"type": 1|4, "source": "..."}}}},
                              #    "codenames": {sheet: "Sheet1", ...}
    "controls": true,         # -> "controls": {sheet: {"shapes": [{"type", "name", "label", "model"}],
                              #     "forms": [{"name", "controls": [{"name", "label", "model",
                              #       "events": [{"listener", "method", "script_type", "script"}]}]}]}}
    "scripts": ["vnd.sun.star.script:...", ...],   # resolved, not run -> "scripts": {url: {"found", "error"}}
    "invoke":  ["vnd.sun.star.script:...", ...],   # run after "set", before recalc
                                                   # -> "invoked": {url: {"ok", "result", "error"}}
    "store": [{"file": "/abs/out.xlsx", "filter": "Calc MS Excel 2007 XML", "options": ""}]
                              # storeToURL after the reads -> "stored": ["/abs/out.xlsx"]
    "locked": [["校验结果", "I4"], ...]   # -> "locked": {"校验结果!I4": CellProtection.IsLocked}

A shape in "controls" also carries "text": its text (a text box's words), or None.

A sweep (tests/test_live_checks.py) evaluates conditional formats after many edits in one load::

    "sweep": {"cells": [["表三", "D4"], ...],      # cells whose conditional format to evaluate
              "fill": "#C9B3E6",                  # ... the entry painting this background
              "mutations": [[["表三", "D4", 3]], ...]}   # each a list of edits, undone after
    -> "sweep": [[0, 5], ...]   # per mutation, the indices of "cells" whose condition holds

Each condition is the entry's own formula as LibreOffice imported it, copied into a spare
area of its sheet by the cell's offset from the entry's source cell (the sheet is unprotected
for that) and recalculated after each edit.

The answer also carries "log": soffice's own stdout/stderr.
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
import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.task import XInteractionHandler

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
        soffice,
        "--headless",
        "--invisible",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        f"--accept=pipe,name={pipe};urp;",
        f"-env:UserInstallation={profile.resolve().as_uri()}",
    ]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)


def connect(pipe: str, proc: subprocess.Popen, timeout: float):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
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
        out.append(
            {
                "operator": entry.getOperator().value,
                "formula1": entry.getFormula1(),
                "formula2": entry.getFormula2(),
                "style": style,
                "back_color": back,
            }
        )
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


def uno_text(value) -> str:
    """A UNO value (request, exception, any) as readable text."""
    name = getattr(value, "typeName", None) or type(value).__name__
    message = getattr(value, "Message", None)
    return f"{name}: {message}" if message else str(name)


class RecordingHandler(unohelper.Base, XInteractionHandler):
    """Records every question LibreOffice asks while loading; approves where it can, else aborts."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

    def handle(self, request) -> None:  # never raise: an exception here aborts the load unseen
        try:
            text = uno_text(request.getRequest())
        except Exception as exc:  # noqa: BLE001 - pyuno cannot convert some exception-typed requests
            text = f"(request not readable through pyuno: {type(exc).__name__}: {exc})"
        try:
            conts = request.getContinuations()
            kinds = [
                next((t.typeName.rsplit(".", 1)[-1] for t in c.getTypes() if ".XInteraction" in t.typeName), "?")
                for c in conts
            ]
        except Exception:  # noqa: BLE001
            conts, kinds = (), []
        chosen = next((want for want in ("XInteractionApprove", "XInteractionAbort") if want in kinds), None)
        self.seen.append({"request": text, "continuations": kinds, "chosen": chosen})
        if chosen is not None:
            try:
                conts[kinds.index(chosen)].select()
            except Exception:  # noqa: BLE001
                pass


def read_basic(doc) -> dict:
    libs = doc.BasicLibraries
    out = {"libraries": list(libs.getElementNames()), "vba_compat": bool(libs.VBACompatibilityMode), "modules": {}}
    for name in out["libraries"]:
        if not libs.isLibraryLoaded(name):
            libs.loadLibrary(name)
        lib = libs.getByName(name)
        mods = {}
        for module in lib.getElementNames():
            try:
                kind = int(lib.getModuleInfo(module).ModuleType)
            except Exception:  # noqa: BLE001 - a non-VBA library has no module info
                kind = None
            mods[module] = {"type": kind, "source": lib.getByName(module)}
        out["modules"][name] = mods
    return out


def read_controls(sheet) -> dict:
    page = sheet.getDrawPage()
    shapes = []
    for i in range(page.getCount()):
        shape = page.getByIndex(i)
        entry = {
            "type": shape.getShapeType(),
            "name": None,
            "label": None,
            "model": None,
            "text": shape.getString() if hasattr(shape, "getString") else None,
        }
        if shape.supportsService("com.sun.star.drawing.ControlShape"):
            model = shape.getControl()
            entry.update(name=model.Name, label=getattr(model, "Label", None), model=model.getImplementationName())
        shapes.append(entry)
    forms = []
    container = page.getForms()
    for f in range(container.getCount()):
        form = container.getByIndex(f)
        controls = []
        for c in range(form.getCount()):
            model = form.getByIndex(c)
            events = [
                {
                    "listener": e.ListenerType,
                    "method": e.EventMethod,
                    "script_type": e.ScriptType,
                    "script": e.ScriptCode,
                }
                for e in form.getScriptEvents(c)
            ]
            controls.append(
                {
                    "name": model.Name,
                    "label": getattr(model, "Label", None),
                    "model": model.getImplementationName(),
                    "events": events,
                }
            )
        forms.append({"name": form.Name, "controls": controls})
    return {"shapes": shapes, "forms": forms}


SWEEP_COLUMN, GATHER_COLUMN, SWEEP_FIRST_ROW = 52, 51, 1000  # BA, AZ; far below and right of the tables


def sweep(doc, spec: dict) -> list[list[int]]:
    """Each cell's conditional-format entry with the wanted fill, evaluated as LibreOffice does:
    its formula (written for the entry's source cell) goes into a spare cell, is copied by the
    cell's offset from that source (so relative references move as they do for the cell), and
    a gathering column reads every copy, all in one call per edit."""
    sheets = doc.getSheets()
    by_sheet: dict[str, list[int]] = {}
    for i, (sheet, ref) in enumerate(spec["cells"]):
        ws = sheets.getByName(sheet)
        if ws.isProtected():
            ws.unprotect("")
        cell = ws.getCellRangeByName(ref)
        entries = cell.getPropertyValue("ConditionalFormat")
        styles = doc.getStyleFamilies().getByName("CellStyles")
        [entry] = [
            e
            for e in (entries.getByIndex(j) for j in range(entries.getCount()))
            if e.getStyleName() and hex_color(styles.getByName(e.getStyleName()).CellBackColor) == spec["fill"].upper()
        ]
        source, here = entry.getSourcePosition(), cell.getCellAddress()
        rows = by_sheet.setdefault(sheet, [])
        k = len(rows)
        first = ws.getCellByPosition(SWEEP_COLUMN, SWEEP_FIRST_ROW + 64 * k)
        first.setFormula("=" + entry.getFormula1())
        target = first.getCellAddress()
        target.Row += here.Row - source.Row
        target.Column += here.Column - source.Column
        ws.copyRange(target, first.getRangeAddress())
        assert target.Column == SWEEP_COLUMN, "a sweep cell's entry moves across columns"
        ws.getCellByPosition(GATHER_COLUMN, k).setFormula(f"=$BA${target.Row + 1}")
        rows.append(i)
    out = []
    for edits in spec["mutations"]:
        before = []
        for sheet, ref, value in edits:
            cell = sheets.getByName(sheet).getCellRangeByName(ref)
            before.append((cell, read_cell(cell)["value"]))
            set_cell(cell, value)
        doc.calculateAll()
        held = []
        for sheet, rows in by_sheet.items():
            area = sheets.getByName(sheet).getCellRangeByPosition(GATHER_COLUMN, 0, GATHER_COLUMN, len(rows) - 1)
            held += [i for i, (v,) in zip(rows, area.getDataArray()) if v]
        out.append(sorted(held))
        for cell, value in reversed(before):
            set_cell(cell, value)
    return out


def resolve_script(doc, url: str):
    return doc.getScriptProvider().getScript(url)


def run_job(desktop, job: dict) -> dict:
    url = Path(job["file"]).resolve().as_uri()
    load_props = [prop("Hidden", True), prop("MacroExecutionMode", 4), prop("ReadOnly", False)]
    handler = None
    if job.get("interactions"):
        handler = RecordingHandler()
        load_props.append(prop("InteractionHandler", handler))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, tuple(load_props))
    if doc is None:
        detail = f": {handler.seen}" if handler is not None and handler.seen else ""
        raise RuntimeError(f"LibreOffice could not load {job['file']}{detail}")
    try:
        sheets = doc.getSheets()
        names = list(sheets.getElementNames())
        res = {
            "sheets": names,
            "protected": {n: bool(sheets.getByName(n).isProtected()) for n in names},
            "values": {},
            "cf": {},
        }

        def cell(sheet: str, ref: str):
            return sheets.getByName(sheet).getCellRangeByName(ref)

        if handler is not None:
            res["interactions"] = handler.seen
        if job.get("basic"):
            res["basic"] = read_basic(doc)
            res["codenames"] = {n: sheets.getByName(n).getPropertyValue("CodeName") for n in names}
        if job.get("controls"):
            res["controls"] = {n: read_controls(sheets.getByName(n)) for n in names}
        if job.get("scripts"):
            res["scripts"] = {}
            for script in job["scripts"]:
                try:
                    resolve_script(doc, script)
                    res["scripts"][script] = {"found": True, "error": None}
                except Exception as exc:  # noqa: BLE001 - reported, the test decides
                    res["scripts"][script] = {"found": False, "error": uno_text(exc)}

        for sheet, ref, value in job.get("set", ()):
            set_cell(cell(sheet, ref), value)
        if job.get("invoke"):
            res["invoked"] = {}
            for script in job["invoke"]:
                try:
                    result = resolve_script(doc, script).invoke((), (), ())
                    res["invoked"][script] = {"ok": True, "result": repr(result), "error": None}
                except Exception as exc:  # noqa: BLE001 - reported, the test decides
                    res["invoked"][script] = {"ok": False, "result": None, "error": uno_text(exc)}
        if job.get("recalc", True):
            doc.calculateAll()
        for sheet, ref in job.get("read", ()):
            res["values"][f"{sheet}!{ref}"] = read_cell(cell(sheet, ref))
        for sheet, ref in job.get("locked", ()):
            res.setdefault("locked", {})[f"{sheet}!{ref}"] = bool(cell(sheet, ref).CellProtection.IsLocked)
        for sheet, ref in job.get("cf", ()):
            res["cf"][f"{sheet}!{ref}"] = read_cf(doc, cell(sheet, ref))
        if job.get("sweep"):
            res["sweep"] = sweep(doc, job["sweep"])
        if job.get("html"):
            doc.storeToURL(Path(job["html"]).resolve().as_uri(), (prop("FilterName", "HTML (StarCalc)"),))
            res["html"] = job["html"]
        for target in job.get("store", ()):
            args = [prop("FilterName", target["filter"]), prop("Overwrite", True)]
            if target.get("options"):
                args.append(prop("FilterOptions", target["options"]))
            doc.storeToURL(Path(target["file"]).resolve().as_uri(), tuple(args))
            res.setdefault("stored", []).append(target["file"])
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
            config = smgr.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", ctx)
            about = config.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationAccess", (prop("nodepath", "/org.openoffice.Setup/Product"),)
            )
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
    answer["log"] = log_path.read_text(encoding="utf-8", errors="replace")
    json.dump(answer, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001 - report and fail
        traceback.print_exc()
        sys.exit(1)
