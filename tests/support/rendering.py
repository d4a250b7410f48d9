"""Shared by the render tests: the hand-checked figures by JSON key, table grids, the tools that
print and screenshot (LibreOffice, Chromium), and a report with hostile narrative text.

Expected values come from ``tests/fixtures/reports/expected.json`` (checked by hand against the
published reports), never from the renderer's own data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from validator.formats.gb_2021_30 import T3_COLUMNS
from validator.spec import split_ref

from conftest import REPORTS, t3_row_key

T4_GROUPS = {"复议": "review", "直接起诉": "litigation_direct", "复议后起诉": "litigation_after_review"}
T4_LEAVES = {"维持": "upheld", "纠正": "corrected", "其他": "other", "尚未审结": "pending", "总计": "total"}

OFFICIAL_HEADS = {
    # (text, rowspan, colspan) per header row, as printed in 国办公开办函〔2021〕30号
    "表三": [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
    ],
    "表四": [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [
            ("结果维持", 2, 1),
            ("结果纠正", 2, 1),
            ("其他结果", 2, 1),
            ("尚未审结", 2, 1),
            ("总计", 2, 1),
            ("未经复议直接起诉", 1, 5),
            ("复议后起诉", 1, 5),
        ],
        [(t, 1, 1) for t in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2],
    ],
    "表二": [
        [("第二十条第（一）项", 1, 4)],
        [("信息内容", 1, 1), ("本年制发件数", 1, 1), ("本年废止件数", 1, 1), ("现行有效件数", 1, 1)],
    ],
}
T3_ROW_LABELS = {  # (grid row, col) -> (text, rowspan, colspan): the official row header structure
    (3, 0): ("一、本年新收政府信息公开申请数量", 1, 3),
    (4, 0): ("二、上年结转政府信息公开申请数量", 1, 3),
    (5, 0): ("三、本年度办理结果", 22, 1),
    (5, 1): ("（一）予以公开", 1, 2),
    (7, 1): ("（三）不予公开", 8, 1),
    (15, 1): ("（四）无法提供", 3, 1),
    (18, 1): ("（五）不予处理", 5, 1),
    (23, 1): ("（六）其他处理", 3, 1),
    (26, 1): ("（七）总计", 1, 2),
    (27, 0): ("四、结转下年度继续办理", 1, 3),
}


def expected_figures(exp: dict) -> dict[str, str]:
    """JSON key -> the figure as it must be printed (counts as integers, 万元 as entered)."""
    out: dict[str, str] = {}
    for label, values in exp["table3"].items():
        row = t3_row_key(label)
        for (col, _), value in zip(T3_COLUMNS, values):
            out[f"applications.{row}.{col}"] = str(value)
    for label, value in exp["table4"].items():
        g, leaf = label.split("_")
        out[f"review_litigation.{T4_GROUPS[g]}.{T4_LEAVES[leaf]}"] = str(value)
    t2 = exp["table2"]
    for name, base in (("规章", "rules"), ("行政规范性文件", "normative_documents")):
        for leaf, value in zip(("issued", "repealed", "in_force"), t2[name]):
            out[f"proactive.{base}.{leaf}"] = str(value)
    for name, base in (("行政许可", "licensing"), ("行政处罚", "penalties"), ("行政强制", "coercive_measures")):
        out[f"proactive.{base}.decisions"] = str(t2[name])
    out["proactive.fees.amount_wan_yuan"] = t2["行政事业性收费_万元"]
    return out


def position(fmt, key: str) -> tuple[str, int, int]:
    """(sheet, row, col) of a figure: the workbook sheets are the official tables, from A1."""
    cell = fmt.cell(key)
    r, c = split_ref(cell.ref)
    return cell.sheet, r, c


def require_tools(*names: str) -> None:
    """Skip when a tool is missing; under ``CI=true`` fail instead (CI must run these tests)."""
    missing = [n for n in names if not shutil.which(n)]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (installed by .ci/run)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true, so the render tests must run, but: {reason}")
    pytest.skip(reason)


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def screenshot(html: Path, png: Path, width: int = 1000, height: int = 1800) -> None:
    """The page as headless Chromium draws it (no network, a throw-away profile)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )


def print_to_pdf(html: Path, pdf: Path) -> None:
    """The page printed by headless Chromium (A4 from the page's print style, no browser header
    or footer), as a clerk's “打印 → 另存为 PDF” gives it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    if not pdf.exists():
        pytest.fail("Chromium printed no PDF")


def soffice_convert(sources: list[Path], to: str, out_dir: Path, timeout: int = 600) -> None:
    """LibreOffice (headless, its own throwaway profile, so runs never share state) converts
    every source to `to` (``pdf``, ``docx:MS Word 2007 XML``, ``xlsx:Calc MS Excel 2007 XML``,
    ``pdf:writer_pdf_Export:{…}``), outside the venv (:func:`support.libreoffice.clean_env`)."""
    from support.libreoffice import clean_env

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--convert-to",
                to,
                "--outdir",
                str(out_dir),
                *map(str, sources),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
            env=clean_env(),
        )


def docx_to_pdf(docx_path: Path, out_dir: Path) -> Path:
    """LibreOffice (Writer) converts the .docx; returns the PDF."""
    soffice_convert([docx_path], "pdf", out_dir, timeout=300)
    pdf = out_dir / (docx_path.stem + ".pdf")
    if not pdf.exists():
        pytest.fail("LibreOffice wrote no PDF (is libreoffice-writer installed?)")
    return pdf


def grid(table) -> dict[tuple[int, int], object]:
    """(row, col) -> the th/td covering it, spans expanded as a browser lays the table out."""
    taken: dict[tuple[int, int], object] = {}
    for r, tr in enumerate(table.iter("tr")):
        c = 0
        for cell in tr:
            while (r, c) in taken:
                c += 1
            rs, cs = int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))
            for dr in range(rs):
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = cell
            c += cs
    return taken


def tables(doc) -> dict[str, object]:
    """The page's tables by id (``xxgk-表三`` -> ``表三``)."""
    return {t.get("id").removeprefix("xxgk-"): t for t in doc.iter("table")}


# Narrative text a renderer must print as text: markup, formulas, emoji, a 30 000-character part
HOSTILE = {
    "overview": "<script>alert('x')</script>\n</script><script>alert(1)</script>\n<!-- \n"
    '=HYPERLINK("http://evil.example","点我")\n+1+2\n@SUM(A1)\n-3\n\n'
    "emoji 👩‍💻🇨🇳 &amp; &lt;b&gt;\u2028末尾",
    "problems": "长" * 30000,
    "other_matters": "  前有空格\n\n\n后有空行 {{ doc.title }} {% raw %}",
}


def hostile_json(tmp_path: Path) -> Path:
    """The 汾西 report with :data:`HOSTILE` as its narrative parts, written as JSON in `tmp_path`."""
    doc = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    doc["narrative"] = HOSTILE
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path
