"""xxgk collect on a realistic inbox (the three real reports and mutations of them): each body's
status, duplicates, last year's carry-over, the 汇总 figures and the aggregate report.

Every expected status, count and 汇总 figure below is computed here from the source JSON
dicts (:mod:`support.inbox`), independently of validator.collect.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import run_cli
from support.inbox import (
    FIGURE_KEYS,
    FMT,
    MONEY_KEYS,
    Inbox,
    figure,
    get,
    independent_sum,
    put,
    renamed,
    source,
    write_json,
)


def snapshot(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def box(tmp_path_factory) -> Inbox:
    return Inbox(tmp_path_factory.mktemp("collect"))


@pytest.fixture(scope="module")
def collected(box):
    before = snapshot(box.inbox)
    result, data = box.run(
        "--last-year",
        str(box.last),
        "--as",
        "汾西县人民政府",
        "--type",
        "政府",
        "--aggregate",
        str(box.root / "汇总报告.json"),
    )
    assert snapshot(box.inbox) == before, "the inbox must never be modified"
    return result, data


def bodies(data: dict) -> dict:
    return {b["name"]: b for b in data["bodies"]}


def test_statuses_of_every_body(collected):
    result, data = collected
    assert result.code == 1, result.err
    assert data["year"] == 2023
    got = {name: b["status"] for name, b in bodies(data).items()}
    assert got == {
        "汾西县人民政府办公室": "通过",
        "淮安市人民政府": "有错误",  # 上年结转 does not match last year's folder
        "平潭综合实验区": "通过",
        "汾西县卫生健康局": "有提示",
        "汾西县财政局": "重复报送",
        "汾西县教育局": "有错误",
        "某某乡人民政府": "年度不符",
    }


def test_counts(collected):
    _result, data = collected
    assert data["counts"]["files"] == 12
    assert data["counts"]["unreadable"] == 3
    assert data["counts"]["bodies"] == 7
    assert data["counts"]["statuses"] == {
        "通过": 2,
        "有提示": 1,
        "有错误": 2,
        "无法读取": 3,
        "未报送": 0,
        "重复报送": 1,
        "逾期": 0,
        "年度不符": 1,
    }


def test_identical_copies_count_once(collected):
    _result, data = collected
    fenxi = bodies(data)["汾西县人民政府办公室"]
    assert fenxi["files"] == ["汾西县政府办.json", "邮件附件/汾西县政府办.xlsx"]
    assert fenxi["versions"] == ["汾西县政府办.json"]
    copy_entry = next(f for f in data["files"] if f["file"] == "邮件附件/汾西县政府办.xlsx")
    assert copy_entry["copy_of"] == "汾西县政府办.json"


def test_duplicates_listed_with_their_difference(collected):
    _result, data = collected
    finance = bodies(data)["汾西县财政局"]
    assert finance["versions"] == ["财政局-修改后.json", "财政局.json"]
    assert finance["included"] is False
    [diff] = finance["differences"]
    assert diff["key"] == "proactive.licensing.decisions"
    assert diff["label"] == FMT.cell("proactive.licensing.decisions").label
    assert diff["values"] == ["7", str(get(source("fenxi-zfb_2023"), "proactive.licensing.decisions"))]


def test_unreadable_files_keep_the_reason_check_gives(collected, box):
    _result, data = collected
    unreadable = {f["file"]: f["reason"] for f in data["files"] if f.get("status") == "无法读取"}
    assert set(unreadable) == {"损坏.xlsx", "旧格式.xls", "说明.txt"}
    for name, reason in unreadable.items():
        check = run_cli("check", box.inbox / name)
        assert check.code == 2
        assert check.err.strip() == f"无法处理：{reason}"
    assert "旧版 .xls" in unreadable["旧格式.xls"]


def test_cross_year_against_last_years_folder(collected):
    _result, data = collected
    huaian = next(f for f in data["files"] if f["file"] == "淮安市.json")
    assert {f["rule"] for f in huaian["findings"] if f["severity"] == "error"} == {"XY-T3-CARRY"}
    fenxi = next(f for f in data["files"] if f["file"] == "汾西县政府办.json")
    assert fenxi["findings"] == []
    assert bodies(data)["汾西县人民政府办公室"]["last_year"] == "汾西县政府办2022.json"


def test_totals_match_independent_sums(collected, box):
    _result, data = collected
    r = box.reports
    expected = {
        "合计": independent_sum([r["fenxi"], r["pingtan"], r["health"]]),
        "政府": independent_sum([r["pingtan"]]),
        "部门": independent_sum([r["fenxi"], r["health"]]),
        "乡镇": independent_sum([]),
    }
    for group, sums in expected.items():
        got = data["totals"][group]["figures"]
        for key in FIGURE_KEYS:
            value = got[key]
            assert (Decimal(value) if key in MONEY_KEYS else value) == sums[key], (group, key)
    assert data["totals"]["合计"]["figures"]["proactive.fees.amount_wan_yuan"] == str(
        Decimal(get(r["pingtan"], "proactive.fees.amount_wan_yuan"))
        + Decimal(get(r["fenxi"], "proactive.fees.amount_wan_yuan"))
        + Decimal(get(r["health"], "proactive.fees.amount_wan_yuan"))
    )
    assert sorted(data["totals"]["合计"]["bodies"]) == sorted(
        ["汾西县人民政府办公室", "平潭综合实验区", "汾西县卫生健康局"]
    )


def test_aggregate_json_and_workbook_pass_check_and_export(collected, box):
    _result, data = collected
    agg = json.loads((box.root / "汇总报告.json").read_text(encoding="utf-8"))
    assert agg["body"] == {"name": "汾西县人民政府", "type": "政府", "region_code": None, "credit_code": None}
    assert agg["year"] == 2023
    for key in FIGURE_KEYS:
        assert str(get(agg, key)) == str(data["totals"]["合计"]["figures"][key])
    for path in (box.root / "汇总报告.json", box.root / "汇总报告.xlsx"):
        assert run_cli("check", path).code == 0
    exported = box.root / "再导出.json"
    assert run_cli("export", box.root / "汇总报告.xlsx", "-o", exported).code == 0
    again = json.loads(exported.read_text(encoding="utf-8"))
    assert all(get(again, k) == get(agg, k) for k in FIGURE_KEYS)


def test_aggregate_without_every_last_year_leaves_its_last_year_blank_and_says_why(collected, box):
    result, data = collected
    total = data["totals"]["合计"]
    assert total["last_year"] is None
    assert sorted(total["last_year_missing"]) == sorted(["平潭综合实验区", "汾西县卫生健康局"])
    assert "汇总报告的上年数据未填：2 个计入汇总的单位没有可用的上年报告" in result.out
    agg = json.loads((box.root / "汇总报告.json").read_text(encoding="utf-8"))
    assert agg["last_year"] is None


def test_aggregate_carries_the_sum_of_last_years_figures(box, tmp_path):
    """Every counted body has last year's report: the aggregate's 上年数据 is their sum and the
    aggregate passes the 历年 rules against it (a wrong sum would not)."""
    last = json.loads((box.last / "汾西县政府办2022.json").read_text(encoding="utf-8"))
    inbox, last_dir = tmp_path / "inbox", tmp_path / "last"
    write_json(inbox / "a.json", box.reports["fenxi"])
    write_json(last_dir / "a.json", last)
    write_json(inbox / "b.json", renamed(box.reports["fenxi"], "汾西县民政局"))
    write_json(last_dir / "b.json", renamed(last, "汾西县民政局"))
    agg = tmp_path / "agg.json"
    res = run_cli(
        "collect",
        inbox,
        "-o",
        tmp_path / "s.xlsx",
        "--json",
        tmp_path / "r.json",
        "--quiet",
        "--last-year",
        last_dir,
        "--as",
        "汾西县人民政府",
        "--type",
        "政府",
        "--aggregate",
        agg,
    )
    assert res.code == 0, res.out + res.err
    assert "上年数据未填" not in res.out
    data = json.loads(agg.read_text(encoding="utf-8"))
    assert data["last_year"]["year"] == 2022
    for key in FMT.baseline_keys:
        assert get(data["last_year"], key) == 2 * get(last, key), key
    check = run_cli("check", agg, "--json")
    assert check.code == 0 and json.loads(check.out)["stats"]["errors"] == 0
    put(
        data,
        "last_year.applications.carried_forward.natural_person",
        get(data, "last_year.applications.carried_forward.natural_person") + 1,
    )
    put(
        data,
        "last_year.applications.carried_forward.total",
        get(data, "last_year.applications.carried_forward.total") + 1,
    )
    data["validation"] = None
    write_json(tmp_path / "wrong.json", data)
    assert run_cli("check", tmp_path / "wrong.json").code == 1  # the block really is checked


def test_include_failed_adds_the_bodies_with_errors(box, tmp_path):
    result, data = box.run("--last-year", str(box.last), "--include-failed", out="含错误.xlsx")
    assert result.code == 1
    r = box.reports
    sums = independent_sum([r["fenxi"], r["pingtan"], r["health"], r["huaian"], r["education"]])
    got = data["totals"]["合计"]["figures"]
    assert all((Decimal(got[k]) if k in MONEY_KEYS else got[k]) == sums[k] for k in FIGURE_KEYS)


def test_without_last_year_huaian_passes(box):
    _result, data = box.run(out="无上年.xlsx")
    assert bodies(data)["淮安市人民政府"]["status"] == "有提示"


def test_exit_code_0_when_every_submission_passed(tmp_path):
    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", source("fenxi-zfb_2023"))
    write_json(inbox / "b.json", renamed(source("fenxi-zfb_2023"), "汾西县财政局"))
    res = run_cli("collect", inbox, "-o", tmp_path / "s.xlsx", "--quiet")
    assert res.code == 0, res.out + res.err
    assert "通过 2" in res.out


@pytest.mark.parametrize(
    "args, message",
    [
        (("不存在的文件夹", "-o", "x.xlsx"), "收件文件夹不存在"),
        (("{inbox}", "-o", "x.xlsx", "--as", "某县"), "需同时给出"),
        (("{inbox}", "-o", "no/such/dir/x.xlsx"), "文件夹不存在"),
    ],
)
def test_command_itself_cannot_run_is_exit_2(tmp_path, args, message):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    res = run_cli("collect", *[a.format(inbox=inbox) for a in args])
    assert res.code == 2
    assert message in res.err


def test_unwritable_output_is_exit_2_and_leaves_no_file(tmp_path):
    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", source("fenxi-zfb_2023"))
    target = tmp_path / "汇总.xlsx"
    target.mkdir()  # a folder where the workbook should go: os.replace fails, nothing is left behind
    res = run_cli("collect", inbox, "-o", target, "--quiet")
    assert res.code == 2
    assert "无法写入" in res.err or "文件夹" in res.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox", "汇总.xlsx"]
    assert list(target.iterdir()) == []


def test_outputs_inside_the_inbox_are_not_read_back(tmp_path):
    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", source("fenxi-zfb_2023"))
    for _ in range(2):
        res = run_cli("collect", inbox, "-o", inbox / "汇总.xlsx", "--json", inbox / "r.json", "--quiet")
        assert res.code == 0, res.err
    data = json.loads((inbox / "r.json").read_text(encoding="utf-8"))
    assert [f["file"] for f in data["files"]] == ["a.json"]


def test_one_reader_crash_does_not_stop_the_run(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", source("fenxi-zfb_2023"))
    write_json(inbox / "b.json", source("pingtan_2021"))
    import validator.readers

    real = validator.readers.read_opened  # every file's route in collect (one open, then its reader)

    def flaky(opened, published=False):
        if opened.path.name == "a.json":
            raise RuntimeError("boom")
        return real(opened, published)

    monkeypatch.setattr(validator.readers, "read_opened", flaky)
    res = run_cli("collect", inbox, "-o", tmp_path / "s.xlsx", "--json", tmp_path / "r.json", "--quiet")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert res.code == 1
    assert [b["name"] for b in data["bodies"]] == ["平潭综合实验区"]
    assert "内部错误" in data["files"][0]["reason"]


# --------------------------------------------------------------------------- property: sum of valid is valid

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from validator.formats.gb_2021_30 import T2_BLOCKS, T3_APPLICANTS, T3_RESULT_KEYS, T4_GROUPS, T4_LEAVES  # noqa: E402

small = st.integers(min_value=0, max_value=10_000)


@st.composite
def valid_report(draw, name: str) -> dict:
    """A report that satisfies every arithmetic rule (built from the format's own row/column keys)."""
    data = copy.deepcopy(source("fenxi-zfb_2023"))
    data["body"]["name"] = name
    data["body"]["type"] = draw(st.sampled_from(["政府", "部门", "乡镇"]))
    data["published_on"] = "2024-01-20"
    for _caption, _heads, rows, leaves, kind in T2_BLOCKS:
        for _text, base in rows:
            for leaf in leaves:
                if kind == "money":
                    cents = draw(st.integers(min_value=0, max_value=10**9))
                    scale = draw(st.integers(min_value=0, max_value=6))
                    put(data, f"{base}.{leaf}", str(Decimal(cents).scaleb(-scale)))
                else:
                    put(data, f"{base}.{leaf}", draw(small))
    for col in T3_APPLICANTS:
        results = {row: draw(small) for row in T3_RESULT_KEYS}
        for row, v in results.items():
            put(data, f"applications.{row}.{col}", v)
        done = sum(results.values())
        forward = draw(small)
        carried_in = draw(st.integers(min_value=0, max_value=done + forward))
        put(data, f"applications.results_total.{col}", done)
        put(data, f"applications.carried_forward.{col}", forward)
        put(data, f"applications.carried_in.{col}", carried_in)
        put(data, f"applications.new.{col}", done + forward - carried_in)
    for row in ("new", "carried_in", *T3_RESULT_KEYS, "results_total", "carried_forward"):
        put(data, f"applications.{row}.total", sum(get(data, f"applications.{row}.{c}") for c in T3_APPLICANTS))
    for group, *_ in T4_GROUPS:
        parts = {leaf: draw(small) for leaf, _ in T4_LEAVES[:-1]}
        for leaf, v in parts.items():
            put(data, f"review_litigation.{group}.{leaf}", v)
        put(data, f"review_litigation.{group}.total", sum(parts.values()))
    return data


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(min_value=1, max_value=4).flatmap(lambda n: st.tuples(*[valid_report(f"第{i}单位") for i in range(n)]))
)
def test_property_sum_of_valid_reports_is_valid(tmp_path_factory, reports):
    root = tmp_path_factory.mktemp("prop")
    for i, report in enumerate(reports):
        write_json(root / "inbox" / f"{i}.json", report)
    agg = root / "agg.json"
    res = run_cli(
        "collect",
        root / "inbox",
        "-o",
        root / "s.xlsx",
        "--quiet",
        "--as",
        "某县人民政府",
        "--type",
        "政府",
        "--aggregate",
        agg,
    )
    assert res.code == 0, res.out + res.err
    assert "汇总报告的上年数据未填：没有给出上年报告（--last-year 或 --db）" in res.out
    check = run_cli("check", agg, "--json")
    assert check.code == 0
    assert json.loads(check.out)["stats"]["errors"] == 0
    sums = independent_sum(list(reports))
    data = json.loads(agg.read_text(encoding="utf-8"))
    assert all(figure(data, k) == sums[k] for k in FIGURE_KEYS)


# --------------------------------------------------------------------------- progress


class _Tty:
    def __init__(self, tty: bool):
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(
    "tty, enabled, files, shown",
    [(True, True, 10, True), (False, True, 10, False), (True, False, 10, False), (True, True, 3, False)],
)
def test_progress_only_on_a_terminal_for_more_than_a_handful(monkeypatch, tty, enabled, files, shown):
    from validator.collect.progress import Progress

    stream = _Tty(tty)
    monkeypatch.setattr("sys.stderr", stream)
    progress = Progress.for_stderr(enabled=enabled)
    for n in range(1, files + 1):
        progress.update(n, files)
    progress.done()
    assert (f"{files}/{files}" in stream.text) is shown
    assert stream.text.endswith("\n") is shown


def test_no_progress_when_stderr_is_not_a_terminal(box):
    result, _data = box.run(out="静默.xlsx", quiet=False)
    assert "读取报送文件" not in result.err


def test_content_hash_is_the_sorted_compact_json_of_the_comparable_form():
    """The archive keys submissions by this hash: the fast form must equal the documented one."""
    import hashlib

    from validator.collect.inbox import canonical, content_hash
    from validator.jsonio import load_json

    real = canonical(load_json(Path(__file__).parents[1] / "examples" / "fenxi-zfb_2023.json"))[0]
    odd = {"b": 'quote " and \\ back', "a": "控制\x01\n", "c": "", "z": "\u2028\ud7ff"}
    for sample in (real, odd):
        text = json.dumps(sample, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert content_hash(sample) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_result_json_reads_back_as_the_result(collected, box):
    """--json is written one entry a line (fast); it must load as exactly the result's data."""
    from validator.collect.result import dumps_result

    _result, data = collected
    text = dumps_result(data)
    assert json.loads(text) == data
    assert text.startswith('{\n  "format": ') and text.endswith("\n}\n")
    assert len(text.splitlines()) > len(data["bodies"]) + len(data["files"])
    assert dumps_result({"a": [], "b": {}, "c": None}) == '{\n  "a": [],\n  "b": {},\n  "c": null\n}\n'


def test_a_link_in_the_inbox_to_an_output_is_not_read_back(tmp_path):
    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", source("fenxi-zfb_2023"))
    (inbox / "链接.json").symlink_to(inbox / "r.json")
    for _ in range(2):
        res = run_cli("collect", inbox, "-o", tmp_path / "汇总.xlsx", "--json", inbox / "r.json", "--quiet")
        assert res.code == 0, res.err
    data = json.loads((inbox / "r.json").read_text(encoding="utf-8"))
    assert [f["file"] for f in data["files"]] == ["a.json"]
