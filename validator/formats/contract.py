"""The format contract (see :mod:`validator.formats` and docs/formats.md) as a check.

:func:`format_problems` lists every way a built :class:`FormatSpec` breaks what the engine,
model, JSON, reader, writers and add-in rely on; an empty list means the format can be
registered. Tests run it for every registered format (and for the synthetic one).
"""

from __future__ import annotations

from validator import results
from validator.checks import rule_problems
from validator.formats import REQUIRED_KEYS
from validator.formats.live import live_checks
from validator.spec import FormatSpec, split_ref

RESULT_HEADER_COLUMNS = results.WIDTH


def format_problems(fmt: FormatSpec) -> list[str]:
    out: list[str] = []
    sheets = [s.name for s in fmt.sheets]
    if len(set(sheets)) != len(sheets):
        out.append("sheet names repeat")
    places = [("marker_cell", fmt.marker_cell), ("version_cell", fmt.version_cell), ("status_cell", fmt.status_cell)]
    places += [(f"cell {c.key}", (c.sheet, c.ref)) for c in (*fmt.cells, *fmt.baseline_cells)]
    places += [(f"label {lb.ref}", (lb.sheet, lb.ref)) for lb in fmt.labels]
    rule_out = [p for rule in fmt.rules for p in rule_problems(fmt, rule)]
    if not rule_out:  # the relations name real cells: their live checks can be placed
        places += [(f"live check {ch.ref}", (ch.sheet, ch.ref)) for ch in live_checks(fmt)]
    for what, (sheet, ref) in places:
        if sheet not in sheets:
            out.append(f"{what}: no sheet {sheet!r}")
        try:
            split_ref(ref)
        except ValueError:
            out.append(f"{what}: bad reference {ref!r}")
    keys = [c.key for c in (*fmt.cells, *fmt.baseline_cells)]
    if len(set(keys)) != len(keys):
        out.append("cell keys repeat")
    refs = [(c.sheet, c.ref) for c in (*fmt.cells, *fmt.baseline_cells)]
    if len(set(refs)) != len(refs):
        out.append("two cells share one position")
    for key in REQUIRED_KEYS:
        if key not in keys:
            out.append(f"required cell {key!r} missing")
    if "body.type" in keys and not fmt.cell("body.type").choices:
        out.append("body.type has no choices")
    if fmt.results_sheet not in sheets:
        out.append(f"results sheet {fmt.results_sheet!r} is not a sheet")
    header = [
        lb for lb in fmt.labels if lb.sheet == fmt.results_sheet and split_ref(lb.ref)[0] == fmt.results_header_row - 1
    ]
    if [lb.text for lb in sorted(header, key=lambda lb: split_ref(lb.ref)[1])] != [c.header for c in results.COLUMNS]:
        out.append("校验结果 header is not validator.results.COLUMNS")
    expected = {f"last_year.{k}" for k in fmt.baseline_keys} | {"last_year.year"}
    if {c.key for c in fmt.baseline_cells} != expected:
        out.append("baseline_cells are not last_year.<baseline_keys> plus last_year.year")
    for this, last in fmt.carry_over:
        for key in (this, last):
            if key not in keys:
                out.append(f"carry_over names no cell {key!r}")
    ids = [r.id for r in fmt.rules]
    if len(set(ids)) != len(ids):
        out.append("rule ids repeat")
    return out + rule_out
