"""The importer on adversarial documents (``benchmarks/adversarial.py``, the CI subset): the
three real reports and two random valid ones, written in each text layout, Markdown, HTML and
Word, once per kind of trouble (rows shuffled, 表二 in the 第二十条 order, labels on their own
line, fragments, stray numbers, a figure or a label missing, a mistyped label…), and a few as
PDF. For every document: no cell read wrong. Where every label sits beside its figures the
whole table is read; a row that cannot be placed with certainty is left unread, nothing else."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import adversarial  # noqa: E402

REPORTS = [*adversarial.real_reports(), adversarial.random_report(101), adversarial.random_report(202)]
FULLY_READ = {
    "plain",
    "shuffled",
    "article20",
    "label-before",
    "label-after",
    "fragments",
    "joined",
    "shuffled+label-before",
}
"""Kinds where every label can be tied to its figures: all 200 cells must be read."""


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> dict[tuple[str, str, str], adversarial.Variant]:
    out = tmp_path_factory.mktemp("adversarial")
    made = adversarial.make_variants(REPORTS, adversarial.KINDS, adversarial.FORMATS, out)
    return {(v.report.name, v.kind, v.form): v for v in made}


@pytest.mark.slow
@pytest.mark.parametrize("kind", adversarial.KINDS)
@pytest.mark.parametrize("form", adversarial.FORMATS)
def test_no_cell_is_ever_read_wrong(variants, kind, form):
    for report in REPORTS:
        v = variants[report.name, kind, form]
        right, wrong, unread = adversarial.read(v)
        assert wrong == 0, f"{v.path.name}: {wrong} cells read wrong"
        if kind in FULLY_READ:
            assert (right, unread) == (200, 0), f"{v.path.name}: {unread} cells unread"


ROW_WIDTHS = {0, 1, 3, 5, 7}  # nothing, or one row of 表二, 表四 or 表三


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["missing", "no-label", "typo"])
def test_only_the_troubled_row_is_left_unread_in_official_order(variants, kind):
    """One figure or one label missing, or one label mistyped, in rows otherwise in official
    order: at most that row is left unread (a mistyped or missing label between two rows
    with their labels is placed by order; at a table's edge it is not)."""
    for report in REPORTS:
        for form in ("txt-pipe", "md", "html", "docx"):
            right, wrong, unread = adversarial.read(variants[report.name, kind, form])
            assert wrong == 0 and unread in ROW_WIDTHS, (report.name, form, unread)


@pytest.mark.slow
def test_an_unlabeled_row_among_shuffled_rows_is_never_placed(variants):
    """Rows shuffled and one of them without its label: reading order says nothing of where
    it belongs, so its cells stay unread (and every labeled row is read)."""
    for report in REPORTS:
        for form in ("txt-pipe", "html", "docx"):
            right, wrong, unread = adversarial.read(variants[report.name, "shuffled+no-label", form])
            assert wrong == 0 and unread in (1, 3, 7), (report.name, form, unread)


def test_generated_random_reports_are_valid():
    """The random reports keep every sum of the format (check finds no 错误 in the tables)."""
    from validator.engine import validate
    from validator.formats import get_format
    from validator.submission import Submission

    for report in REPORTS[3:]:
        values = {**report.cells, "body.name": report.body, "year": report.year, "body.type": "部门"}
        errors = [f for f in validate(Submission(get_format(), values)).findings if f.severity == "error"]
        assert not [f for f in errors if f.rule.startswith(("T2", "T3", "T4"))], errors


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice makes the PDFs")
def test_pdf_variants_never_read_wrong(tmp_path):
    """PDFs made by LibreOffice from the Word variants: the PDF cascade too reads no cell wrong,
    and reads every cell of the tables whose labels sit beside their figures."""
    made = adversarial.make_variants(REPORTS[:3], ["shuffled", "stray", "label-after"], ["pdf"], tmp_path)
    adversarial.to_pdf(made)
    for v in made:
        assert v.path.exists(), v.path.name
        right, wrong, unread = adversarial.read(v)
        assert wrong == 0, f"{v.path.name}: {wrong} cells read wrong"
        if v.kind == "shuffled":
            assert unread == 0, f"{v.path.name}: {unread} cells unread"
