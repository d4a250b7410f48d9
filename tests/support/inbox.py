"""A receiving office's inbox for tests: reports written as files, ``xxgk collect`` run on it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from conftest import ROOT, Result, run_cli

EXAMPLE_JSON = ROOT / "examples" / "fenxi-zfb_2023.json"


def example(**body: object) -> dict:
    """The example report (汾西县人民政府办公室, 2023) with body fields replaced."""
    data = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    data["body"].update(body)
    return data


def changed(data: dict, key: str, value: object) -> dict:
    """A copy with the figure at dotted `key` set to `value`."""
    out = copy.deepcopy(data)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return out


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def collect(inbox: Path, out_dir: Path, *args: object) -> tuple[Result, dict]:
    """``xxgk collect inbox`` with the 汇总 workbook and result JSON written in `out_dir`; the
    result JSON (empty when the run wrote none) comes back with the run."""
    result_json = out_dir / "结果.json"
    result_json.unlink(missing_ok=True)
    res = run_cli("collect", inbox, "-o", out_dir / "汇总.xlsx", "--json", result_json, "--quiet", *args)
    data = json.loads(result_json.read_text(encoding="utf-8")) if result_json.exists() else {}
    return res, data


def in_force(data: dict) -> int:
    """合计 of 现行有效规范性文件 in a collect result."""
    return data["totals"]["合计"]["figures"]["proactive.normative_documents.in_force"]
