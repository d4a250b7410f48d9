"""Adversarial published reports for the importer: the same figures printed the ways that broke
readers before, and the share of cells each way is read (and that none is read wrong).

    uv run python benchmarks/adversarial.py [--random N] [--pdf] [--seed S]

Each report (the three real reports we ship, and N random valid reports) is written as a
published document in several layouts and formats, once per *kind* of trouble:

- ``plain``: as printed, for comparison;
- ``shuffled``: rows in another order within each table (表二's blocks and rows, 表三's rows,
  表四's groups), each label still beside its figures;
- ``article20``: 表二 in the 第二十条 order some PDF extractions give (行政许可…收费 first);
- ``label-before`` / ``label-after``: each row's label on its own line before / after its
  figures, as PDF → Markdown converters and LLM pipelines print them;
- ``fragments``: each table split into pieces with headings between (续表, a repeated header, a
  page number);
- ``stray``: page numbers, footnote marks, a note with a date and a unit line inside the tables;
- ``missing``: one figure of one row left out (no blank cell for it, so nothing marks its place);
- ``no-label``: one row printed without its label (in official order its place is certain);
- ``typo``: one label with a wrong character (2.其他法律行政止公开);
- ``joined``: two rows printed on one line (one table row), each label before its figures;
- compounds (``shuffled+no-label``: the unlabeled row among shuffled rows has no certain place).

Formats: text in four layouts (``pipe`` rows, a ``spaces`` layout like ``pdftotext -layout``,
``cells`` one cell per line, ``before-after`` free lines), Markdown, HTML, Word (.docx) and,
with ``--pdf``, PDF made from the Word file by LibreOffice. Every cell read must equal the
source's cell for its label or be null: :func:`score` counts right / wrong / unread, and this
prints them per kind and per format. ``tests/test_import_adversarial.py`` runs a subset in CI.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "tests" / "fixtures" / "reports"
REAL = ("fenxi-zfb_2023", "huaian-shi_2024", "pingtan_2021")
KINDS = (
    "plain",
    "shuffled",
    "article20",
    "label-before",
    "label-after",
    "fragments",
    "stray",
    "missing",
    "no-label",
    "typo",
    "joined",
    "shuffled+label-before",
    "shuffled+no-label",
    "stray+label-after",
)
TEXT_LAYOUTS = ("pipe", "spaces", "cells", "markdown")
FORMATS = ("txt-pipe", "txt-spaces", "txt-cells", "md", "html", "docx")


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Report:
    name: str
    body: str
    year: int
    cells: dict[str, object]
    """The 200 table cells by key: counts as int, 万元 as text."""


def _flat(obj: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def table_keys() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from validator.importer.text import table_keys as keys

    return keys()


def real_reports() -> list[Report]:
    keys = table_keys()
    out = []
    for name in REAL:
        data = json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))
        flat = _flat(data)
        out.append(Report(name, data["body"]["name"], data["year"], {k: flat[k] for k in keys}))
    return out


def random_report(seed: int) -> Report:
    """Figures that keep every sum of the format (row totals, （七）总计, 一＋二＝三＋四, 表四's
    totals), mostly zeros and small counts with a few large ones, as real reports have."""
    from validator.formats import gb_2021_30 as gb

    rng = random.Random(seed)

    def count() -> int:
        return rng.choice((0, 0, 0, 0, 1, 2, 3, rng.randint(4, 99), rng.randint(100, 9999)))

    cells: dict[str, object] = {}
    for _caption, _headers, rows, leaves, kind in gb.T2_BLOCKS:
        for _label, base in rows:
            for leaf in leaves:
                cells[f"{base}.{leaf}"] = (
                    f"{rng.randint(0, 99999)}.{rng.randint(0, 99)}".rstrip("0").rstrip(".")
                    if kind == "money"
                    else count()
                )
    applicants = [c for c, _ in gb.T3_COLUMNS[:-1]]
    results = [r[0] for r in gb.T3_ROWS[2:23]]
    totals = {c: 0 for c in applicants}
    for row in results + ["carried_in", "carried_forward"]:
        for c in applicants:
            value = count()
            cells[gb.t3_key(row, c)] = value
            if row in results:
                totals[c] += value
    for c in applicants:
        cells[gb.t3_key("results_total", c)] = totals[c]
        new = totals[c] + int(cells[gb.t3_key("carried_forward", c)]) - int(cells[gb.t3_key("carried_in", c)])  # type: ignore[call-overload]
        if new < 0:
            cells[gb.t3_key("carried_forward", c)] = int(cells[gb.t3_key("carried_forward", c)]) - new  # type: ignore[call-overload]
            new = 0
        cells[gb.t3_key("new", c)] = new
    for row, *_rest in gb.T3_ROWS:
        cells[gb.t3_key(row, "total")] = sum(int(cells[gb.t3_key(row, c)]) for c in applicants)  # type: ignore[call-overload]
    for group, *_rest in gb.T4_GROUPS:
        parts = [count() for _ in gb.T4_LEAVES[:-1]]
        for (leaf, _), value in zip(gb.T4_LEAVES, [*parts, sum(parts)]):
            cells[gb.t4_key(group, leaf)] = value
    return Report(f"random-{seed}", f"随机县第{seed}局", 2020 + seed % 5, {k: cells[k] for k in table_keys()})


# --------------------------------------------------------------------------- the tables as rows


@dataclass
class Row:
    label: str
    values: list[str]
    group: str | None = None
    """A 表三 group label printed with the row (its first sub-row) or a 表四 heading."""
    mark: str = ""
    """A footnote mark printed after the label."""
    joined: bool = False
    """Printed on the same line (table row) as the row before it."""


@dataclass
class Extra:
    """A line inside a table that is no row: a heading, a page number, a note."""

    text: str


@dataclass
class Table:
    title: str
    heading: str
    items: list[Row | Extra | str] = field(default_factory=list)
    """Rows, extra lines, and header texts (``str``: a caption or a column header line)."""
    columns: list[str] = field(default_factory=list)
    t4: bool = False


def _show(value: object) -> str:
    return str(value)


def tables_of(report: Report) -> list[Table]:
    from validator.formats import gb_2021_30 as gb

    c = report.cells
    t2 = Table("二、主动公开政府信息情况", "表二")
    for caption, headers, rows, leaves, _kind in gb.T2_BLOCKS:
        t2.items.append(caption)
        t2.items.append("信息内容 | " + " | ".join(headers))
        for label, base in rows:
            t2.items.append(Row(label, [_show(c[f"{base}.{leaf}"]) for leaf in leaves]))
    t3 = Table("三、收到和处理政府信息公开申请情况", "表三")
    t3.items += [
        gb.T3_NOTE,
        "申请人情况",
        "自然人 | 法人或其他组织 | 总计",
        "商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他",
    ]
    seen_groups: set[str] = set()
    for key, level1, group, sub, _short in gb.T3_ROWS:
        label = sub or group or level1
        first = None
        if sub and group not in seen_groups:
            first = group
            seen_groups.add(group or "")
        elif group and not sub and level1 not in seen_groups:
            first = level1
            seen_groups.add(level1)
        t3.items.append(Row(label, [_show(c[gb.t3_key(key, col)]) for col, _ in gb.T3_COLUMNS], first))
    t4 = Table("四、政府信息公开行政复议、行政诉讼情况", "表四", t4=True)
    t4.columns = [name for _k, name in gb.T4_LEAVES]
    for group, top, sub in gb.T4_GROUPS:
        label = f"{top}（{sub}）" if sub else top
        t4.items.append(Row(label, [_show(c[gb.t4_key(group, leaf)]) for leaf, _ in gb.T4_LEAVES], sub))
    return [t2, t3, t4]


def _rows(table: Table) -> list[Row]:
    return [it for it in table.items if isinstance(it, Row)]


def mutate(tables: list[Table], kind: str, rng: random.Random) -> list[Table]:
    """The tables with the kind's trouble (see the module doc; ``a+b`` applies both); figures
    never change except ``missing``'s one left-out figure."""
    for part in kind.split("+"):
        tables = _mutate(tables, part, rng)
    return tables


def _mutate(tables: list[Table], kind: str, rng: random.Random) -> list[Table]:
    t2, t3, t4 = (replace(t, items=list(t.items)) for t in tables)
    if kind in ("no-label", "typo"):
        t = rng.choice((t2, t3))
        rows = [i for i, it in enumerate(t.items) if isinstance(it, Row) and it.label]
        at = rng.choice(rows)
        item = t.items[at]
        assert isinstance(item, Row)
        if kind == "no-label":
            t.items[at] = replace(item, label="", group=None)
        else:
            chars = [i for i, ch in enumerate(item.label) if "\u4e00" <= ch <= "\u9fff"]
            i = rng.choice(chars[1:] or chars)
            t.items[at] = replace(item, label=item.label[:i] + "止" + item.label[i + 1 :])
    if kind == "joined":
        for t in (t2, t3):
            rows = [
                i
                for i, it in enumerate(t.items)
                if isinstance(it, Row) and not it.group and i > 0 and isinstance(t.items[i - 1], Row)
            ]
            for at in rng.sample(rows, min(2, len(rows))):
                item = t.items[at]
                assert isinstance(item, Row)
                t.items[at] = replace(item, joined=True)
    if kind == "shuffled":
        blocks = _t2_blocks(t2)
        rng.shuffle(blocks)
        for block in blocks:
            head, rows = block[:2], block[2:]
            rng.shuffle(rows)
            block[:] = head + rows
        t2.items = [it for block in blocks for it in block]
        heads = [it for it in t3.items if isinstance(it, str)]
        rows3 = _rows(t3)
        rng.shuffle(rows3)
        t3.items = [*heads, *rows3]
        rows4 = _rows(t4)
        rng.shuffle(rows4)
        t4.items = list(rows4)
    elif kind == "article20":
        blocks = _t2_blocks(t2)
        t2.items = [it for block in (*blocks[1:], blocks[0]) for it in block]
    elif kind == "fragments":
        for t in (t2, t3, t4):
            rows = [i for i, it in enumerate(t.items) if isinstance(it, Row)]
            for at in sorted(rng.sample(rows[1:], min(2, len(rows) - 1)), reverse=True):
                heads = [it for it in t.items if isinstance(it, str)][-2:] if t.heading == "表三" else []
                piece = rng.choice(
                    [[Extra("（续表）")], [Extra(f"{t.heading}（续）"), *heads], [Extra(f"-{rng.randint(2, 9)}-")]]
                )
                t.items[at:at] = piece
    elif kind == "stray":
        marks = ["¹", "[1]", "²", "[2]"]
        for t in (t2, t3, t4):
            rows = [i for i, it in enumerate(t.items) if isinstance(it, Row)]
            for at in sorted(rng.sample(rows, min(3, len(rows))), reverse=True):
                item = t.items[at]
                assert isinstance(item, Row)
                if rng.random() < 0.5 and not t.t4:
                    t.items[at] = replace(item, mark=rng.choice(marks))
                else:
                    page = rng.randint(2, 9)
                    t.items.insert(
                        at, Extra(rng.choice([str(page), f"第 {page} 页", f"- {page} -", f"第{page}页 共9页"]))
                    )
            t.items.append(Extra(f"注：1. 本表数据统计期限截至 {2000 + rng.randint(20, 25)} 年 12 月 31 日。"))
        fees = [i for i, it in enumerate(t2.items) if isinstance(it, Row) and it.values == [_show_fee(it)]]
        t2.items.insert(fees[-1] if fees else len(t2.items), Extra("（单位：万元）"))
    elif kind == "missing":
        t = rng.choice((t2, t3, t4))
        rows = [i for i, it in enumerate(t.items) if isinstance(it, Row) and len(it.values) > 1]
        at = rng.choice(rows)
        item = t.items[at]
        assert isinstance(item, Row)
        values = list(item.values)
        del values[rng.randrange(len(values))]
        t.items[at] = replace(item, values=values)
    return [t2, t3, t4]


def _show_fee(row: Row) -> str:
    """The row's figure when it is 万元 (a decimal or the fee row's own figure), else ''."""
    return row.values[0] if len(row.values) == 1 and ("." in row.values[0] or "收费" in row.label) else ""


def _t2_blocks(t2: Table) -> list[list[Row | Extra | str]]:
    blocks: list[list[Row | Extra | str]] = []
    for it in t2.items:
        if isinstance(it, str) and it.startswith("第二十条"):
            blocks.append([])
        blocks[-1].append(it)
    return blocks


# --------------------------------------------------------------------------- text


NARRATIVE = {
    "一、总体情况": "本年度政府信息公开工作按照条例要求有序开展。",
    "五、存在的主要问题及改进情况": "存在的问题：公开的及时性还需提高。下一步将加强培训。",
    "六、其他需要报告的事项": "本机关本年度未收取信息处理费。",
}


def _label_text(row: Row, layout: str) -> str:
    label = row.label + row.mark
    if layout == "markdown" and row.mark:
        label = row.label + "[^" + row.mark.strip("[]¹²") + "]" if row.mark.startswith("[") else label
    return label


def _text_lines(table: Table, layout: str, kind: str) -> list[str]:
    """One table in a text layout; the kinds label-before / label-after move each label."""
    lines: list[str] = []
    own_line = _own_line(kind)
    after = "label-after" in kind.split("+")
    for it in table.items:
        if isinstance(it, Extra):
            lines.append(it.text)
            continue
        if isinstance(it, str):
            if layout == "markdown" and "|" in it:
                cells = it.split(" | ")
                lines += ["| " + " | ".join(cells) + " |", "|" + "---|" * len(cells)]
            elif layout == "cells":
                lines += it.split(" | ") + [""]
            else:
                lines.append(it if layout == "pipe" else "    ".join(it.split(" | ")))
            continue
        label = _label_text(it, layout)
        if it.group and not table.t4 and layout != "pipe":
            lines.append(it.group)
        elif it.group and not table.t4:
            label = f"{it.group} | {label}"
        if layout == "cells":
            figures = list(it.values)
            block = figures + [label] if after else [label, *figures]
            block = [line for line in block if line]
            lines += [*block, ""]
            continue
        sep = {"pipe": " | ", "markdown": " | ", "spaces": "       "}[layout]
        figures = sep.join(it.values)
        if own_line:
            values = "| " + figures + " |" if layout == "markdown" else figures
            label_line = f"**{label}**" if layout == "markdown" else label
            lines += [values, label_line] if after else [label_line, values]
        elif not label:  # printed without its label
            lines.append(f"| {figures} |" if layout == "markdown" else figures)
        elif it.joined and lines and lines[-1].strip():  # on the line of the row before
            lines[-1] = lines[-1].rstrip(" |") + sep + f"{label}{sep}{figures}" + (" |" if layout == "markdown" else "")
        elif layout == "markdown":
            lines.append(f"| {label} | {figures} |")
        elif layout == "spaces":
            lines.append(f"      {label:<30}  {figures}")
        else:
            lines.append(f"{label} | {figures}")
    if table.t4 and layout == "spaces" and kind in ("plain", "no-label", "typo"):
        return _t4_headings(table)
    return lines


def _t4_headings(table: Table) -> list[str]:
    """表四 as ``pdftotext -layout`` prints it: a heading block, then the 15 figures."""
    rows = _rows(table)
    top = "行政复议                          行政诉讼"
    sub = "                              未经复议直接起诉                              复议后起诉"
    leaves = "    ".join(table.columns) + "    " + "    ".join(table.columns * 2)
    return [top, sub, leaves, "   ".join(v for r in rows for v in r.values)]


def _own_line(kind: str) -> bool:
    parts = kind.split("+")
    return "label-before" in parts or "label-after" in parts


def write_text(report: Report, tables: list[Table], layout: str, kind: str) -> str:
    parts = [f"{report.body}{report.year}年政府信息公开工作年度报告", "", "一、总体情况", NARRATIVE["一、总体情况"], ""]
    for table in tables:
        parts.append(f"## {table.title}" if layout == "markdown" else table.title)
        parts += _text_lines(table, layout, kind)
        parts.append("")
    for head in ("五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        parts += [head, NARRATIVE[head], ""]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- HTML


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _label_html(row: Row) -> str:
    mark = f"<sup>{_esc(row.mark.strip('[]'))}</sup>" if row.mark else ""
    return _esc(row.label) + mark


def write_html(report: Report, tables: list[Table], kind: str) -> str:
    own_line = _own_line(kind)
    after = "label-after" in kind.split("+")
    out = [f"<html><head><meta charset='utf-8'><title>{_esc(report.body)}</title></head><body><div id='zoom'>"]
    out.append(f"<h1>{_esc(report.body)}{report.year}年政府信息公开工作年度报告</h1>")
    out.append(f"<h2>一、总体情况</h2><p>{NARRATIVE['一、总体情况']}</p>")
    for table in tables:
        out.append(f"<h2>{_esc(table.title)}</h2><table border='1'>")
        for it in table.items:
            if isinstance(it, Extra):
                if "fragments" in kind.split("+"):
                    out.append(f"</table><p>{_esc(it.text)}</p><table border='1'>")
                else:
                    out.append(f"<tr><td colspan='9'>{_esc(it.text)}</td></tr>")
            elif isinstance(it, str):
                out.append("<tr>" + "".join(f"<th>{_esc(c)}</th>" for c in it.split(" | ")) + "</tr>")
            else:
                figures = "".join(f"<td>{_esc(v)}</td>" for v in it.values)
                group = f"<td>{_esc(it.group)}</td>" if it.group and not table.t4 else ""
                if own_line:
                    label = f"<tr><td colspan='9'>{group and _esc(it.group or '') + ' '}{_label_html(it)}</td></tr>"
                    values = f"<tr>{figures}</tr>"
                    out += [values, label] if after else [label, values]
                else:
                    label = f"<td>{_label_html(it)}</td>" if it.label else ""
                    if it.joined and out[-1].endswith("</tr>"):
                        out[-1] = out[-1].removesuffix("</tr>") + f"{group}{label}{figures}</tr>"
                    else:
                        out.append(f"<tr>{group}{label}{figures}</tr>")
        out.append("</table>")
    for head in ("五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        out.append(f"<h2>{head}</h2><p>{NARRATIVE[head]}</p>")
    out.append("</div></body></html>")
    return "\n".join(out)


# --------------------------------------------------------------------------- Word


def write_docx(report: Report, tables: list[Table], kind: str, path: Path) -> Path:
    import docx

    own_line = _own_line(kind)
    after = "label-after" in kind.split("+")
    document = docx.Document()
    document.add_paragraph(f"{report.body}{report.year}年政府信息公开工作年度报告")
    document.add_paragraph("一、总体情况")
    document.add_paragraph(NARRATIVE["一、总体情况"])
    for table in tables:
        document.add_paragraph(table.title)
        rows: list[list[tuple[str, str]]] = []  # each row's cells as (text, superscript mark)

        for it in table.items:
            if isinstance(it, Extra):
                if "fragments" in kind.split("+"):
                    _flush(document, rows)
                    document.add_paragraph(it.text)
                else:
                    rows.append([(it.text, "")])
            elif isinstance(it, str):
                rows.append([(c, "") for c in it.split(" | ")])
            else:
                figures = [(v, "") for v in it.values]
                label = (it.label, it.mark.strip("[]"))
                group = [(it.group, "")] if it.group and not table.t4 else []
                if own_line:
                    label_row = [(" ".join(t for t, _m in [*group, label]), label[1])]
                    rows += [figures, label_row] if after else [label_row, figures]
                else:
                    rows.append([*group, label, *figures] if label[0] else figures)
        _flush(document, rows)
    for head in ("五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        document.add_paragraph(head)
        document.add_paragraph(NARRATIVE[head])
    document.save(str(path))
    return path


def _flush(document, rows: list[list[tuple[str, str]]]) -> None:
    if rows:
        _docx_table(document, rows)
        rows.clear()


def _docx_table(document, rows: list[list[tuple[str, str]]]) -> None:
    """A table whose rows have as many physical cells as given: a shorter row's last cell
    spans the rest of the grid (one physical cell, as Word merges it)."""
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, cells in enumerate(rows):
        row = table.rows[r]
        if len(cells) < width:
            row.cells[len(cells) - 1].merge(row.cells[width - 1])
        for c, (text, mark) in enumerate(cells):
            paragraph = row.cells[c].paragraphs[0]
            paragraph.add_run(text)
            if mark:
                paragraph.add_run(mark).font.superscript = True


# --------------------------------------------------------------------------- reading and scoring


def score(values: dict[str, object], cells: dict[str, object]) -> tuple[int, int, int]:
    """(right, wrong, unread) of the 200 cells: a cell read must equal the source's."""
    right = wrong = unread = 0
    for key, want in cells.items():
        got = values.get(key)
        if isinstance(got, Decimal):
            got = str(got)
        if got is None:
            unread += 1
        elif str(got) == str(want) and type(got) is type(want):
            right += 1
        else:
            wrong += 1
    return right, wrong, unread


@dataclass
class Variant:
    report: Report
    kind: str
    form: str
    path: Path


def make_variants(
    reports: Iterable[Report], kinds: Iterable[str], forms: Iterable[str], out: Path, seed: int = 0
) -> list[Variant]:
    """Every report × kind × format written under `out` (a ``pdf`` form writes the Word
    file; :func:`to_pdf` converts them)."""
    variants = []
    kinds, forms = list(kinds), list(forms)
    for report in reports:
        for kind in kinds:
            rng = random.Random(f"{seed}-{report.name}-{kind}")
            tables = mutate(tables_of(report), kind, rng)
            for form in forms:
                stem = f"{report.name}.{kind}.{form}"
                if form.startswith("txt-") or form == "md":
                    layout = form.removeprefix("txt-") if form != "md" else "markdown"
                    path = out / f"{stem}.{'md' if form == 'md' else 'txt'}"
                    path.write_text(write_text(report, tables, layout, kind), encoding="utf-8")
                elif form == "html":
                    path = out / f"{stem}.html"
                    path.write_text(write_html(report, tables, kind), encoding="utf-8")
                elif form in ("docx", "pdf"):
                    path = write_docx(report, tables, kind, out / f"{stem}.docx")
                    if form == "pdf":
                        path = path.with_suffix(".pdf")
                else:
                    raise ValueError(form)
                variants.append(Variant(report, kind, form, path))
    return variants


def to_pdf(variants: list[Variant]) -> None:
    """LibreOffice converts every ``pdf`` variant's Word file, in one run per folder."""
    exe = shutil.which("soffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) is needed for the PDF variants")
    docs = [v.path.with_suffix(".docx") for v in variants if v.form == "pdf"]
    if not docs:
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf"]
            + ["--outdir", str(docs[0].parent), *map(str, docs)],
            check=False,
            capture_output=True,
            timeout=1200,
        )


def read(variant: Variant) -> tuple[int, int, int]:
    """The variant imported (a refusal reads nothing) and scored."""
    from validator.errors import UnusableInput
    from validator.importer.document import read_document

    try:
        imported = read_document(variant.path)
    except UnusableInput:
        return 0, 0, len(variant.report.cells)
    return score(imported.values, variant.report.cells)


def tally(variants: list[Variant], by: Callable[[Variant], str]) -> dict[str, list[int]]:
    """right / wrong / unread and documents, summed by `by` (kind or format)."""
    out: dict[str, list[int]] = {}
    for v in variants:
        right, wrong, unread = read(v)
        row = out.setdefault(by(v), [0, 0, 0, 0])
        row[0] += right
        row[1] += wrong
        row[2] += unread
        row[3] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--random", type=int, default=20, help="random valid reports besides the real ones")
    ap.add_argument("--pdf", action="store_true", help="also PDF made from the Word files by LibreOffice")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    reports = real_reports() + [random_report(args.seed * 1000 + i) for i in range(args.random)]
    forms = [*FORMATS, *(("pdf",) if args.pdf else ())]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        variants = make_variants(reports, KINDS, forms, Path(tmp), args.seed)
        to_pdf(variants)
        made = time.perf_counter() - start
        start = time.perf_counter()
        results = {id(v): read(v) for v in variants}
        took = time.perf_counter() - start
    print(f"{len(reports)} reports × {len(KINDS)} kinds × {len(forms)} formats = {len(variants)} documents")
    print(f"made in {made:.1f} s, imported in {took:.1f} s ({1000 * took / len(variants):.1f} ms per document)")
    for title, by in (("kind", lambda v: v.kind), ("format", lambda v: v.form)):
        sums: dict[str, list[int]] = {}
        for v in variants:
            row = sums.setdefault(by(v), [0, 0, 0])
            for i, n in enumerate(results[id(v)]):
                row[i] += n
        print(f"\n{title:<14} {'right':>7} {'wrong':>6} {'unread':>7} {'read %':>7}")
        for name, (right, wrong, unread) in sums.items():
            total = right + wrong + unread
            print(f"{name:<14} {right:>7} {wrong:>6} {unread:>7} {100 * (right + wrong) / total:>6.1f}%")
    wrong = sum(r[1] for r in results.values())
    print(f"\nwrong cells in all: {wrong}")


if __name__ == "__main__":
    main()
