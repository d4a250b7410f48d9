"""Hostile workbooks built in tests: a real report copied part by part with edits, parts streamed
so a 2 GB sheet is a few MB on disk, password-protected and pre-2007 files, a billion-laughs DTD."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from addin.ovba.cfb import write_compound_file
from validator.formats import get_format

from conftest import REPORTS

FENXI = REPORTS / "fenxi-zfb_2023.xlsx"
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
