"""Printing: LibreOffice (headless) converts the template and the example to PDF, and the PDF
is read back with poppler's ``pdftotext``/``pdfinfo``.

Every sheet's page header carries its title, so each page is assigned to its sheet. The
fixed-size sheets (cover, 表二, 表三, 表四, 上年数据) print on one A4 page each; every label,
figure and the whole 文字部分 text appear (nothing cut off); text is printed at a readable size.
Calibri metrics (Carlito) and a CJK font make LibreOffice lay the sheets out as Excel does;
``.ci/run`` installs them. Skipped locally when a tool or font is missing, a failure with CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
from pathlib import Path

import pytest

from validator.formats import get_format

from conftest import ROOT, run_cli

pytestmark = pytest.mark.libreoffice
EXAMPLE = ROOT / "examples" / "fenxi-zfb_2023.xlsx"
EXAMPLE_JSON = ROOT / "examples" / "fenxi-zfb_2023.json"
ONE_PAGE = ("封面", "表二", "表三", "表四", "上年数据")
MIN_WORD_HEIGHT = 10.0
"""Median word box height (pt) on a page: 10.5 pt text at 100 % measures about 13.6; the cover
shrunk to fit a portrait page measured 6.5 (about 5 pt)."""


def _missing() -> str | None:
    for tool in ("soffice", "pdftotext", "pdfinfo", "fc-list"):
        if shutil.which(tool) is None:
            return f"{tool} not installed"
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True).stdout.lower()
    if "carlito" not in fonts:
        return "font Carlito (fonts-crosextra-carlito) not installed"
    if not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip():
        return "no CJK font installed (fonts-wqy-microhei or fonts-noto-cjk)"
    return None


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    reason = _missing()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true, so the print test must run, but: {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("print")
    assert run_cli("template", "-o", work).code == 0
    shutil.copyfile(work / "xxgk-template-gb-2021-30.xlsx", work / "template.xlsx")
    shutil.copyfile(EXAMPLE, work / "example.xlsx")
    proc = subprocess.Popen(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(work / "template.xlsx"),
            str(work / "example.xlsx"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=300)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    out = {name: work / f"{name}.pdf" for name in ("template", "example")}
    assert all(p.exists() for p in out.values()), list(work.iterdir())
    return out


def _pages(pdf: Path) -> list[str]:
    count = int(
        re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout).group(1)
    )
    return [
        subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), pdf, "-"], capture_output=True, text=True).stdout
        for i in range(1, count + 1)
    ]


def _by_sheet(pdf: Path) -> dict[str, list[str]]:
    """Page texts per sheet, recognised by the sheet title in the page header."""
    titles = {s.title: s.name for s in get_format().sheets}
    out: dict[str, list[str]] = {}
    for text in _pages(pdf):
        first = text.strip().splitlines()[0].strip()
        out.setdefault(titles[first], []).append("".join(text.split()))
    return out


def _printed(label: str, text: str) -> bool:
    """`label` whole in `text`, or its characters in order when a narrow merged cell wrapped it
    into lines pdftotext reads interleaved with the next column (三、本年度办|理结果)."""
    if label in text:
        return True
    rest = iter(text)
    return all(ch in rest for ch in label)


def _word_heights(pdf: Path) -> list[float]:
    html = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True).stdout
    out = []
    for page in html.split("<page ")[1:]:
        heights = [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', page)]
        out.append(statistics.median(heights))
    return out


@pytest.mark.parametrize("which", ["template", "example"])
def test_each_table_prints_on_one_page_with_every_label(pdfs, which):
    fmt = get_format()
    sheets = _by_sheet(pdfs[which])
    assert list(sheets) == [s.name for s in fmt.sheets]
    for name in ONE_PAGE:
        assert len(sheets[name]) == 1, (name, len(sheets[name]))
    for label in fmt.labels:
        if (label.sheet, label.ref) == (fmt.results_sheet, "J3"):
            continue  # 键: a hidden column for the Excel button, not printed
        text = "".join(sheets[label.sheet])
        assert _printed("".join(label.text.split()), text), (label.sheet, label.ref, label.text)


@pytest.mark.parametrize("which", ["template", "example"])
def test_every_page_is_readable_size(pdfs, which):
    heights = _word_heights(pdfs[which])
    assert min(heights) >= MIN_WORD_HEIGHT, heights


def test_every_figure_and_the_whole_narrative_are_printed(pdfs):
    fmt = get_format()
    sheets = _by_sheet(pdfs["example"])
    report = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    values = run_cli("check", EXAMPLE, "--json")  # the example is valid: figures as the sheet holds them
    assert values.code == 0
    from validator.workbook.read import read_workbook

    sub = read_workbook(EXAMPLE)
    for cell in fmt.figure_cells():
        value = sub.values[cell.key]
        page = "".join(sheets[cell.sheet])
        assert str(value) in page, (cell.a1, value)
    text = "".join(sheets["文字部分"])
    for part, body in report["narrative"].items():
        flat = "".join(body.split())
        cut = [i for i in range(0, len(flat), 20) if flat[i : i + 20] not in text]
        assert not cut, (part, flat[cut[0] : cut[0] + 20])
