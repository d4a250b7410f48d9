"""Registry of the report formats this tool knows, by id (``gb-2021-30``)."""

from __future__ import annotations

from functools import cache

from validator.spec import FormatSpec

DEFAULT_FORMAT = "gb-2021-30"
_MODULES = {"gb-2021-30": "validator.formats.gb_2021_30"}


def known_formats() -> tuple[str, ...]:
    return tuple(_MODULES)


@cache
def get_format(format_id: str = DEFAULT_FORMAT) -> FormatSpec:
    """The format's data, built once per process."""
    import importlib

    try:
        module = importlib.import_module(_MODULES[format_id])
    except KeyError:
        raise KeyError(format_id) from None
    return module.build()
