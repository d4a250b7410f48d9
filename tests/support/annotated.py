"""A workbook's package parts as Excel writes them, for tests of the annotated copy and `fill`:
read and write the zip's parts, find a sheet's part, add a picture and a 盖章处 text box the way
Excel stores them. Also the 校验结果 sheet's 情况说明 column."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EXPLAIN_COL = 9  # 校验结果's 情况说明 column (1-based)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(path: Path, content: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in content.items():
            z.writestr(name, body)


def sheet_part(content: dict[str, bytes], sheet: str) -> str:
    """The worksheet part of a sheet, from workbook.xml and its relationships."""
    rid = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*r:id="([^"]+)"', content["xl/workbook.xml"].decode()).group(1)
    rels = content["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels) or re.search(
        rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels
    )
    return target.group(1).lstrip("/")


def rels_of(part: str) -> str:
    folder, name = part.rsplit("/", 1)
    return f"{folder}/_rels/{name}.rels"


def content_type(content: dict[str, bytes], part: str) -> str | None:
    ct = content["[Content_Types].xml"].decode()
    found = re.search(rf'<Override PartName="/{re.escape(part)}" ContentType="([^"]+)"', ct)
    if found:
        return found.group(1)
    ext = part.rsplit(".", 1)[-1]
    found = re.search(rf'<Default Extension="{ext}" ContentType="([^"]+)"', ct)
    return found.group(1) if found else None


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xcc\x00\x00" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def anchor(col: int, row: int, body: str) -> str:
    def at(tag: str, c: int, r: int) -> str:
        return (
            f"<xdr:{tag}><xdr:col>{c}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>"
        )

    return f"<xdr:twoCellAnchor>{at('from', col, row)}{at('to', col + 2, row + 3)}{body}<xdr:clientData/></xdr:twoCellAnchor>"


PICTURE = (
    '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="Picture 1"/><xdr:cNvPicPr/></xdr:nvPicPr>'
    '<xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
    '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'
)
TEXT_BOX = (
    '<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="3" name="TextBox 2"/><xdr:cNvSpPr txBox="1"/>'
    '</xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" cy="457200"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr wrap="square"/>'
    '<a:lstStyle/><a:p><a:r><a:rPr lang="zh-CN"/><a:t>盖章处</a:t></a:r></a:p></xdr:txBody></xdr:sp>'
)


def drawing_xml(*anchors: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{R_NS}">'
        + "".join(anchors)
        + "</xdr:wsDr>"
    ).encode()


def add_to_sheet(content: dict[str, bytes], sheet: str, element: str, rel_type: str, target: str) -> None:
    """``element`` (with r:id="rIdT") at the end of the sheet, related to ``target``."""
    part = sheet_part(content, sheet)
    xml = content[part].decode()
    if "xmlns:r=" not in xml[:500]:
        xml = xml.replace("<worksheet ", f'<worksheet xmlns:r="{R_NS}" ', 1)
    content[part] = xml.replace("</worksheet>", element + "</worksheet>").encode()
    rel = f'<Relationship Id="rIdT" Type="{R_NS}/{rel_type}" Target="{target}"/>'
    content[rels_of(part)] = (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rel}</Relationships>'
    ).encode()


def add_override(content: dict[str, bytes], part: str, kind: str) -> None:
    ct = content["[Content_Types].xml"].decode()
    content["[Content_Types].xml"] = ct.replace(
        "</Types>", f'<Override PartName="/{part}" ContentType="{kind}"/></Types>'
    ).encode()


def with_drawing(
    source: Path, target: Path, sheet: str = "封面", anchors: tuple[str, ...] | None = None, extra: str = ""
) -> Path:
    """``source`` with a picture and a 盖章处 text box on ``sheet``, as Excel stores them."""
    content = parts(source)
    anchors = anchors if anchors is not None else (anchor(5, 1, PICTURE), anchor(5, 5, TEXT_BOX))
    content["xl/drawings/drawing1.xml"] = drawing_xml(*anchors)
    content["xl/drawings/_rels/drawing1.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R_NS}/image" Target="../media/image1.png"/></Relationships>'
    ).encode()
    content["xl/media/image1.png"] = tiny_png()
    add_to_sheet(content, sheet, f'{extra}<drawing r:id="rIdT"/>', "drawing", "../drawings/drawing1.xml")
    add_override(content, "xl/drawings/drawing1.xml", "application/vnd.openxmlformats-officedocument.drawing+xml")
    add_override(content, "xl/media/image1.png", "image/png")
    write_parts(target, content)
    return target
