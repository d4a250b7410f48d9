"""Registry of the report formats this tool knows, by id (``gb-2021-30``).

The contract a format meets (checked for every registered format by
``tests/test_formats.py::test_every_format_meets_the_contract``; prose in docs/formats.md):

- a module with ``FORMAT_ID`` and ``build() -> FormatSpec`` (registered below, or at run time
  with :func:`register`), building the same data every call;
- the spec's ``marker_cell`` holds ``id`` in its templates, so a workbook names its format;
  ``version_cell``, ``status_cell`` and every label, cell and live check sit on one of its sheets;
- the cells in :data:`REQUIRED_KEYS` exist (the engine, JSON model, ``new`` and ``collect`` read
  them by key); ``body.type`` is a choice (its choices are the body types profiles may name);
- ``results_sheet`` is one of its sheets with the 10-column 校验结果 header
  (:data:`validator.results.COLUMNS`) on ``results_header_row``;
- every rule names a registered check, its params fit that check's declared parameter type,
  every cell key in them exists, and its message uses only the fields the check provides;
- ``baseline_cells`` are ``last_year.<key>`` for each of ``baseline_keys`` (plus ``last_year.year``),
  and ``carry_over`` pairs name existing cells;
- ``template`` False marks a read-only format (checked and imported, no template offered).
"""

from __future__ import annotations

from collections.abc import Callable

from validator.spec import FormatSpec

DEFAULT_FORMAT = "gb-2021-30"
REQUIRED_KEYS = ("body.name", "body.type", "body.region_code", "body.credit_code", "year", "published_on")
"""Cells every format has: read by key outside the format data (engine, model, new, collect)."""

_MODULES: dict[str, str | Callable[[], FormatSpec]] = {
    "gb-2021-30": "validator.formats.gb_2021_30",
    "gb-2019-60": "validator.formats.gb_2019_60",
}


def known_formats() -> tuple[str, ...]:
    return tuple(_MODULES)


def template_formats() -> tuple[str, ...]:
    """Formats a blank template is offered for (read-only formats are left out)."""
    return tuple(f for f in known_formats() if get_format(f).template)


def register(format_id: str, build: Callable[[], FormatSpec]) -> None:
    """Add a format at run time (a plug-in, or a test's synthetic format)."""
    _MODULES[format_id] = build
    _BUILT.pop(format_id, None)


def unregister(format_id: str) -> None:
    _MODULES.pop(format_id, None)
    _BUILT.pop(format_id, None)


_BUILT: dict[str, FormatSpec] = {}


def get_format(format_id: str = DEFAULT_FORMAT) -> FormatSpec:
    """The format's data, built once per process (caches elsewhere key on the object)."""
    import importlib

    if format_id in _BUILT:
        return _BUILT[format_id]
    try:
        source = _MODULES[format_id]
    except KeyError:
        raise KeyError(format_id) from None
    fmt = source() if callable(source) else importlib.import_module(source).build()
    return _BUILT.setdefault(format_id, fmt)
