"""Text a reader cannot see is not imported: a web page's ``display:none``/``hidden``/hidden
classes and a Word file's hidden runs (``w:vanish``, directly or through a style). A known
anti-copy trick puts random digits in hidden spans between the visible ones; read, a cell
showing 3985758 would import as 13985758."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement

from validator.cli.program import main

from support.importing import check_json

SOURCE = Path(__file__).parent / "fixtures" / "reports" / "huaian-shi_2024.source.json"
CELL = 'data-key="proactive.penalties.decisions" colspan="3">3985758<'


def _render(tmp_path: Path, suffix: str) -> Path:
    out = tmp_path / f"h{suffix}"
    assert main(["render", str(SOURCE), "-o", str(out)]) == 0
    return out


def _page(tmp_path: Path) -> str:
    html = _render(tmp_path, ".html").read_text(encoding="utf-8")
    html = re.sub(r'<script type="application/json" id="xxgk-report-data">.*?</script>', "", html, flags=re.S)
    assert CELL in html
    return html


def _penalties(tmp_path: Path, src: Path) -> tuple[int, object]:
    out = tmp_path / "out.json"
    code = main(["import", str(src), "-o", str(out), "--type", "政府"])
    return code, json.loads(out.read_text(encoding="utf-8"))["proactive"]["penalties"]["decisions"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("hidden", "style"),
    [
        ('<span style="display:none">1</span>', ""),
        ('<span style="DISPLAY: None;">1</span>', ""),
        ('<span style="visibility:hidden">1</span>', ""),
        ('<span style="font-size:0px">1</span>', ""),
        ("<span hidden>1</span>", ""),
        ('<span class="x-hide">1</span>', "<style>.x-hide { color: red; display : none }</style>"),
        ('<font class="a b zz">1</font>', "<style>p{margin:0} font.zz,.other{display:none}</style>"),
    ],
)
def test_hidden_digits_in_a_web_page_are_not_read(tmp_path, capsys, hidden, style):
    html = _page(tmp_path).replace(CELL, CELL.replace(">3985758<", f">{hidden}3985758<"))
    html = html.replace("</head>", f"{style}</head>")
    src = tmp_path / "hidden.html"
    src.write_text(html, encoding="utf-8")
    code, got = _penalties(tmp_path, src)
    assert (code, got) == (0, 3985758)
    report = check_json(src, "--published", "--type", "政府")
    assert not [f for f in report["findings"] if f["severity"] == "error"]


def test_text_after_a_hidden_element_is_read(tmp_path):
    """Only the hidden element is skipped: the visible text after it (its tail) stays."""
    html = _page(tmp_path).replace(CELL, CELL.replace(">3985758<", '>398<span style="display:none">9</span>5758<'))
    src = tmp_path / "tail.html"
    src.write_text(html, encoding="utf-8")
    assert _penalties(tmp_path, src) == (0, 3985758)


def test_a_class_hidden_only_in_a_descendant_rule_is_read(tmp_path):
    """``.menu .x {display:none}`` hides .x only inside .menu: not a simple class rule, so a
    cell with class x elsewhere is read (what the reader sees)."""
    html = _page(tmp_path).replace(CELL, CELL.replace(">3985758<", '><span class="x">3985758</span><'))
    html = html.replace("</head>", "<style>.menu .x{display:none}</style></head>")
    src = tmp_path / "descendant.html"
    src.write_text(html, encoding="utf-8")
    assert _penalties(tmp_path, src) == (0, 3985758)


def _hidden_run(cell, how: str) -> None:
    run = cell.paragraphs[0].runs[0]
    new = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    if how == "direct":
        rpr.append(OxmlElement("w:vanish"))
    else:
        style = OxmlElement("w:rStyle")
        style.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", "HiddenDigits")
        rpr.append(style)
    new.append(rpr)
    text = OxmlElement("w:t")
    text.text = "1"
    new.append(text)
    run._r.addprevious(new)


def _hidden_style(document) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.add_style("HiddenDigits", WD_STYLE_TYPE.CHARACTER)
    base = document.styles.add_style("HiddenBase", WD_STYLE_TYPE.CHARACTER)
    base.font.hidden = True
    style.base_style = base  # hidden through basedOn


@pytest.mark.slow
@pytest.mark.parametrize("how", ["direct", "style"])
def test_hidden_runs_in_a_word_file_are_not_read(tmp_path, how):
    document = docx.Document(str(_render(tmp_path, ".docx")))
    if how == "style":
        _hidden_style(document)
    cell = next(c for t in document.tables for row in t.rows for c in row.cells if c.text == "3985758")
    _hidden_run(cell, how)
    src = tmp_path / "hidden.docx"
    document.save(str(src))
    assert _penalties(tmp_path, src) == (0, 3985758)


def test_a_run_shown_again_inside_a_hidden_style_is_read(tmp_path):
    """``<w:vanish w:val="0"/>`` on the run overrides its hidden style: Word shows it."""
    document = docx.Document(str(_render(tmp_path, ".docx")))
    _hidden_style(document)
    cell = next(c for t in document.tables for row in t.rows for c in row.cells if c.text == "3985758")
    run = cell.paragraphs[0].runs[0]
    run.style = document.styles["HiddenDigits"]
    run.font.hidden = False  # writes <w:vanish w:val="0"/>
    src = tmp_path / "shown.docx"
    document.save(str(src))
    assert _penalties(tmp_path, src) == (0, 3985758)
