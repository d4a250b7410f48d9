"""Helpers for the import tests: run ``check --json`` on a file, flatten a report's JSON."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli


def check_json(path: Path, *extra: str) -> dict:
    """``xxgk check FILE --json`` as data (any exit code)."""
    result = run_cli("check", str(path), "--json", *extra)
    return json.loads(result.out)


def flat(obj: dict, prefix: str = "") -> dict[str, object]:
    """A report's JSON as ``{dotted key: value}``."""
    out: dict[str, object] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
