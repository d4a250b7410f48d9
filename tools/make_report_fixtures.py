"""Developer tool: turn the published reports in ../shared/reports into our normalized JSON.

Run by hand (``uv run python tools/make_report_fixtures.py``) when the template changes; its output
is committed under ``tests/fixtures/reports/`` (JSON, filled workbooks) and ``examples/``. Nothing at run time or in the tests reads
``../shared``. Figures come from the hand-checked ``expected.json``; the narrative parts 一、五、六
are cut from the report texts (PDF line breaks re-joined).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reports"
OUT = ROOT / "tests" / "fixtures" / "reports"

sys.path.insert(0, str(ROOT))
from validator.cli.program import main as cli  # noqa: E402
from validator.formats.gb_2021_30 import T3_COLUMNS, T3_ROWS, T4_GROUPS, T4_LEAVES  # noqa: E402

META = {
    "fenxi-zfb_2023.txt": {"stem": "fenxi-zfb_2023", "type": "部门", "published_on": "2024-01-29"},
    "pingtan_2021.txt": {"stem": "pingtan_2021", "type": "政府", "published_on": "2022-02-08"},
    "huaian-shi_2024.txt": {"stem": "huaian-shi_2024", "type": "政府", "published_on": None},
}
T3_ROW_KEYS = {
    "一": "new",
    "二": "carried_in",
    "三(一)": "granted",
    "三(二)": "partially_granted",
    "三(七)": "results_total",
    "四": "carried_forward",
}
for i, row in enumerate(T3_ROWS[4:12], 1):
    T3_ROW_KEYS[f"三(三){i}"] = row[0]
for i, row in enumerate(T3_ROWS[12:15], 1):
    T3_ROW_KEYS[f"三(四){i}"] = row[0]
for i, row in enumerate(T3_ROWS[15:20], 1):
    T3_ROW_KEYS[f"三(五){i}"] = row[0]
for i, row in enumerate(T3_ROWS[20:23], 1):
    T3_ROW_KEYS[f"三(六){i}"] = row[0]
T4_NAMES = {"复议": "review", "直接起诉": "litigation_direct", "复议后起诉": "litigation_after_review"}
T4_LEAF = {"维持": "upheld", "纠正": "corrected", "其他": "other", "尚未审结": "pending", "总计": "total"}


def paragraphs(lines: list[str]) -> str:
    """Re-join PDF/HTML line breaks: an indented line or a heading starts a new paragraph."""
    out: list[str] = []
    for raw in lines:
        if re.fullmatch(r"\s*-\d+-\s*", raw) or not raw.strip():
            continue
        starts = raw.startswith("   ") or re.match(r"\s*(（[一二三四五六七八九十]+）|[一二三四五六]、)", raw)
        text = raw.strip()
        if out and not starts and not out[-1].endswith(("。", "：", "！", "？")):
            out[-1] += text
        elif out and not starts and not raw.startswith(" "):
            out[-1] += text
        else:
            out.append(text)
    return "\n".join(out)


def section(text: str, start: str, end: str | None) -> list[str]:
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if re.match(rf"\s*{start}", line))
    j = len(lines) if end is None else next(n for n, line in enumerate(lines) if n > i and re.match(rf"\s*{end}", line))
    return lines[i + 1 : j]


def narrative(name: str, text: str) -> dict:
    if name.startswith("fenxi"):
        other = section(text, "六、其他需要报告的事项", None)
        other = [ln for ln in other if ln.strip() and ln.strip() not in ("汾西县人民政府办公室", "2024年1月29日")]
        return {
            "overview": paragraphs(section(text, "一、总体情况", "二、主动公开")),
            "problems": paragraphs(section(text, "存在的主要问题及改进情况", "六、")),
            "other_matters": paragraphs(other),
        }
    return {
        "overview": paragraphs(section(text, "一、总体情况", "二、主动公开")),
        "problems": paragraphs(section(text, "五、存在的主要问题", "六、")),
        "other_matters": paragraphs(section(text, "六、其他需要报告的事项", None)),
    }


def main() -> None:
    expected = json.loads((SHARED / "expected.json").read_text(encoding="utf-8"))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for rep in expected["reports"]:
        meta = META[rep["file"]]
        text = (SHARED / rep["file"]).read_text(encoding="utf-8")
        t2 = rep["table2"]
        applications: dict = {}
        for label, values in rep["table3"].items():
            node = applications
            *parents, leaf = T3_ROW_KEYS[label].split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = {col: v for (col, _), v in zip(T3_COLUMNS, values)}
        review: dict = {g: {} for g, *_ in T4_GROUPS}
        for label, value in rep["table4"].items():
            group, leaf = label.split("_")
            review[T4_NAMES[group]][T4_LEAF[leaf]] = value
        order = [k for k, _ in T4_LEAVES]
        review = {g: {k: review[g][k] for k in order} for g in review}
        doc = {
            "format": "gb-2021-30",
            "schema_version": "1.0",
            "body": {"name": rep["body"], "type": meta["type"], "region_code": None},
            "year": rep["year"],
            "published_on": meta["published_on"],
            "proactive": {
                "rules": dict(zip(("issued", "repealed", "in_force"), t2["规章"])),
                "normative_documents": dict(zip(("issued", "repealed", "in_force"), t2["行政规范性文件"])),
                "licensing": {"decisions": t2["行政许可"]},
                "penalties": {"decisions": t2["行政处罚"]},
                "coercive_measures": {"decisions": t2["行政强制"]},
                "fees": {"amount_wan_yuan": t2["行政事业性收费_万元"]},
            },
            "applications": applications,
            "review_litigation": review,
            "narrative": narrative(rep["file"], text),
        }
        path = OUT / f"{meta['stem']}.source.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        book = OUT / f"{meta['stem']}.xlsx"
        assert cli(["fill", str(path), "-o", str(book)]) == 0
        print("wrote", path, book)
    example = ROOT / "examples" / "fenxi-zfb_2023.xlsx"
    shutil.copyfile(OUT / "fenxi-zfb_2023.xlsx", example)
    assert cli(["export", str(example), "-o", str(example.with_suffix(".json"))]) == 0


if __name__ == "__main__":
    main()
