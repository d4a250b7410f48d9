"""The web page: one self-contained HTML file a webmaster pastes into the site's CMS.

Jinja2 with autoescaping, so narrative text is always text (a ``<script>`` typed into a
narrative is shown, never run). The only ``<script>`` is the non-executable data block with
the normalized JSON, escaped so that nothing in it can end the element.
"""

from __future__ import annotations

from pathlib import Path

from validator import __version__
from validator.render.document import Document
from validator.render.layout import GridCell

DATA_BLOCK_ID = "xxgk-report-data"
TITLE_TAIL = "工作年度报告"
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_for_script(text: str) -> str:
    """JSON text safe inside ``<script type="application/json">``: the characters that could
    close the element or start a comment become JSON escapes (valid only inside strings,
    the only place they can occur), so parsing the block gives back the same data."""
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


def title_pieces(rest: str) -> tuple[str, ...]:
    """The title's second line in the pieces a narrow screen may wrap between
    (``2024年政府信息公开`` / ``工作年度报告``), never inside a word."""
    head = rest.removesuffix(TITLE_TAIL)
    return (head, TITLE_TAIL) if head != rest and head else (rest,)


def render_html(doc: Document) -> bytes:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup, escape

    def cell(c: GridCell) -> Markup:
        spans = "".join(f' {name}="{n}"' for name, n in (("rowspan", c.rowspan), ("colspan", c.colspan)) if n > 1)
        if c.key:
            return Markup('<td class="xxgk-num" data-key="{}"{}>{}</td>').format(c.key, Markup(spans), doc.shown(c.key))
        scope = Markup(' scope="{}"').format(c.scope) if c.scope else ""
        return Markup("<th{}{}>{}</th>").format(scope, Markup(spans), escape(c.text))

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    body, rest = doc.title_lines
    page = env.get_template("report.html.j2").render(
        doc=doc,
        cell=cell,
        version=__version__,
        data_block=Markup(json_for_script(doc.data_json.rstrip("\n"))),
        title_body=body,
        title_rest=title_pieces(rest),
    )
    return page.encode("utf-8")
