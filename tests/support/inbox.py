"""A receiving office's inbox for tests: reports written as files, ``xxgk collect`` run on it.

:class:`Inbox` is a realistic inbox built from the three real reports and mutations of them;
:func:`independent_sum` adds figures without validator.collect, so tests can compare its 汇总."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

from validator.formats import get_format
from validator.formats.gb_2021_30 import T3_COLUMN_KEYS

from conftest import REPORTS, ROOT, Result, run_cli

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


FMT = get_format()
FIGURE_KEYS = [c.key for c in FMT.figure_cells()]
MONEY_KEYS = {c.key for c in FMT.figure_cells() if c.kind == "money"}


def source(name: str) -> dict:
    return json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))


def get(d: dict, key: str):
    for part in key.split("."):
        d = d[part]
    return d


def put(d: dict, key: str, value) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        d = d[part]
    d[parts[-1]] = value


def figure(d: dict, key: str):
    value = get(d, key)
    return Decimal(value) if key in MONEY_KEYS else value


def independent_sum(reports: list[dict]) -> dict:
    return {k: sum((figure(r, k) for r in reports), Decimal(0) if k in MONEY_KEYS else 0) for k in FIGURE_KEYS}


def write_workbook(path: Path, data: dict, scratch: Path) -> Path:
    src = write_json(scratch / (path.stem + ".json"), data)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert run_cli("fill", src, "-o", path).code == 0
    return path


def renamed(data: dict, name: str, body_type: str | None = None) -> dict:
    out = copy.deepcopy(data)
    out["body"]["name"] = name
    if body_type:
        out["body"]["type"] = body_type
    return out


def as_year(data: dict, year: int, published: str | None) -> dict:
    out = copy.deepcopy(data)
    out["year"] = year
    out["published_on"] = published
    return out


class Inbox:
    """The test inbox: which body sent what, and what each should come out as."""

    def __init__(self, root: Path):
        self.root = root
        self.inbox = root / "inbox"
        self.last = root / "lastyear"
        scratch = root / "scratch"
        fenxi = source("fenxi-zfb_2023")  # 部门, 2023
        huaian = as_year(source("huaian-shi_2024"), 2023, None)  # 政府
        pingtan = as_year(source("pingtan_2021"), 2023, "2024-02-08")  # 政府
        health = renamed(huaian, "汾西县卫生健康局", "部门")  # 部门, 有提示
        finance = renamed(fenxi, "汾西县财政局")
        finance_v2 = copy.deepcopy(finance)
        put(finance_v2, "proactive.licensing.decisions", 7)
        education = renamed(fenxi, "汾西县教育局")
        put(education, "applications.new.total", get(education, "applications.new.total") + 1)
        township = as_year(renamed(fenxi, "某某乡人民政府", "乡镇"), 2022, "2023-02-01")
        self.reports = {
            "fenxi": fenxi,
            "huaian": huaian,
            "pingtan": pingtan,
            "health": health,
            "finance": finance,
            "finance_v2": finance_v2,
            "education": education,
        }

        write_json(self.inbox / "汾西县政府办.json", fenxi)
        write_workbook(self.inbox / "邮件附件" / "汾西县政府办.xlsx", fenxi, scratch)  # identical copy
        write_json(self.inbox / "淮安市.json", huaian)
        write_workbook(self.inbox / "平潭.xlsx", pingtan, scratch)
        write_json(self.inbox / "卫健局.json", health)
        write_json(self.inbox / "财政局.json", finance)
        write_json(self.inbox / "财政局-修改后.json", finance_v2)
        write_json(self.inbox / "教育局.json", education)
        write_json(self.inbox / "某某乡.json", township)
        (self.inbox / "损坏.xlsx").write_bytes((REPORTS / "fenxi-zfb_2023.xlsx").read_bytes()[:3000])
        (self.inbox / "旧格式.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
        (self.inbox / "说明.txt").write_text("请查收", encoding="utf-8")

        # last year: 汾西 agrees with this year's 上年结转, 淮安 does not
        fenxi_last = as_year(fenxi, 2022, "2023-01-20")
        for col in T3_COLUMN_KEYS:
            put(fenxi_last, f"applications.carried_forward.{col}", get(fenxi, f"applications.carried_in.{col}"))
        issued, repealed, in_force = (
            get(fenxi, f"proactive.normative_documents.{k}") for k in ("issued", "repealed", "in_force")
        )
        put(fenxi_last, "proactive.normative_documents.in_force", in_force - issued + repealed)
        issued, repealed, in_force = (get(fenxi, f"proactive.rules.{k}") for k in ("issued", "repealed", "in_force"))
        put(fenxi_last, "proactive.rules.in_force", in_force - issued + repealed)
        for group in ("review", "litigation_direct", "litigation_after_review"):
            put(fenxi_last, f"review_litigation.{group}.pending", 0)
        huaian_last = as_year(huaian, 2022, None)
        put(
            huaian_last,
            "applications.carried_forward.natural_person",
            get(huaian, "applications.carried_in.natural_person") + 5,
        )
        put(huaian_last, "applications.carried_forward.total", get(huaian, "applications.carried_in.total") + 5)
        write_json(self.last / "汾西县政府办2022.json", fenxi_last)
        write_json(self.last / "淮安市2022.json", huaian_last)

    def run(self, *extra: str, out: str = "汇总.xlsx", quiet: bool = True):
        res_json = self.root / "result.json"
        result = run_cli(
            "collect", self.inbox, "-o", self.root / out, "--json", res_json, *(("--quiet",) if quiet else ()), *extra
        )
        data = json.loads(res_json.read_text(encoding="utf-8")) if res_json.exists() else None
        return result, data
