"""Reading an inbox's files: every file read as ``check`` reads it, opened once.

Also the canonical form collect compares copies by (one conversion per cell kind,
:mod:`validator.kinds`), and the content hash, made only when something reads it.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import validator.jsonio
import validator.readers
from validator import readers
from validator.collect import inbox as inbox_module
from validator.collect import run as run_module
from validator.collect.inbox import canonical, content_hash, figures_of, read_item
from validator.collect.result import result_dict
from validator.collect.run import Options, collect
from validator.errors import UnusableInput
from validator.formats import get_format
from validator.jsonio import MAX_JSON_BYTES, BadJson, load_json
from validator.readers import load as load_any
from validator.submission import JSON, Submission

from conftest import REPORTS
from support.json_reports import BASES, FMT, exported_2019, set_limit, snapshot


def _inbox(root: Path) -> tuple[Path, Path]:
    inbox, last = root / "inbox", root / "last"
    inbox.mkdir()
    last.mkdir()
    bases = [copy.deepcopy(b) for b in BASES]
    for i, obj in enumerate(bases):
        obj["year"] = 2023
        obj["body"]["name"] = f"单位{i}"
        (inbox / f"{i}.json").write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
        prior = copy.deepcopy(obj)
        prior["year"], prior["published_on"] = 2022, None
        (last / f"{i}.json").write_text(json.dumps(prior, ensure_ascii=False), encoding="utf-8")
    prior = json.loads((last / "1.json").read_text(encoding="utf-8"))
    (last / "1-copy.json").write_text(json.dumps(prior, ensure_ascii=False, indent=2), encoding="utf-8")
    prior["applications"]["new"]["natural_person"] += 1
    (last / "1-changed.json").write_text(json.dumps(prior, ensure_ascii=False), encoding="utf-8")
    prior = json.loads((last / "2.json").read_text(encoding="utf-8"))
    (last / "2-copy.json").write_text(json.dumps(prior, ensure_ascii=False, indent=2), encoding="utf-8")
    odd = copy.deepcopy(bases[0])
    odd["body"]["name"] = "单位0"
    odd["applications"]["new"]["total"] = None  # a blank figure: the cell-by-cell path
    (inbox / "0-v2.json").write_text(json.dumps(odd, ensure_ascii=False), encoding="utf-8")
    hostile = copy.deepcopy(bases[1])
    hostile["applications"]["new"]["total"] = True
    (inbox / "hostile.json").write_text(json.dumps(hostile, ensure_ascii=False), encoding="utf-8")
    (inbox / "copy-of-1.json").write_text(json.dumps(bases[1], ensure_ascii=False, indent=3), encoding="utf-8")
    (inbox / "quote.json").write_text(
        json.dumps({**bases[2], "body": {**bases[2]["body"], "name": '单位"2\\'}}, ensure_ascii=False), "utf-8"
    )
    return inbox, last


def _usual_year_of_all_hashes(items) -> int | None:
    """The collect year as found before hashes were made only for files sharing a body."""
    from collections import Counter

    distinct = {i.digest: i.year for i in items if i.readable and i.year is not None}
    years = Counter(distinct.values())
    return max(years, key=lambda y: (years[y], y)) if years else None


def test_hashes_are_made_only_when_something_reads_them(tmp_path, monkeypatch):
    """One file per body and no result JSON or archive: no hash is made (10,000 of them would go
    unread); the result JSON asks for them afterwards and gets the same hashes as made at once."""
    inbox, _ = _inbox(tmp_path)
    for extra in ("0-v2.json", "copy-of-1.json", "hostile.json"):
        (inbox / extra).unlink()
    made = []
    monkeypatch.setattr(inbox_module, "content_hash", lambda canon: made.append(canon) or content_hash(canon))
    result = collect(inbox, Options())
    assert made == [] and {b.status for b in result.bodies} <= {"通过", "有提示", "有错误"}
    files = result_dict(result)["files"]
    assert len(made) == len(files) >= 4
    for f, item in zip(files, result.items):
        assert f["sha256"] == content_hash(canonical(load_any(str(item.path)))[0])


FMT_BLANK = dict.fromkeys(c.key for c in (*FMT.cells, *FMT.baseline_cells))


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from([2022, 2023, 2024, None])),
        min_size=1,
        max_size=12,
    )
)
def test_collect_year_counts_copies_once(files):
    """The collect year hashes only files sharing a body; it is the year found by hashing all:
    files are (body, variant, year) with copies, several versions and stray years."""
    items = []
    for n, (body, variant, year) in enumerate(files):
        values = dict(FMT_BLANK, **{"body.name": f"单位{body}", "year": year, "applications.new.total": variant})
        item = inbox_module.Item(Path(f"{n}.json"), f"{n}.json", None)  # type: ignore[arg-type]
        item.submission = Submission(FMT, values, f"{n}.json", kind=JSON)
        inbox_module.describe(item)
        items.append(item)
    expected = _usual_year_of_all_hashes([copy.copy(i) for i in items])
    assert run_module._usual_year(items) == expected


# --------------------------------------------------------------------------- reading each file


def _odd_files(folder: Path) -> list[Path]:
    """Files ``load_any`` tells apart by content, size and kind (links are collect's own
    business, tests/test_collect_inbox.py)."""
    base = json.dumps(BASES[0], ensure_ascii=False).encode("utf-8")
    duplicate = base.replace(b'"year":', b'"year": 2020, "year":', 1)
    files = {
        "plain.json": base,
        "bom.json": b"\xef\xbb\xbf" + base,
        "报告.json.1": b" \r\n\t" + base,
        "报告.txt": b"\xef\xbb\xbf {" + base[1:],
        "no-brace": b"[1, 2]",
        "list.json": b"[1, 2]",
        "empty.json": b"",
        "empty": b"",
        "gbk.json": '{"year": "年"}'.encode("gb18030"),
        "duplicate.json": duplicate,
        "bad.json": base[:-3],
        "zip.json": b"PK\x03\x04" + base,
        "ole.json": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + base,
        "报告.xlsx": (REPORTS / "fenxi-zfb_2023.xlsx").read_bytes(),
        "workbook.json": (REPORTS / "fenxi-zfb_2023.xlsx").read_bytes(),
        "big.json": base + b" " * 64,
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "dir.json").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.json")
    return sorted(folder.iterdir())


def _item_snapshot(item) -> tuple:
    sub = None if item.submission is None else snapshot(item.submission)
    return item.rel, item.received, item.error, item.identity, item.year, item.digest, item.canon, item.figures, sub


def _loaded(path: Path) -> tuple:
    try:
        return ("ok", snapshot(load_any(path)))
    except UnusableInput as exc:
        return ("refused", exc.code, str(exc))


def test_read_item_reads_every_file_as_check_does(tmp_path, monkeypatch):
    """Every file an inbox may hold gives the item ``check`` would: the same submission or the
    same refusal, its time of arrival from the one open; a FIFO is never waited on."""
    size = len(json.dumps(BASES[0], ensure_ascii=False).encode("utf-8"))
    set_limit(monkeypatch, "MAX_JSON_BYTES", size + 16)  # big.json is over it
    paths = _odd_files(tmp_path)
    for path in paths:
        item = read_item(path, tmp_path)
        loaded = _loaded(path)
        if loaded[0] == "ok":
            assert item.error is None and snapshot(item.submission) == loaded[1], path.name
        else:
            named = inbox_module._relative_message(loaded[2], path, path.name)  # as the inbox names it
            assert item.submission is None and item.error == named, path.name
        st_ = path.stat() if path.exists() else None
        if st_ is not None:
            assert item.received.timestamp() == pytest.approx(st_.st_mtime)
    assert sum(read_item(p, tmp_path).error is None for p in paths) == 6


def test_a_json_is_opened_once(tmp_path, monkeypatch):
    """Sniffed and read in one open (collect reads thousands)."""
    path = tmp_path / "a.json"
    path.write_text(json.dumps(BASES[3], ensure_ascii=False), encoding="utf-8")
    opened = []
    real_open = os.open
    monkeypatch.setattr(validator.readers.os, "open", lambda p, *a: opened.append(Path(p).name) or real_open(p, *a))
    load_any(path)
    read_item(path, tmp_path)
    assert opened == ["a.json", "a.json"]


def test_oversized_json_is_refused_by_size_without_being_parsed(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.write(b"{")
        fh.truncate(MAX_JSON_BYTES + 1)
    monkeypatch.setattr(validator.jsonio, "parse_json_bytes", lambda *a: pytest.fail("parsed an oversized file"))
    with pytest.raises(BadJson, match="文件过大") as got:
        load_any(big)
    with pytest.raises(BadJson) as plain:
        load_json(big)
    assert str(got.value) == str(plain.value)


@pytest.mark.parametrize("told", [0, 10, "exact"])
def test_a_file_grown_since_its_fstat_is_read_whole(tmp_path, monkeypatch, told):
    """The one open reads the size fstat gave (+1, not the 50 MB limit at once) and goes on
    when the file turns out longer: the bytes are the file's, up to the limit."""
    path = tmp_path / "r.json"
    path.write_text(json.dumps(BASES[0], ensure_ascii=False), encoding="utf-8")
    real = os.fstat

    def fstat(fd):
        st = real(fd)
        size = st.st_size if told == "exact" else told
        extra = {"st_mtime": st.st_mtime, "st_atime": st.st_atime, "st_ctime": st.st_ctime}
        return os.stat_result((*st[:6], size, *st[7:10]), extra)

    monkeypatch.setattr(validator.readers.os, "fstat", fstat)
    assert readers.open_input(path).data == path.read_bytes()
    set_limit(monkeypatch, "MAX_JSON_BYTES", path.stat().st_size - 1)
    assert readers.open_input(path).data is None  # over the limit: load_json says so


@pytest.mark.parametrize("stated", [10, 59, 60])
def test_load_json_reads_the_size_it_has_and_refuses_a_file_grown_past_the_limit(tmp_path, monkeypatch, stated):
    """load_json (check's path for odd files) reads what stat() said and on, up to the limit:
    a file that grew past the limit since stat() is refused as too large, never parsed."""
    path = tmp_path / "r.json"
    path.write_bytes(b"{" + b" " * 98 + b"}")
    real_stat = Path.stat
    set_limit(monkeypatch, "MAX_JSON_BYTES", 60)
    monkeypatch.setattr(
        Path,
        "stat",
        lambda p, **kw: os.stat_result((0o100644, 0, 0, 1, 0, 0, stated, 0, 0, 0)) if p == path else real_stat(p, **kw),
    )
    monkeypatch.setattr(validator.jsonio, "parse_json_bytes", lambda *a: pytest.fail("parsed"))
    with pytest.raises(BadJson) as refused:
        load_json(path)
    assert refused.value.code == "too-large" and "文件过大" in str(refused.value)


@pytest.mark.parametrize("chunk", [1, 3, 4096, None])
@pytest.mark.parametrize(("size", "limit"), [(0, 10), (5, 10), (10, 10), (11, 10), (3, 100)])
@pytest.mark.parametrize("told", [-2, 0, 1])
def test_reading_a_descriptor_is_reading_the_file_object(tmp_path, monkeypatch, chunk, size, limit, told):
    """fileio.read_up_to on a descriptor (collect, without a buffered file object) gives what it
    gives on a file object, also when the system hands the bytes over a few at a time and when
    the file is longer or shorter than its fstat said."""
    from validator import fileio

    path = tmp_path / "f.json"
    path.write_bytes(bytes(range(65, 65 + size)))
    said = max(size + told, 0)
    with open(path, "rb") as fh:
        expected = fileio.read_up_to(fh, said, limit)
    if chunk is not None:
        real = os.read
        monkeypatch.setattr(fileio.os, "read", lambda fd, n: real(fd, min(n, chunk)))
    fd = os.open(path, os.O_RDONLY)
    try:
        assert fileio.read_up_to(fd, said, limit) == expected
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- the canonical form


@pytest.mark.parametrize("index", range(len(BASES)))
def test_figures_of_is_what_canonical_finds(index):
    sub = validator.jsonio.submission_from_dict(copy.deepcopy(BASES[index]))
    unreadable: list[str] = []
    canon, figures = canonical(sub, unreadable)
    only_figures, texts = figures_of(sub)
    assert [(k, type(v), v) for k, v in only_figures.items()] == [(k, type(v), v) for k, v in figures.items()]
    assert texts == {k: canon[k] for k in unreadable}


def test_signed_figures_are_figures_in_the_canonical_form():
    """The 2019 format's 本年增/减 are signed whole numbers: collect compares and sums them as
    figures (before one table of cell kinds they were compared as text and never summed)."""
    sub = validator.jsonio.submission_from_dict(exported_2019())
    fmt = get_format("gb-2019-60")
    signed = [c.key for c in fmt.cells if c.kind == "signed"]
    assert signed
    canon, figures = canonical(sub)
    assert all(figures[k] == -1 and type(figures[k]) is int and canon[k] == "-1" for k in signed)
    values = dict(sub.values, **{signed[0]: "－1", signed[1]: "3件"})
    unreadable: list[str] = []
    canon, figures = canonical(Submission(fmt, values, "x.json"), unreadable)
    assert figures[signed[0]] == -1 and canon[signed[0]] == "-1"  # full-width minus read as a sign
    assert signed[1] not in figures and canon[signed[1]] == "?3件" and unreadable == [signed[1]]


def test_a_workbook_and_its_json_have_one_canonical_form():
    workbook = load_any(REPORTS / "fenxi-zfb_2023.xlsx")
    exported = load_json(REPORTS / "fenxi-zfb_2023.source.json")
    assert canonical(workbook)[0] == canonical(exported)[0]
    assert content_hash(canonical(workbook)[0]) == content_hash(canonical(exported)[0])


# --------------------------------------------------------------------------- discovering files


def _discover_by_walking(inbox: Path, exclude) -> list[Path]:
    """discover as it was written with os.walk (a Path and an lstat per file)."""
    found = []
    names = {p.name.casefold() for p in exclude}
    for root, dirs, files in os.walk(inbox, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith((".", "~$")) or name.lower() in inbox_module.SKIPPED_NAMES:
                continue
            path = Path(root) / name
            if (name.casefold() in names or path.is_symlink()) and inbox_module._resolved(path) in exclude:
                continue
            found.append(path)
    return found


def test_discover_finds_what_walking_the_folders_finds(tmp_path):
    """The scandir walk gives the files, in the order, that os.walk gave: sub-folders after a
    folder's files, hidden and lock files and our outputs left out, folder links not followed."""
    inbox = tmp_path / "收件箱"
    for rel in ("b.json", "a.json", "~$a.xlsx", ".hidden.json", "Thumbs.db", "z/1.json", "z/y/2.json", "a-dir/3.json"):
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (inbox / rel).write_text("{}", encoding="utf-8")
    (inbox / ".git").mkdir()
    (inbox / ".git" / "x.json").write_text("{}", encoding="utf-8")
    (inbox / "汇总.xlsx").write_text("out", encoding="utf-8")
    (inbox / "z" / "link-to-dir").symlink_to(inbox / "a-dir")
    (inbox / "z" / "link-to-file.json").symlink_to(inbox / "a.json")
    (inbox / "z" / "link-to-output.xlsx").symlink_to(inbox / "汇总.xlsx")
    (inbox / "dangling.json").symlink_to(inbox / "gone.json")
    outputs = {(inbox / "汇总.xlsx").resolve(), (tmp_path / "r.json").resolve()}
    for exclude in (outputs, set()):
        found = inbox_module.discover(inbox, exclude)
        assert found == _discover_by_walking(inbox, exclude)
    assert [p.relative_to(inbox).as_posix() for p in inbox_module.discover(inbox, outputs)] == [
        "a.json",
        "b.json",
        "dangling.json",
        "a-dir/3.json",
        "z/1.json",
        "z/link-to-file.json",
        "z/y/2.json",
    ]
    assert inbox_module.discover(tmp_path / "no-such-folder") == []
