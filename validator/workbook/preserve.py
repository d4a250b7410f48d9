"""Put back into the annotated copy what openpyxl leaves out of the user's workbook.

openpyxl saves a formula without its cached result and drops the sheets' drawing parts
(pictures, text boxes, shapes; charts it rewrites). A copy without cached results no longer
reads like its source: a total typed as ``=SUM(...)`` reads as empty, and the copy fails the
checks its source passed. So after openpyxl has saved, :func:`restore` gives every formula
cell the result its source cell carried and copies each sheet's drawing part, with every
part it refers to, its relationship and content types, from the source package.

The source was checked by :func:`validator.workbook.read.check_workbook_file` (sizes, zip
bombs, DTDs) before anything here reads it; XML is parsed with defusedxml all the same.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from validator.spec import col_letter, split_ref

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
OFFICE_DOCUMENT = R_NS + "/officeDocument"
WORKSHEET = R_NS + "/worksheet"
DRAWING = R_NS + "/drawing"
MC_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
COPYABLE = ("xl/drawings/", "xl/media/", "xl/charts/", "xl/embeddings/", "xl/diagrams/", "xl/ink/")
"""Where a drawing's own parts live; a relationship to anything else is kept but not copied."""
CACHED_TYPES = {None: "", "n": "", "str": ' t="str"', "b": ' t="b"', "e": ' t="e"', "d": ' t="d"'}
"""Cached-result types carried over (``t`` attribute of the source ``<c>``), as written back."""
NOT_KEPT = {"picture": "工作表背景图片", "oleObjects": "嵌入的对象（OLE）", "legacyDrawingHF": "页眉页脚中的图片"}
"""Sheet elements openpyxl drops that :func:`restore` does not put back (named in the notes)."""
AFTER_DRAWING = re.compile(
    r"<(?:legacyDrawing|legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)[\s/>]"
)
"""Elements the schema puts after ``<drawing>`` in a worksheet (CT_Worksheet's sequence)."""
EMPTY_FORMULA_CELL = re.compile(r'<c r="([A-Z]{1,3}[0-9]{1,7})"([^>]*)><f((?:\s[^>]*)?)>([^<]*)</f><v\s*/></c>')
"""A formula cell as openpyxl writes it: no cached result, ``<v />``."""


@dataclass
class SourceSheet:
    name: str
    part: str
    cached: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    """A1 ref -> (t, cached result) of every formula cell that has one."""
    drawing: str | None = None
    """The sheet's DrawingML part (pictures, text boxes, shapes, charts), if any."""
    controls: bool = False
    """Form or ActiveX controls: their shapes in the drawing belong to ``<controls>``, which
    openpyxl drops, so such a drawing is not copied (macro buttons stay, in the VML part)."""
    drawing_has_objects: bool = False
    """The drawing holds something besides controls (only looked at when ``controls``)."""
    not_kept: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- package helpers


def _parse(data: bytes):
    from defusedxml.ElementTree import fromstring

    return fromstring(data)


def rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(base: str, target: str) -> str:
    """A relationship target as a part name (no leading slash), relative to the source part."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def read_rels(z: zipfile.ZipFile, part: str) -> list[dict[str, str]]:
    name = rels_part(part)
    if name not in z.namelist():
        return []
    return [dict(el.attrib) for el in _parse(z.read(name)) if el.tag == PKG_REL + "Relationship"]


def _internal(rel: dict[str, str]) -> bool:
    return rel.get("TargetMode", "Internal") != "External"


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> part, from the workbook part and its relationships (chart sheets,
    which openpyxl writes back whole, are left out)."""
    workbook = next(
        (resolve("", r["Target"]) for r in read_rels(z, "") if r.get("Type") == OFFICE_DOCUMENT), "xl/workbook.xml"
    )
    targets = {
        r.get("Id"): resolve(workbook, r.get("Target", ""))
        for r in read_rels(z, workbook)
        if _internal(r) and r.get("Type") == WORKSHEET
    }
    return {
        el.get("name", ""): targets[el.get(R_ID)]
        for el in _parse(z.read(workbook)).iter(MAIN + "sheet")
        if el.get(R_ID) in targets
    }


def content_types(z: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """(extension -> type, part name -> type) from ``[Content_Types].xml``."""
    root = _parse(z.read("[Content_Types].xml"))
    defaults = {el.get("Extension", "").lower(): el.get("ContentType", "") for el in root.iter(CT + "Default")}
    overrides = {el.get("PartName", "").lstrip("/"): el.get("ContentType", "") for el in root.iter(CT + "Override")}
    return defaults, overrides


def _type_of(part: str, types: tuple[dict[str, str], dict[str, str]]) -> str | None:
    defaults, overrides = types
    return overrides.get(part) or defaults.get(posixpath.splitext(part)[1].lstrip(".").lower())


# --------------------------------------------------------------------------- the source


def scan_source(z: zipfile.ZipFile) -> dict[str, SourceSheet]:
    """What the copy must keep from each sheet of the source package, by sheet name."""
    out = {}
    for name, part in sheet_parts(z).items():
        if part in z.namelist():
            out[name] = _scan_sheet(z, name, part)
    return out


def _scan_sheet(z: zipfile.ZipFile, name: str, part: str) -> SourceSheet:
    from defusedxml.ElementTree import iterparse

    sheet = SourceSheet(name, part)
    drawing_id = None
    row = col = 0
    with z.open(part) as fh:
        for event, el in iterparse(fh, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == MAIN + "row":
                    r = el.get("r", "")
                    row, col = (int(r) if r.isdigit() else row + 1), 0
                continue
            if tag == MAIN + "c":
                ref = el.get("r")
                col = split_ref(ref)[1] + 1 if ref else col + 1
                formula, value = el.find(MAIN + "f"), el.find(MAIN + "v")
                if formula is not None and value is not None and value.text is not None:
                    sheet.cached[ref or f"{col_letter(col - 1)}{row}"] = (el.get("t"), value.text)
                el.clear()
            elif tag == MAIN + "row":
                el.clear()
            elif tag == MAIN + "drawing":
                drawing_id = el.get(R_ID)
            elif tag == MAIN + "controls":
                sheet.controls = True
            elif tag.startswith(MAIN) and tag[len(MAIN) :] in NOT_KEPT:
                sheet.not_kept.append(NOT_KEPT[tag[len(MAIN) :]])
    if drawing_id is not None:
        rel = next((r for r in read_rels(z, part) if r.get("Id") == drawing_id and _internal(r)), None)
        target = resolve(part, rel["Target"]) if rel and rel.get("Type") == DRAWING else None
        if target in z.namelist():
            sheet.drawing = target
            if sheet.controls:
                sheet.drawing_has_objects = any(child.tag != MC_ALTERNATE for child in _parse(z.read(target)))
    return sheet


def notes(sheets: dict[str, SourceSheet], kept: set[str]) -> list[str]:
    """Chinese notes on what the copy could not keep, one per sheet."""
    out = []
    for name, sheet in sheets.items():
        lost = list(sheet.not_kept)
        if sheet.drawing and name not in kept and (not sheet.controls or sheet.drawing_has_objects):
            lost.insert(0, "图片、文本框等图形")
        if lost:
            out.append(f"工作表“{name}”中的{'、'.join(dict.fromkeys(lost))}未能保留在标注副本中，请以原文件为准")
    return out


# --------------------------------------------------------------------------- the copy


def restore(data: bytes, source: zipfile.ZipFile, sheets: dict[str, SourceSheet], drawings: set[str]) -> bytes:
    """openpyxl's saved copy (``data``) with cached results and the named sheets' drawings put back."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
        targets = sheet_parts(z)
        out_types = content_types(z)
    src_types = content_types(source)
    new_types: dict[str, str] = {}
    for name, sheet in sheets.items():
        part = targets.get(name)
        if part not in parts:
            continue
        xml = parts[part].decode("utf-8")
        if sheet.cached:
            xml = _with_cached_results(xml, sheet.cached)
        if name in drawings and sheet.drawing and "<drawing " not in xml:
            drawing = _copy_drawing(source, sheet.drawing, parts, src_types, new_types)
            xml = _with_drawing(xml, _add_relationship(parts, part, drawing))
        parts[part] = xml.encode("utf-8")
    missing = {p: t for p, t in new_types.items() if _type_of(p, out_types) != t}
    if missing:
        overrides = "".join(
            f"<Override PartName={quoteattr('/' + p)} ContentType={quoteattr(t)}/>" for p, t in missing.items()
        )
        ct = parts["[Content_Types].xml"].decode("utf-8")
        parts["[Content_Types].xml"] = ct.replace("</Types>", overrides + "</Types>").encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return buffer.getvalue()


def _with_cached_results(xml: str, cached: dict[str, tuple[str | None, str]]) -> str:
    def put(m: re.Match) -> str:
        hit = cached.get(m.group(1))
        if hit is None or hit[0] not in CACHED_TYPES:
            return m.group(0)
        t, value = hit
        return f'<c r="{m.group(1)}"{m.group(2)}{CACHED_TYPES[t]}><f{m.group(3)}>{m.group(4)}</f><v>{escape(value)}</v></c>'

    return EMPTY_FORMULA_CELL.sub(put, xml)


def _free_name(part: str, taken) -> str:
    stem, ext = posixpath.splitext(part)
    n = 1
    while f"{stem}_{n}{ext}" in taken:
        n += 1
    return f"{stem}_{n}{ext}"


def _copy_drawing(
    source: zipfile.ZipFile, drawing: str, parts: dict[str, bytes], src_types, new_types: dict[str, str]
) -> str:
    """Copy the drawing part and every part it refers to (media, charts …) into ``parts``;
    a name the copy already uses gets a fresh one. Returns the drawing's name in the copy."""
    names = set(source.namelist())
    closure: list[str] = [drawing]
    seen = {drawing}
    for part in closure:  # grows while it is walked; each part once
        for rel in read_rels(source, part):
            target = resolve(part, rel.get("Target", ""))
            if _internal(rel) and target.startswith(COPYABLE) and target in names and target not in seen:
                seen.add(target)
                closure.append(target)
    renamed: dict[str, str] = {}
    for part in closure:
        body = source.read(part)
        reuse = parts.get(part) == body and not read_rels(source, part)
        name = part if part not in parts or reuse else _free_name(part, parts)
        renamed[part] = name
        parts[name] = body
        if (kind := _type_of(part, src_types)) is not None:
            new_types[name] = kind
    for part in closure:
        rels = read_rels(source, part)
        if rels:
            parts[rels_part(renamed[part])] = _rels_xml(rels, part, renamed)
    return renamed[drawing]


def _rels_xml(rels: list[dict[str, str]], part: str, renamed: dict[str, str]) -> bytes:
    items = []
    for rel in rels:
        attrs = dict(rel)
        if _internal(rel):
            target = resolve(part, rel.get("Target", ""))
            attrs["Target"] = "/" + renamed.get(target, target)
        items.append("<Relationship " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + "/>")
    xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL[1:-1]}">'
    return (xml + "".join(items) + "</Relationships>").encode("utf-8")


def _add_relationship(parts: dict[str, bytes], sheet_part: str, drawing: str) -> str:
    """A drawing relationship in the sheet's relationships part; returns its id."""
    name = rels_part(sheet_part)
    if name in parts:
        xml = parts[name].decode("utf-8")
        taken = {el.get("Id") for el in _parse(parts[name])}
    else:
        xml = f'<Relationships xmlns="{PKG_REL[1:-1]}"></Relationships>'
        taken = set()
    n = 1
    while f"rIdXxgkDrawing{n}" in taken:
        n += 1
    rid = f"rIdXxgkDrawing{n}"
    rel = f"<Relationship Id={quoteattr(rid)} Type={quoteattr(DRAWING)} Target={quoteattr('/' + drawing)}/>"
    xml = re.sub(r"<Relationships([^>]*)/>", r"<Relationships\1></Relationships>", xml, count=1)
    parts[name] = xml.replace("</Relationships>", rel + "</Relationships>").encode("utf-8")
    return rid


def _with_drawing(xml: str, rid: str) -> str:
    """``<drawing r:id=…/>`` where the worksheet schema wants it: after the cells and page
    settings, before legacyDrawing, tableParts, extLst and the like."""
    end = max(xml.find("</sheetData>"), 0)
    found = AFTER_DRAWING.search(xml, end)
    at = found.start() if found else xml.rindex("</worksheet>")
    return f'{xml[:at]}<drawing xmlns:r="{R_NS}" r:id="{rid}"/>{xml[at:]}'
