"""Random valid reports (hypothesis): the figures read back from the rendered tables — not from
the embedded data block — are exactly the ones submitted, in both forms. This is the loop
``xxgk import`` will close; until it exists the rendered files are read here directly."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import docx
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings

from validator import api
from validator.engine import validate
from validator.formats import get_format
from validator.jsonio import dump_model, report_to_model

from support.rendering import grid, position, tables
from support.strategies import valid_submission

pytestmark = pytest.mark.slow  # hypothesis renders dozens of random reports to HTML and Word

FMT = get_format()


def submitted(submission) -> dict:
    return json.loads(dump_model(report_to_model(submission, validate(submission))))


def figure(doc: dict, key: str) -> object:
    for part in key.split("."):
        doc = doc[part]
    return doc


def same_figure(printed: str, value: object, raw: object) -> bool:
    if isinstance(value, str):  # 万元: the text as entered, and the same amount
        return printed == value and Decimal(printed) == Decimal(str(raw))
    return printed == str(value) and int(printed) == raw


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_submission())
def test_html_tables_give_back_the_submitted_figures(submission):
    page = lxml.html.fromstring(
        api.render(api.Checked(submission, validate(submission)), "html", draft=True, force=True).data
    )
    script = page.xpath('//script[@id="xxgk-report-data"]')[0]
    script.getparent().remove(script)  # the tables alone must carry the figures
    grids = {s: grid(t) for s, t in tables(page).items()}
    doc = submitted(submission)
    for cell in FMT.figure_cells():
        sheet, r, c = position(FMT, cell.key)
        printed = grids[sheet][(r, c)].text_content()
        assert same_figure(printed, figure(doc, cell.key), submission.values[cell.key]), cell.key


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_submission())
def test_docx_tables_give_back_the_submitted_figures(submission):
    word = docx.Document(
        io.BytesIO(api.render(api.Checked(submission, validate(submission)), "docx", draft=True, force=True).data)
    )
    by_sheet = {}
    for t in word.tables:
        caption = t._tbl.tblPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblCaption")
        by_sheet[caption.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")[:2]] = t
    doc = submitted(submission)
    for cell in FMT.figure_cells():
        sheet, r, c = position(FMT, cell.key)
        printed = by_sheet[sheet].cell(r, c).text
        assert same_figure(printed, figure(doc, cell.key), submission.values[cell.key]), cell.key
