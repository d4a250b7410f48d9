"""Unusable input ends with exit code 2, a clear Chinese message, no traceback, input untouched."""

from __future__ import annotations

import json
import shutil
import zipfile

import openpyxl
import pytest

from conftest import REPORTS, ROOT, run_cli, sha256

SOURCE_JSON = REPORTS / "fenxi-zfb_2023.source.json"


def _assert_unusable(path, *needles):
    before = sha256(path)
    result = run_cli("check", path)
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err and result.out == ""
    for needle in needles:
        assert needle in result.err, result.err
    assert sha256(path) == before
    return result.err


def test_a_workbook_that_is_not_our_template(tmp_path):
    path = tmp_path / "其他表格.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便一张表"
    wb.save(path)
    _assert_unusable(path, "其他表格.xlsx", "不是本工具的填报模板")


def test_a_template_of_another_version(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["封面"]["B11"] = 2
    wb.save(path)
    _assert_unusable(path, "封面!B11", "模板版本")


def test_a_template_of_another_format(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["封面"]["B10"] = "gb-2030-99"  # a format this tool does not know (gb-2019-60 it reads)
    wb.save(path)
    _assert_unusable(path, "gb-2030-99", "封面!B10")


def test_a_missing_sheet(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    del wb["表四"]
    wb.save(path)
    _assert_unusable(path, "缺少工作表“表四”")


def test_a_renamed_sheet(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"].title = "Sheet3"
    wb.save(path)
    _assert_unusable(path, "缺少工作表“表三”")


def test_an_inserted_row_is_detected_by_the_labels(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"].insert_rows(10)
    wb.save(path)
    err = _assert_unusable(path, "表格结构与官方格式不一致", "表三!C10", "插入、删除")
    assert "3.危及“三安全一稳定”" in err


def test_an_edited_label(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表二"]["A4"] = "规范性文件"  # the old 2019 wording
    wb.save(path)
    _assert_unusable(path, "表二!A4 应为“行政规范性文件”，现为“规范性文件”")


def test_labels_with_line_breaks_and_halfwidth_punctuation_still_match(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"]["E3"] = "商业\n企业"
    wb["表三"]["B7"] = "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"
    wb.save(path)
    assert run_cli("check", path).code == 0


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("empty.xlsx", b"", "空的"),
        ("text.xlsx", "这是一段文字".encode(), "不是 Excel 工作簿"),
        ("report.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "不是 Excel 工作簿"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "旧版 .xls"),
        ("notes.txt", b"hello", "不支持的文件类型"),
    ],
)
def test_files_that_are_not_workbooks(tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content)
    _assert_unusable(path, needle, name)


def test_a_truncated_workbook(tmp_path):
    path = tmp_path / "cut.xlsx"
    data = (REPORTS / "fenxi-zfb_2023.xlsx").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _assert_unusable(path, "损坏")


def test_a_zip_without_the_workbook_parts(tmp_path):
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    _assert_unusable(path, "损坏")


def test_a_missing_file(tmp_path):
    result = run_cli("check", tmp_path / "nope.xlsx")
    assert result.code == 2 and "文件不存在" in result.err


# ----------------------------------------------------------------------------- JSON


def _json_case(tmp_path, mutate) -> tuple[str, str]:
    text = SOURCE_JSON.read_text(encoding="utf-8")
    path = tmp_path / "report.json"
    out = mutate(text)
    path.write_bytes(out if isinstance(out, bytes) else out.encode("utf-8"))
    return path


def _obj(fn):
    def mutate(text):
        doc = json.loads(text)
        fn(doc)
        return json.dumps(doc, ensure_ascii=False)

    return mutate


JSON_CASES = [
    ("not-json", lambda t: t[:100], "不是有效的 JSON"),
    ("gbk", lambda t: t.encode("gbk"), "不是 UTF-8"),
    ("duplicate", lambda t: t.replace('"year": 2023', '"year": 2023, "year": 2024'), "出现了两次"),
    ("nan", lambda t: t.replace('"year": 2023', '"year": NaN'), "NaN"),
    ("format", _obj(lambda d: d.update(format="gb-2030-99")), "gb-2030-99"),
    ("schema", _obj(lambda d: d.update(schema_version="9")), "schema_version"),
    ("unknown", _obj(lambda d: d["applications"]["new"].update(legal_person=1)), "applications.new.legal_person"),
    (
        "missing",
        _obj(lambda d: d["review_litigation"]["review"].pop("total")),
        "review_litigation.review.total：缺少此字段",
    ),
    ("negative", _obj(lambda d: d["applications"]["new"].update(total=-3)), "applications.new.total：不能为负数"),
    ("float-count", lambda t: t.replace('"total": 3\n', '"total": 3.0\n', 1), "应为整数"),
    ("fee-number", _obj(lambda d: d["proactive"]["fees"].update(amount_wan_yuan=1.5)), "amount_wan_yuan"),
    ("array", lambda t: "[1, 2]", "顶层应为对象"),
]


@pytest.mark.parametrize("mutate,needle", [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_bad_json(tmp_path, mutate, needle):
    path = _json_case(tmp_path, mutate)
    _assert_unusable(path, needle, "report.json")


def test_json_with_a_bom_is_read(tmp_path):
    path = _json_case(tmp_path, lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"))
    assert run_cli("check", path).code == 0


def test_outputs_never_overwrite_the_input(tmp_path):
    path = tmp_path / "r.xlsx"
    shutil.copyfile(REPORTS / "fenxi-zfb_2023.xlsx", path)
    before = sha256(path)
    result = run_cli("check", path, "--annotate", path)
    assert result.code == 2 and "不能与输入文件相同" in result.err
    assert sha256(path) == before


def test_bad_arguments_exit_2_in_chinese():
    result = run_cli("check")
    assert result.code == 2 and "参数错误" in result.err


def test_package_has_no_runtime_reference_to_shared():
    for path in (ROOT / "validator").rglob("*.py"):
        assert "shared/" not in path.read_text(encoding="utf-8"), path
