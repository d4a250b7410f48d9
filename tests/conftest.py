"""Shared fixtures: the committed template, the three real reports, and a CLI runner."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from validator.cli import main as cli_main
from validator.formats import get_format

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REPORTS = FIXTURES / "reports"
REPORT_NAMES = ("fenxi-zfb_2023", "huaian-shi_2024", "pingtan_2021")
TEMPLATE = ROOT / "xlsx_templates" / "xxgk-template-gb-2021-30.xlsx"
EXAMPLE = ROOT / "examples" / "fenxi-zfb_2023.xlsx"


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
