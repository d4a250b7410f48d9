"""What the published report says, independent of Word or HTML: title, opening, six sections.

Built from the normalized JSON that ``xxgk export`` writes for the same input, so every figure
printed is the figure submitted (a 总计 is printed as entered and checked, never recomputed).
Section headings are the format's sheet titles and narrative labels; tables come from
:mod:`validator.render.layout`. The title is printed without 《》: the brackets quote a
document's name in running text, and published reports head their page without them.

The title prints on two lines, broken after the body's name (``淮安市人民政府`` /
``2024年政府信息公开工作年度报告``), as published reports set it. The report ends with its
落款: the body's name and, below it, the publication date (``published_on``) written as
``2024年1月29日``. Without a publication date the 落款 is the name alone: a date the data does
not hold is never made up, and a blank ``年　月　日`` would be published as it stands.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from validator.render.layout import TableGrid, table_grid
from validator.spec import FormatSpec

TABLE_SHEETS = ("表二", "表三", "表四")
NARRATIVE_PREFIX = "narrative."
PLACEHOLDER = "（{heading}：待填写）"
"""What ``--draft`` prints for an empty narrative part, visibly not report text."""


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    """The narrative split at its line breaks, verbatim (blank lines kept as empty paragraphs)."""
    table: TableGrid | None = None
    placeholder: bool = False


@dataclass(frozen=True)
class Document:
    title: str
    opening: str
    sections: tuple[Section, ...]
    values: dict[str, object]
    """Figure key -> value as in the JSON (int, decimal string for 万元, None when unreadable)."""
    data_json: str
    """The normalized JSON, exactly as ``xxgk export`` would write it."""
    valid: bool
    errors: int
    body: str
    year: int | None
    published_on: dt.date | None = None

    @property
    def title_lines(self) -> tuple[str, str]:
        """The title as printed: the body's name, then ``{year}年政府信息公开工作年度报告``."""
        return self.body, self.title[len(self.body) :]

    @property
    def signature(self) -> tuple[str, ...]:
        """The 落款 lines: the body's name, and the publication date when the data has one."""
        return (self.body, date_text(self.published_on)) if self.published_on else (self.body,)

    @property
    def incomplete(self) -> bool:
        """Some narrative part is a ``--draft`` placeholder."""
        return any(s.placeholder for s in self.sections)

    def shown(self, key: str) -> str:
        """A figure as printed: counts as integers, 万元 as entered, blank when unreadable."""
        value = self.values.get(key)
        return "" if value is None else str(value)


class MissingNarrative(Exception):
    """Narrative parts left empty; the report cannot be published without them."""

    def __init__(self, headings: list[str]) -> None:
        super().__init__("、".join(headings))
        self.headings = headings

    def message(self, excel: bool = False) -> str:
        """What to tell staff: which parts, and how to get a draft (not from Excel's button)."""
        draft = "" if excel else "（或加 --draft 生成带占位文字的草稿）"
        return (
            f"文字部分未填写：{'、'.join(self.headings)}。报告不完整，未生成。请在“文字部分”表中填写后再生成{draft}。"
        )


def _value(doc: dict, key: str) -> object:
    node: object = doc
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def date_text(date: dt.date) -> str:
    """A date as 公文 write it: Arabic numerals, no leading zeros (``2024年1月29日``)."""
    return f"{date.year}年{date.month}月{date.day}日"


def opening_text(body: str, year: int | None) -> str:
    """The customary opening paragraph of the 2021 format: basis, contents, statistical period."""
    period = f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。" if year else ""
    return (
        "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》"
        f"（国办公开办函〔2021〕30号）编制。报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
        f"政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项六部分组成。{period}"
    )


def build_document(fmt: FormatSpec, data_json: bytes, draft: bool = False) -> Document:
    """The report's content from the normalized JSON; raises MissingNarrative unless `draft`."""
    doc = json.loads(data_json)
    body = doc["body"]["name"] or "（机关名称）"
    year = doc.get("year")
    narrative = [c for c in fmt.cells if c.key.startswith(NARRATIVE_PREFIX)]
    missing = [c.label for c in narrative if not str(_value(doc, c.key) or "").strip()]
    if missing and not draft:
        raise MissingNarrative(missing)
    titles = {s.name: s.title for s in fmt.sheets}
    texts = {c.label: str(_value(doc, c.key) or "") for c in narrative}
    sections = [_narrative(h, t) for h, t in texts.items()]
    sections += [Section(titles[s], table=table_grid(fmt, s)) for s in TABLE_SHEETS]
    sections.sort(key=lambda s: "一二三四五六".index(s.heading[0]))
    values = {c.key: _value(doc, c.key) for c in fmt.figure_cells()}
    validation = doc.get("validation") or {}
    return Document(
        title=f"{body}{year if year is not None else ''}年政府信息公开工作年度报告",
        opening=opening_text(body, year),
        sections=tuple(sections),
        values=values,
        data_json=data_json.decode("utf-8"),
        valid=bool(validation.get("valid", True)),
        errors=int(validation.get("errors", 0)),
        body=body,
        year=year,
        published_on=dt.date.fromisoformat(doc["published_on"]) if doc.get("published_on") else None,
    )


def _narrative(heading: str, text: str) -> Section:
    if not text.strip():
        return Section(heading, (PLACEHOLDER.format(heading=heading),), placeholder=True)
    return Section(heading, tuple(text.split("\n")))
