"""Shared fixtures: the committed template, the three real reports, and a CLI runner."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

# xlwings' remote engine (tests only) needs a key, read when xlwings is first imported: set it
# before any test module imports xlwings, whatever order the modules run in.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from validator.cli.program import main as cli_main
from validator.formats import get_format

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REPORTS = FIXTURES / "reports"
REPORT_NAMES = ("fenxi-zfb_2023", "huaian-shi_2024", "pingtan_2021")
TEMPLATE = ROOT / "xlsx_templates" / "xxgk-template-gb-2021-30.xlsx"
EXAMPLE = ROOT / "examples" / "fenxi-zfb_2023.xlsx"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A LibreOffice test is a slow one too: ``-m "not slow"`` is the fast lane."""
    for item in items:
        if item.get_closest_marker("libreoffice") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli_main([str(a) for a in args])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def fmt():
    return get_format()


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(params=REPORT_NAMES)
def report_name(request) -> str:
    return request.param


@pytest.fixture
def workbook_copy(tmp_path):
    """A fresh copy of one of the real reports' workbooks, to break on purpose."""

    def make(name: str = "fenxi-zfb_2023") -> Path:
        target = tmp_path / f"{name}.xlsx"
        shutil.copyfile(REPORTS / f"{name}.xlsx", target)
        return target

    return make


@pytest.fixture(scope="session")
def expected_reports() -> dict:
    data = json.loads((REPORTS / "expected.json").read_text(encoding="utf-8"))
    return {r["file"].rsplit(".", 1)[0]: r for r in data["reports"]}


# --------------------------------------------------------------------------- in-memory rule tests


def report_values(name: str = "fenxi-zfb_2023") -> dict[str, object]:
    """A real report's cell values by key (from its committed source JSON; no workbook)."""
    from validator.jsonio import load_json

    return dict(load_json(REPORTS / f"{name}.source.json").values)


def make_submission(
    changes: dict[str, object] | None = None,
    *,
    base: str | None = "fenxi-zfb_2023",
    format_id: str | None = None,
    typed: bool = True,
):
    """A Submission built from a dict: a real report's values (or none with ``base=None``) with
    ``changes`` applied, typed as a JSON's (``typed=False``: cell contents, as a workbook's).
    Rule tests use it to skip saving and loading a workbook."""
    from validator.submission import CELLS, JSON, Submission

    values = report_values(base) if base else {}
    values.update(changes or {})
    fmt = get_format(format_id) if format_id else get_format()
    return Submission(fmt, values, "test", [], JSON if typed else CELLS)


def findings_of(
    changes: dict[str, object] | None = None, *, rule: str | None = None, last_year=None, profile=None, **kwargs
) -> list:
    """The findings :func:`validator.engine.validate` gives for :func:`make_submission` (one rule's
    with ``rule``)."""
    import datetime as dt

    from validator.engine import validate

    report = validate(make_submission(changes, **kwargs), profile, last_year, today=dt.date(2026, 1, 1))
    return [f for f in report.findings if rule is None or f.rule == rule]


T3_ROW_KEYS = {
    "一": "new",
    "二": "carried_in",
    "三(一)": "granted",
    "三(二)": "partially_granted",
    "三(七)": "results_total",
    "四": "carried_forward",
}


def t3_row_key(label: str) -> str:
    """The 表三 row key of a row label of ``expected.json`` (三(三)1 is group （三）'s first sub-row)."""
    from validator.formats.gb_2021_30 import T3_ROWS

    if label in T3_ROW_KEYS:
        return T3_ROW_KEYS[label]
    group, index = "（" + label[2] + "）", int(label[4:])
    return [r[0] for r in T3_ROWS if r[2] and r[2].startswith(group) and r[3]][index - 1]
