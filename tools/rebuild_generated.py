"""Developer tool: rebuild every committed file that derives from the format data.

Run by hand (``uv run python tools/rebuild_generated.py``) after a change to the format, the
template builder or the writers: the templates in ``xlsx_templates/``, ``docs/report.schema.json``,
the filled fixture workbooks (from the committed ``*.source.json``), the example, the
format snapshots ``docs/formats/<id>.json``, the board's ``docs/openapi.json`` and the tables
generated into ``docs/rules.md`` and ``docs/json.md`` (between their ``<!-- generated -->`` marks). Unlike
``make_report_fixtures.py`` it does not read ``../shared``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from validator.cli.program import main as cli  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "reports"


def write_snapshots() -> None:
    from validator.docs import spec_snapshot
    from validator.formats import get_format, known_formats

    folder = ROOT / "docs" / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    for fmt_id in known_formats():
        (folder / f"{fmt_id}.json").write_text(spec_snapshot(get_format(fmt_id)), encoding="utf-8")


def write_openapi() -> None:
    import json

    from validator.serve.openapi import spec

    text = json.dumps(spec(), ensure_ascii=False, indent=2) + "\n"
    (ROOT / "docs" / "openapi.json").write_text(text, encoding="utf-8")


END_MARK = "<!-- end generated -->"


def write_doc_tables() -> None:
    """The tables in docs/ that `xxgk rules --markdown [--keys]` prints, rewritten between their marks."""
    from validator.docs import keys_markdown, rules_markdown

    for name, mark, table in (
        ("rules.md", "<!-- generated: xxgk rules --markdown -->", rules_markdown()),
        ("json.md", "<!-- generated: xxgk rules --markdown --keys -->", keys_markdown()),
    ):
        page = ROOT / "docs" / name
        head, rest = page.read_text(encoding="utf-8").split(mark + "\n", 1)
        tail = rest.split(END_MARK, 1)[1]
        page.write_text(f"{head}{mark}\n{table}\n{END_MARK}{tail}", encoding="utf-8")


def main() -> None:
    assert cli(["template", "-o", str(ROOT / "xlsx_templates")]) == 0
    assert cli(["schema", "-o", str(ROOT / "docs" / "report.schema.json")]) == 0
    write_snapshots()
    write_openapi()
    write_doc_tables()
    for source in sorted(FIXTURES.glob("*.source.json")):
        book = FIXTURES / source.name.replace(".source.json", ".xlsx")
        assert cli(["fill", str(source), "-o", str(book)]) == 0
    example = ROOT / "examples" / "fenxi-zfb_2023.xlsx"
    shutil.copyfile(FIXTURES / "fenxi-zfb_2023.xlsx", example)
    assert cli(["export", str(example), "-o", str(example.with_suffix(".json"))]) == 0


if __name__ == "__main__":
    main()
