"""Property-based fuzzing of everything that reads untrusted files.

Only :class:`UnusableInput` (exit code 2 with a Chinese message) may come out of a reader;
anything else would be exit code 3, a bug. What is accepted must also go on through the rule
engine and the JSON export without raising.

Default example counts keep this file under a minute. A longer session multiplies them:

    XXGK_FUZZ_SCALE=50 .venv/bin/pytest tests/test_fuzz.py -p no:cacheprovider --hypothesis-show-statistics

(see docs/fuzzing.md for the last long run).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from struct import error as struct_error

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from addin.ovba.cfb import write_compound_file
from validator.engine import validate
from validator.errors import CODES, UnusableInput
from validator.formats import get_format
from validator.jsonio import dump_model, parse_json_bytes, report_from_dict, report_to_model, submission_from_report
from validator.workbook import read as wbread

from conftest import REPORT_NAMES, REPORTS

FMT = get_format()
SCALE = max(1, int(os.environ.get("XXGK_FUZZ_SCALE", "1")))
SOURCES = {name: json.loads((REPORTS / f"{name}.source.json").read_text("utf-8")) for name in REPORT_NAMES}
WORKBOOKS = {name: (REPORTS / f"{name}.xlsx").read_bytes() for name in REPORT_NAMES}


def fuzz(examples: int):
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
    )


# --------------------------------------------------------------------------- JSON


def _gist(exc: UnusableInput) -> str:
    """The kind of refusal, for --hypothesis-show-statistics: its machine-readable code."""
    assert exc.code in CODES and exc.code != "unusable-input", (exc.code, str(exc))
    return exc.code


def _accept_json(data: bytes) -> None:
    """Parse and validate; what is accepted must validate, export, and read back identically."""
    try:
        model = report_from_dict(parse_json_bytes(data, "fuzz.json"), "fuzz.json")
    except UnusableInput as exc:
        assert str(exc).startswith("fuzz.json：")
        event("refused: " + _gist(exc))
        return
    event("accepted")
    submission = submission_from_report(model, "fuzz.json")
    report = validate(submission)
    exported = dump_model(report_to_model(submission, report))
    again = report_from_dict(parse_json_bytes(exported, "again.json"), "again.json")
    assert dump_model(report_to_model(submission_from_report(again), report)) == exported


@pytest.mark.slow
@fuzz(300)
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.from_regex(r"\A\s*\{.*\}\s*\Z").map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_arbitrary_bytes_as_json(data):
    _accept_json(data)


@fuzz(200)
@given(st.binary(max_size=300), st.integers(0, 1))
def test_arbitrary_bytes_inside_a_json_object(data, where):
    base = json.dumps(SOURCES["fenxi-zfb_2023"], ensure_ascii=False).encode()
    cut = len(base) // 2 if where else len(base) - 1
    _accept_json(base[:cut] + data + base[cut:])


_RAW_NUMBERS = [
    "-0",
    "-0.0",
    "0.0",
    "1e400",
    "-1e400",
    "1E+2",
    "2.5",
    "1e-400",
    "9007199254740993",
    "999999999999999",
    "1000000000000000",
    "Infinity",
    "-Infinity",
    "NaN",
    "1" + "0" * 5000,
    "0.1e1",
    "3.0",
    "00",
    "+1",
    ".5",
    "0x10",
]


def json_values(depth: int = 2):
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.integers(min_value=0, max_value=10**16),
        st.text(max_size=40),
        st.sampled_from(
            [
                "",
                " ",
                "政府",
                "部门",
                "乡镇",
                "2024-01-29",
                "2024-02-30",
                "12.5",
                "-1",
                "0",
                "\ud800",
                "=1+2",
                "\x00",
                "\u2028",
                "3件",
                "gb-2021-30",
                "1.0",
            ]
        ),
        st.sampled_from(_RAW_NUMBERS).map(_Raw),
    )
    if depth <= 0:
        return scalars
    return st.one_of(
        scalars,
        st.lists(json_values(depth - 1), max_size=3),
        st.dictionaries(st.text(max_size=10), json_values(depth - 1), max_size=3),
    )


class _Raw(str):
    """A JSON fragment written as is (numbers json.dumps would never write)."""


def _dumps(obj) -> str:
    raws: list[str] = []

    def swap(node):
        if isinstance(node, _Raw):
            raws.append(str(node))
            return f"\x00RAW{len(raws) - 1}\x00"
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(obj), ensure_ascii=False)
    return re.sub(r'"\\u0000RAW(\d+)\\u0000"', lambda m: raws[int(m.group(1))], text)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _parent(doc, path):
    node = doc
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def mutated_reports(draw):
    doc = json.loads(json.dumps(SOURCES[draw(st.sampled_from(REPORT_NAMES))]))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        action = draw(st.sampled_from(["set", "set", "set", "delete", "insert", "retype"]))
        if action == "set":
            parent[key] = draw(json_values())
        elif action == "delete":
            del parent[key]
        elif action == "insert" and isinstance(parent, dict):
            new_key = draw(st.sampled_from(["extra", "total", "year", "format", "name", "text", "xxx"]))
            parent[new_key] = draw(json_values(1))
        elif action == "retype":
            value = parent[key]
            wrapped = [value] if not isinstance(value, list) else {"0": value}
            parent[key] = wrapped if draw(st.booleans()) else str(value)
    return doc


@pytest.mark.slow
@fuzz(300)
@given(mutated_reports(), st.booleans())
def test_mutated_valid_json(doc, with_bom):
    data = _dumps(doc).encode("utf-8", "surrogatepass")
    _accept_json((b"\xef\xbb\xbf" if with_bom else b"") + data)


# --------------------------------------------------------------------------- workbooks


def _read_and_validate(path: Path) -> None:
    try:
        submission = wbread.read_workbook(path)
    except UnusableInput as exc:
        assert str(exc).startswith(path.name)
        event("refused: " + _gist(exc))
        return
    event("read")
    report = validate(submission)
    dump_model(report_to_model(submission, report))  # what `xxgk export --force` writes


@pytest.fixture
def fuzz_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "fuzz.xlsx"


@pytest.mark.slow
@fuzz(150)
@given(
    st.sampled_from(REPORT_NAMES),
    st.lists(st.tuples(st.integers(2, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
    st.one_of(st.none(), st.integers(4, 10**6)),
)
def test_flipped_and_truncated_workbook_bytes(fuzz_file, name, flips, keep):
    data = bytearray(WORKBOOKS[name])
    for where, value in flips:  # anywhere but the "PK" magic
        data[2 + where % (len(data) - 2)] = value
    if keep is not None:
        data = data[: keep % len(data) or 4]
    fuzz_file.write_bytes(bytes(data))
    _read_and_validate(fuzz_file)


def _rezip(name: str, part: str, edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(WORKBOOKS[name])) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, edit(data) if info.filename == part else data)
    return out.getvalue()


PARTS = sorted(zipfile.ZipFile(io.BytesIO(WORKBOOKS["fenxi-zfb_2023"])).namelist())


@pytest.mark.slow
@fuzz(150)
@given(
    st.sampled_from(REPORT_NAMES),
    st.sampled_from(PARTS),
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=8)), min_size=1, max_size=6),
)
def test_mutated_xml_parts(fuzz_file, name, part, edits):
    """Bytes inside one uncompressed part replaced (the zip stays valid, so the XML parsers
    and openpyxl's readers see the damage)."""

    def edit(xml: bytes) -> bytes:
        xml = bytearray(xml)
        for where, new in edits:
            at = min(int(where * len(xml)), len(xml))
            xml[at : at + len(new)] = new
        return bytes(xml)

    fuzz_file.write_bytes(_rezip(name, part, edit))
    _read_and_validate(fuzz_file)


INPUT_CELLS = [(c.sheet, c.ref) for c in (*FMT.cells, *FMT.baseline_cells)]
SHEET_PARTS = {s.name: f"xl/worksheets/sheet{i}.xml" for i, s in enumerate(FMT.sheets, 1)}


@pytest.mark.slow
@fuzz(200)
@given(
    st.sampled_from(REPORT_NAMES),
    st.sampled_from(INPUT_CELLS),
    st.sampled_from(["n", "s", "str", "b", "e", "d", "inlineStr", "x", None]),
    st.one_of(st.none(), st.integers(-5, 400)),
    st.one_of(
        st.none(),
        st.text(max_size=20),
        st.sampled_from(
            [
                "1e308",
                "1e309",
                "-1",
                "nan",
                "inf",
                "2024-01-29T00:00:00",
                "9999-12-31",
                "99999999",
                "#DIV/0!",
                "0",
                "1",
                "TRUE",
                "3.5",
                "",
                " 7 ",
            ]
        ),
    ),
)
def test_random_cell_xml(fuzz_file, name, cell, kind, style, text):
    """One input cell's XML replaced by a cell of a random type, style and value."""
    sheet, ref = cell
    attrs = f' r="{ref}"' + (f' t="{kind}"' if kind else "") + (f' s="{style}"' if style is not None else "")
    body = (
        ""
        if text is None
        else (f"<is><t>{_xml_text(text)}</t></is>" if kind == "inlineStr" else f"<v>{_xml_text(text)}</v>")
    )
    new = f"<c{attrs}>{body}</c>".encode()
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"(?: [^>]*?)?(?:/>|>.*?</c>)')

    def edit(xml: bytes) -> bytes:
        return pattern.sub(lambda _m: new, xml, count=1)

    fuzz_file.write_bytes(_rezip(name, SHEET_PARTS[sheet], edit))
    _read_and_validate(fuzz_file)


def _xml_text(text: str) -> str:
    text = "".join(ch for ch in text if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd"))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell_values():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**18), max_value=10**18),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=False, allow_infinity=False, places=4).filter(lambda d: abs(d) < 10**20),
        st.text(max_size=60).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
        st.sampled_from(
            [
                "=1+2",
                "=SUM(A1:A3)",
                "=#REF!",
                "/",
                "—",
                "３",
                "3件",
                "1,234",
                "1.0",
                "-0",
                "0x10",
                " 12 ",
                "二",
                "TRUE",
                "2024-01-29",
                "2024年1月29日",
            ]
        ),
        st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
        st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
        st.times(),
        st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3000)),
    )


@pytest.mark.slow
@fuzz(80)
@given(
    st.sampled_from(REPORT_NAMES),
    st.lists(st.tuples(st.sampled_from(INPUT_CELLS), cell_values()), min_size=1, max_size=12),
)
def test_openpyxl_edited_workbooks_are_read_and_validated(fuzz_file, name, edits):
    """Random values of random types in random input cells, saved by openpyxl as staff's
    spreadsheet would: the read must succeed and the rules must return findings."""
    wb = openpyxl.load_workbook(io.BytesIO(WORKBOOKS[name]))
    for (sheet, ref), value in edits:
        if isinstance(value, Decimal):
            value = float(value) if value == value.normalize() and abs(value) < 10**15 else str(value)
        wb[sheet][ref] = value
    wb.save(fuzz_file)
    submission = wbread.read_workbook(fuzz_file)
    report = validate(submission)
    assert report.findings is not None
    dump_model(report_to_model(submission, report))


# --------------------------------------------------------------------------- compound files


def _cfb_sample() -> bytes:
    return write_compound_file(
        {
            "EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200),
            "EncryptedPackage": bytes(range(256)) * 20,
            "\x06DataSpaces": {"Version": bytes(76)},
        }
    )


CFB = _cfb_sample()


@fuzz(200)
@given(
    st.lists(st.tuples(st.integers(0, len(CFB) - 1), st.integers(0, 255)), min_size=1, max_size=10),
    st.one_of(st.none(), st.integers(8, len(CFB))),
)
def test_compound_file_directory_parser(fuzz_file, flips, keep):
    """The stdlib-only directory reader either lists names or raises ValueError/struct.error;
    the CLI message for an OLE file is one of three, never a crash."""
    data = bytearray(CFB)
    for where, value in flips:
        data[where] = value
    data[:8] = CFB[:8]
    if keep is not None:
        data = data[:keep]
    fuzz_file.write_bytes(bytes(data))
    try:
        names = wbread.compound_file_names(fuzz_file)
        assert isinstance(names, set)
    except (ValueError, struct_error):
        pass
    with pytest.raises(UnusableInput) as info:
        wbread.check_workbook_file(fuzz_file)
    assert info.value.code in ("encrypted", "xls", "not-xlsx")


# --------------------------------------------------------------------------- published reports (importer)

PUBLISHED = Path(__file__).parent / "fixtures" / "published"
PUBLISHED_TEXT = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")


def _as_page(text: str) -> str:
    """The published text as a simple government page: ``|`` rows as table rows, other
    lines as paragraphs, inside a CMS article container."""
    rows = []
    for line in text.split("\n"):
        if "|" in line:
            rows.append("<tr>" + "".join(f"<td>{c.strip()}</td>" for c in line.split("|")) + "</tr>")
        else:
            rows.append(f"<p>{line}</p>")
    body = "\n".join(rows)
    return f'<html><head><meta charset="utf-8"></head><body><div id="zoom"><table>{body}</table></div></body></html>'


PUBLISHED_PAGE = _as_page(PUBLISHED_TEXT)
_TOKENS = [
    "<table>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td>",
    "</td>",
    '<td rowspan="3">',
    "<br>",
    "<p>",
    "</",
    "<!--",
    "-->",
    "<script>",
    '<div class="TRS_Editor">',
    "</div>",
    "&nbsp;",
    "&#x0;",
    " | ",
    "\n",
    "\f",
    "/",
    "—",
    "0",
    "7",
    "1,234",
    "2.5",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
    "本年新制作数量",
    "（六）其他处理",
    "某县2024年政府信息公开工作年度报告",
    "\x00",
    "\ud800",
]


def _accept_published(fuzz_file: Path, data: bytes) -> None:
    """Import like ``xxgk import``/``check --published``: a refusal is UnusableInput with a
    specific code; what is accepted must validate and export."""
    from validator.importer.document import read_document, to_submission

    fuzz_file.write_bytes(data)
    try:
        imported = read_document(fuzz_file)
    except UnusableInput as exc:
        event("refused: " + _gist(exc))
        return
    event(f"accepted: {len(imported.figures)} figures, {len(imported.unread)} unread")
    submission = to_submission(imported, fuzz_file.name, body_type="政府")
    dump_model(report_to_model(submission, validate(submission)))


@pytest.fixture(scope="module")
def published_file(tmp_path_factory):
    return tmp_path_factory.mktemp("published")


def _mutated(base: str, edits: list[tuple[int, int, str]]) -> str:
    text = base
    for where, cut, insert in edits:
        at = where % (len(text) + 1)
        text = text[:at] + insert + text[at + cut :]
    return text


_EDITS = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 40), st.one_of(st.sampled_from(_TOKENS), st.text(max_size=8))),
    min_size=1,
    max_size=8,
)


@pytest.mark.slow
@fuzz(100)
@given(st.sampled_from([".txt", ".md", ".html"]), _EDITS)
def test_mutated_published_report(published_file, suffix, edits):
    base = PUBLISHED_PAGE if suffix == ".html" else PUBLISHED_TEXT
    text = _mutated(base, edits)
    _accept_published(published_file / f"fuzz{suffix}", text.encode("utf-8", "surrogatepass"))


@fuzz(100)
@given(
    st.sampled_from([".txt", ".html"]),
    st.one_of(
        st.binary(max_size=2000),
        st.lists(st.one_of(st.sampled_from(_TOKENS), st.text(max_size=6)), max_size=60).map(
            lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
        ),
    ),
    st.sampled_from(["utf-8", "gb18030"]),
)
def test_random_published_documents(published_file, suffix, data, charset):
    if charset == "gb18030":
        data = data.decode("utf-8", "replace").encode("gb18030", "replace")
    _accept_published(published_file / f"random{suffix}", data)


# --------------------------------------------------------------------------- rows moved, numbers added

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import adversarial  # noqa: E402

_REAL = adversarial.real_reports()
_TROUBLES = ("shuffled", "article20", "fragments", "stray", "missing", "no-label", "typo", "joined")


@st.composite
def published_variants(draw):
    """A report (real, or random and valid) with some troubles, in one text or page form."""
    report = draw(st.one_of(st.sampled_from(_REAL), st.integers(0, 10**6).map(adversarial.random_report)))
    troubles = draw(st.lists(st.sampled_from(_TROUBLES), min_size=1, max_size=3, unique=True))
    label = draw(st.sampled_from(["", "label-before", "label-after"]))
    kind = "+".join([*troubles, *([label] if label else [])])
    form = draw(st.sampled_from(["txt-pipe", "txt-spaces", "txt-cells", "md", "html"]))
    if form == "txt-cells" and {"stray", "missing"} <= set(troubles):
        # One cell per line, a figure left out and a bare page number printed in the same row:
        # the text holds the row's count of figures and nothing tells the stray one apart (a
        # line of figures keeps a page number on a line of its own). No reader can know.
        form = "txt-pipe"
    return report, kind, form, draw(st.integers(0, 2**32))


@pytest.mark.slow
@fuzz(60)
@given(published_variants())
def test_every_cell_read_is_the_sources_cell_for_its_label(published_file, variant):
    """Rows shuffled, stray numbers inserted, labels moved, a figure or a label left out: each
    cell read equals the source's cell for that label, or is null (never another row's)."""
    report, kind, form, seed = variant
    event(kind.split("+")[0])
    folder = published_file / f"v{seed}"
    folder.mkdir(exist_ok=True)
    [made] = adversarial.make_variants([report], [kind], [form], folder, seed)
    right, wrong, unread = adversarial.read(made)
    assert wrong == 0, f"{made.path.name}: {wrong} cells read wrong"
