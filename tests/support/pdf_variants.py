"""Our own reports rendered to Word, changed the way real publishers' files differ (zeros left
blank, no table rulings, rows breaking across pages, a wrong total) and printed to PDF by
LibreOffice: documents for the PDF importer with known figures."""

from __future__ import annotations

from pathlib import Path

from validator.cli.program import main

from conftest import REPORTS
from support.importing import EXPECTED
from support.rendering import soffice_convert

VARIANTS = {
    "plain": (),
    "blank": ("blank",),
    "noborder": ("noborder",),
    "blank-noborder": ("blank", "noborder"),
    "blank-split": ("blank", "split"),
}
SPLIT_ROW = "1.申请人无正当理由"


def variant_docx(src: Path, dst: Path, changes: tuple[str, ...]) -> None:
    """Our rendered report with zero cells left blank, the table rulings removed, and/or rows
    allowed to break across pages with one row made taller than a page (it must break)."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(src)
    for table in document.tables:
        if "noborder" in changes:
            table.style = document.styles["Normal Table"]
        for row in table.rows:
            for cell in row.cells:
                if "blank" in changes and cell.text.strip() == "0":
                    for paragraph in cell.paragraphs:
                        for run in paragraph.runs:
                            run.text = ""
            if "wrong-total" in changes and any("（七）总计" in c.text for c in row.cells):
                last = row.cells[-1].paragraphs[0].runs[0]
                last.text = str(int(last.text) + 1)
            if "split" in changes:
                for flag in row._tr.findall(f"{qn('w:trPr')}/{qn('w:cantSplit')}"):
                    flag.getparent().remove(flag)
                tall = next((c for c in row.cells if c.text.startswith(SPLIT_ROW)), None)
                if tall is not None:
                    run = tall.paragraphs[-1].add_run()
                    for _ in range(45):
                        run.add_break()
                    tall.paragraphs[-1].add_run("（本行跨页）")
    document.save(dst)


def build_pdfs(work: Path) -> dict[tuple[str, str], Path]:
    """Every fixture report in every variant, converted to PDF by one LibreOffice run
    (the import tests and benchmarks/import_pdf.py)."""
    docs = []
    for report in EXPECTED:
        name = report["file"].removesuffix(".txt")
        plain = work / f"{name}.docx"
        assert main(["render", str(REPORTS / f"{name}.source.json"), "-o", str(plain), "--force", "--draft"]) == 0
        for variant, changes in [*VARIANTS.items(), ("wrong-total", ("wrong-total",))]:
            dst = work / f"{name}.{variant}.docx"
            variant_docx(plain, dst, changes)
            docs.append(dst)
    soffice_convert(docs, "pdf", work, timeout=600)
    return {(d.stem.split(".")[0], d.stem.split(".")[1]): d.with_suffix(".pdf") for d in docs}
