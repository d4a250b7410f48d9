"""Hostile workbooks built in tests: a real report copied part by part with edits, parts streamed
so a 2 GB sheet is a few MB on disk, password-protected and pre-2007 files, a billion-laughs DTD,
millions of rows or shared strings; and the CLI run in a child process with its peak memory."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from addin.ovba.cfb import write_compound_file
from validator.formats import get_format
from validator.workbook import read as wbread

from conftest import REPORTS, ROOT, TEMPLATE

FENXI = REPORTS / "fenxi-zfb_2023.xlsx"
SOURCE_JSON = REPORTS / "fenxi-zfb_2023.source.json"
FMT = get_format()
MB = 1024 * 1024


class _RepeatCompressor:
    """Stands in for zipfile's deflate compressor while one chunk is written many times.

    After a full flush deflate forgets its history, so every copy of the chunk compresses to
    the same bytes: compress once, emit many times. Anything else is compressed for real.
    (If zipfile ever renames its private ``_compressor``, the archive is still correct, only
    slower to build.)
    """

    def __init__(self, chunk: bytes):
        self.chunk = chunk
        self.co = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.block = self.compress(chunk)

    def compress(self, data: bytes) -> bytes:
        if data is self.chunk and hasattr(self, "block"):
            return self.block
        return self.co.compress(data) + self.co.flush(zlib.Z_FULL_FLUSH)

    def flush(self) -> bytes:
        return self.co.flush()


def write_streamed(z: zipfile.ZipFile, name: str, head: bytes, chunk: bytes, count: int, tail: bytes) -> None:
    """A deflated part of ``head + chunk * count + tail``, built in about the time CRC-32 takes."""
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as w:
        w._compressor = _RepeatCompressor(chunk)
        w.write(head)
        for _ in range(count):
            w.write(chunk)
        w.write(tail)


def rebuild(src: Path, dst: Path, edits: dict | None = None, skip: tuple[str, ...] = (), extra=None) -> Path:
    """Copy a workbook part by part; ``edits`` maps a part to new bytes or a bytes -> bytes function."""
    edits = edits or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in skip:
                continue
            data = zin.read(info)
            edit = edits.get(info.filename)
            if edit is not None:
                data = edit(data) if callable(edit) else edit
            zout.writestr(info.filename, data)
        if extra:
            extra(zout)
    return dst


def worksheet_part(sheet: str) -> str:
    """The part of `sheet` in a workbook the template wrote (sheets in the format's order)."""
    return f"xl/worksheets/sheet{[s.name for s in FMT.sheets].index(sheet) + 1}.xml"


def encrypted_workbook() -> bytes:
    """What Excel writes for a workbook with an open password ([MS-OFFCRYPTO] agile encryption)."""
    info = (
        struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>'
    )
    package = struct.pack("<Q", 12345) + bytes(range(256)) * 40  # > 4096 bytes: regular sectors
    return write_compound_file(
        {
            "EncryptionInfo": info,
            "EncryptedPackage": package,
            "\x06DataSpaces": {
                "Version": b"\x3c\x00\x00\x00" + "Microsoft.Container.DataSpaces".encode("utf-16-le"),
                "DataSpaceMap": b"\x08\x00\x00\x00\x01\x00\x00\x00",
            },
        }
    )


def old_xls() -> bytes:
    """A minimal Excel 97-2003 (.xls) compound file: a BIFF8 workbook stream."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0)
    return write_compound_file(
        {
            "Workbook": bof + b"\x0a\x00\x00\x00" + bytes(5000),
            "\x05SummaryInformation": bytes(200),
            "\x05DocumentSummaryInformation": bytes(200),
        }
    )


def sheet_bomb(path: Path, gigabytes: int = 2) -> Path:
    """表三 replaced by a sheet of ``gigabytes`` GB of rows that compresses to a few MB."""
    part = worksheet_part("表三")
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    chunk = b'<row><c t="inlineStr"><is><t>AAAAAAAAAAAAAAAA</t></is></c></row>' * (MB // 64)
    return rebuild(
        FENXI,
        path,
        skip=(part,),
        extra=lambda z: write_streamed(z, part, head, chunk, 1024 * gigabytes, b"</sheetData></worksheet>"),
    )


LAUGHS_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def billion_laughs(xml: bytes, entity: bytes = b"&lol9;", padding: bytes = b"") -> bytes:
    """The same part with a billion-laughs DTD in front and the entity used in the first text."""
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    body = body.replace(b"<t>", b"<t>" + entity, 1)
    return LAUGHS_DTD.replace(b"<!DOCTYPE", padding + b"<!DOCTYPE") + body


@dataclass
class Measured:
    """A CLI run in a child process: exit code, output, and the child's peak memory."""

    code: int
    out: str
    err: str
    max_rss_mb: float


_CHILD = """
import sys
from validator.cli.program import main
try:
    code = main(sys.argv[2:])
finally:
    try:
        with open("/proc/self/status") as status:
            peak = next((line.split()[1] for line in status if line.startswith("VmHWM:")), "0")
    except OSError:
        peak = "0"
    with open(sys.argv[1], "w") as fh:
        fh.write(peak)
sys.exit(code)
"""


def run_measured(*args, tmp_path: Path) -> Measured:
    """The CLI in a child process, with its own peak memory.

    The peak is VmHWM of the child's own address space (Linux): ``ru_maxrss`` of a child
    would include the parent's memory at fork time. 0 where /proc is not available.
    """
    out_file, err_file, peak_file = tmp_path / "child.out", tmp_path / "child.err", tmp_path / "child.peak"
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("XXGK_DEBUG", None)
    with out_file.open("wb") as out, err_file.open("wb") as err:
        code = subprocess.run(
            [sys.executable, "-c", _CHILD, peak_file, *map(str, args)],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
            timeout=600,
        ).returncode
    return Measured(
        code, out_file.read_text("utf-8"), err_file.read_text("utf-8"), int(peak_file.read_text() or 0) / 1024
    )


SST_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def shared_strings(tmp_path, name: str, entries: bytes) -> Path:
    """The template with its shared-strings table replaced; every limit before this one holds."""
    path = rebuild(TEMPLATE, tmp_path / name, {"xl/sharedStrings.xml": SST_HEAD + entries + b"</sst>"})
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    assert info.file_size < wbread.MAX_PART_BYTES and info.file_size < wbread.MAX_XML_RATIO * info.compress_size
    return path


def million_rows(sheet: str, keep_dimension: bool):
    """An edit for :func:`rebuild`: a million rows below the last row the format uses on `sheet`,
    the sheet's declared extent (``<dimension>``) kept in step or removed."""
    rows_from = max(r for s, (r, _c) in wbread.sheet_extent(FMT).items() if s == sheet) + 1
    if sheet == FMT.results_sheet:
        rows_from = FMT.results_header_row + 1
    last = rows_from + 1_000_000 - 1

    def edit(xml: bytes) -> bytes:
        rows = b"".join(
            b'<row r="%d"><c r="A%d" t="n"><v>%d</v></c></row>' % (r, r, r) for r in range(rows_from, last + 1)
        )
        xml = xml.replace(b"</sheetData>", rows + b"</sheetData>")
        if keep_dimension:
            return re.sub(rb'<dimension ref="A1:([A-Z]+)\d+" />', rb'<dimension ref="A1:\g<1>%d" />' % last, xml)
        return re.sub(rb"<dimension [^>]*/>", b"", xml)

    return edit
