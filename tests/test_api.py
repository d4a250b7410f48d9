"""The Python API (validator/api.py): what the CLI, the server, the add-in and an integrator's
script call. The faces are tested on their own; here, the front door itself."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from validator import api
from validator.errors import UnusableInput
from validator.submission import Submission

from conftest import EXAMPLE, FIXTURES, REPORTS, ROOT, run_cli, sha256

PUBLISHED = FIXTURES / "published"


def _broken(tmp_path: Path) -> Path:
    """The example's JSON with the 表四 行政复议 total off by one (an 错误)."""
    doc = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    doc["review_litigation"]["review"]["total"] += 1
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_check_reads_a_workbook_and_its_json_alike():
    from_workbook = api.check(EXAMPLE)
    from_json = api.check(EXAMPLE.with_suffix(".json"))
    assert from_workbook.valid and from_json.valid
    assert from_workbook.submission.kind.name == "xlsx" and from_json.submission.kind.name == "json"
    assert not from_workbook.submission.kind.typed and from_json.submission.kind.typed
    assert api.export(from_workbook) == api.export(from_json)


def test_check_takes_a_submission_and_last_year():
    last = api.load(EXAMPLE.with_suffix(".json"))
    this = api.new_year(EXAMPLE.with_suffix(".json"))[0]
    assert isinstance(last, Submission)
    checked = api.check(this, last_year=last)
    assert checked.submission.values["year"] == last.values["year"] + 1
    assert checked.report.rules_run > 0


def test_export_is_refused_while_errors_remain_unless_forced(tmp_path):
    checked = api.check(_broken(tmp_path))
    assert not checked.valid and checked.exit_code == 1
    with pytest.raises(api.Refused) as refused:
        api.export(checked)
    assert refused.value.report is checked.report and "未导出" in str(refused.value)
    forced = json.loads(api.export(checked, force=True))
    assert forced["validation"]["valid"] is False


def test_render_gives_a_document_or_says_what_is_missing(tmp_path):
    checked = api.check(EXAMPLE)
    page = api.render(checked, "html")
    assert page.data.startswith(b"<!DOCTYPE html") and not page.incomplete
    empty = Submission(checked.submission.format, dict(checked.submission.values), "x")
    for key in [k for k in empty.values if k.startswith("narrative.")]:
        empty.values[key] = ""
    with pytest.raises(api.MissingNarrative) as missing:
        api.render(api.check(empty), "docx")
    assert "文字部分未填写" in missing.value.message() and "--draft" in missing.value.message()
    assert "--draft" not in missing.value.message(excel=True)
    assert api.render(api.check(empty), "docx", draft=True).incomplete


def test_an_unknown_format_or_output_kind_is_unusable_input():
    with pytest.raises(UnusableInput) as unknown:
        api.format_of("gb-1999-1")
    assert unknown.value.code == "bad-argument"
    with pytest.raises(UnusableInput):
        api.output_kind("报告.pdf")
    assert api.output_kind("报告.HTM") == "html"


def test_import_document_gives_the_submission_and_its_provenance():
    imported = api.import_document(PUBLISHED / "fenxi-zfb_2023.txt", body_type="乡镇")
    assert imported.submission.values["body.type"] == "乡镇"
    provenance = json.loads(imported.provenance())
    assert provenance["source"] == "fenxi-zfb_2023.txt" and provenance["cells"]
    assert json.loads(imported.json_bytes())["body"]["type"] == "乡镇"


def test_collect_takes_a_typed_request(tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    (inbox / "a.json").write_bytes(EXAMPLE.with_suffix(".json").read_bytes())
    collected = api.collect(api.CollectRequest(inbox=inbox, out=tmp_path / "汇总.xlsx"))
    assert [b.status for b in collected.result.bodies] == ["通过"]
    assert (tmp_path / "汇总.xlsx").is_file()
    assert re.search(r"共 1 个文件、1 个单位", api.summary_line(collected.result))


@pytest.mark.parametrize("which", ["db", "roster"])
@pytest.mark.parametrize("output", ["-o", "--json"])
def test_collect_never_writes_over_its_archive_or_roster(tmp_path, which, output):
    """An output naming an input is refused before anything is read or written."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    (inbox / "a.json").write_bytes(EXAMPLE.with_suffix(".json").read_bytes())
    roster = tmp_path / "名单.csv"
    roster.write_text("单位名称,主体类型\n汾西县人民政府办公室,政府\n", encoding="utf-8")
    db = tmp_path / "年报.sqlite"
    assert run_cli("collect", inbox, "-o", tmp_path / "first.xlsx", "--db", db, "--quiet").code == 0
    before = {p: sha256(p) for p in (db, roster)}
    target = db if which == "db" else roster
    args = ["-o", tmp_path / "汇总.xlsx"] if output == "--json" else []
    res = run_cli("collect", inbox, output, target, *args, "--db", db, "--roster", roster, "--quiet")
    assert res.code == 2 and "输出文件不能与输入文件相同" in res.err
    assert {p: sha256(p) for p in (db, roster)} == before


def test_collect_published_takes_the_body_type(tmp_path):
    inbox = tmp_path / "已发布"
    inbox.mkdir()
    (inbox / "fenxi.txt").write_bytes((PUBLISHED / "fenxi-zfb_2023.txt").read_bytes())
    out = tmp_path / "审计.xlsx"
    without = run_cli("collect", inbox, "-o", out, "--published", "--json", tmp_path / "a.json", "--quiet")
    with_type = run_cli(
        "collect", inbox, "-o", out, "--published", "--type", "政府", "--json", tmp_path / "b.json", "--quiet"
    )
    assert without.code in (0, 1) and with_type.code in (0, 1)
    statuses = [json.loads((tmp_path / n).read_text(encoding="utf-8"))["bodies"][0] for n in ("a.json", "b.json")]
    rules = [{f["rule"] for f in s.get("findings", [])} for s in statuses]
    assert statuses[1]["type"] == "政府" and not statuses[0]["type"]
    assert "META-TYPE" not in rules[1]


def test_the_api_loads_only_what_a_check_needs():
    """A single check must not pay for collect, import or render: they load on first use."""
    probe = (
        "import sys, validator.api;"
        "print(sorted(m for m in sys.modules if m.startswith(('validator.collect', 'validator.importer',"
        " 'validator.render', 'openpyxl', 'pydantic', 'docx', 'lxml', 'xlsxwriter'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_api_documentation_examples_name_real_functions():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in sorted(set(re.findall(r"\bapi\.(\w+)", text))):
        assert hasattr(api, name), name
