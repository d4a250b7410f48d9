"""Build a source-only ``vbaProject.bin`` ([MS-OVBA]) from VBA module text.

The project carries no compiled p-code: ``_VBA_PROJECT`` declares version 0xFFFF and every
MODULEOFFSET is 0, so Office compiles the modules from source when it opens the workbook.
That keeps the output independent of the Office version and lets it be built on Linux.

Everything that Office would randomise (project GUID, encryption seed) is fixed, so the same
modules always give the same bytes.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .cfb import write_compound_file
from .compression import compress

__all__ = ["VbaModule", "build_vba_project"]

CODEPAGE = 1252
_ENCODING = "cp1252"
LCID_EN_US = 0x0409
SYSKIND_WIN64 = 3
PROJECT_ID = "{6B1C7E52-3A0D-4F8E-9C27-5D4A1B3E8F60}"
#: Seed of the CMG/DPB/GC obfuscation ([MS-OVBA] 2.4.3); any value is valid, a fixed one is
#: what makes two builds byte-identical.
ENCRYPTION_SEED = 0x6D

_VB_BASE = {
    "workbook": "0{00020819-0000-0000-C000-000000000046}",
    "worksheet": "0{00020820-0000-0000-C000-000000000046}",
}
_REFERENCES = (
    (
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb"
        "#OLE Automation",
    ),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files"
        r"\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)
# Reserved1 0x61CC, Version 0xFFFF ("MUST be 0xFFFF on write": no performance cache),
# Reserved2 0x00, Reserved3 0x0001. Reserved3 is undefined and ignored on read; 0x0001 is what
# the spec's example 3.1.1 and Aspose.Cells write with version 0xFFFF (Excel writes 0x0003
# only together with a real version and a performance cache).
_VBA_PROJECT_STREAM = bytes.fromhex("CC61FFFF000100")
# Plain values behind the PROJECT stream's CMG, DPB and GC lines ([MS-OVBA] 2.3.1.15-17).
_UNPROTECTED = bytes(4)  # ProjectProtectionState: no user, host or VBE protection
_NO_PASSWORD = b"\x00"  # ProjectPassword: none
_VISIBLE = b"\xff"  # ProjectVisibilityState: visible
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_RESERVED_STREAM_NAMES = {"DIR", "_VBA_PROJECT"}  # siblings of the module streams in VBA/


@dataclass(frozen=True)
class VbaModule:
    """One VBA module.

    ``standard`` modules (.bas) bring their own ``Attribute VB_Name = "<name>"`` first line, as
    exported by the VBA editor. ``document`` modules (ThisWorkbook, a sheet) are the code
    behind a host object; their attribute header is generated from ``base`` ("workbook" or
    "worksheet"), so their ``source`` holds only code.

    Source must be ASCII: the project's code page is 1252, which cannot carry Chinese, so user
    facing text belongs in Python, not in VBA string literals.
    """

    name: str
    source: str
    kind: Literal["standard", "document"]
    base: Literal["workbook", "worksheet"] | None = None

    def __post_init__(self) -> None:
        if not self.source.isascii():
            bad = next(i for i, ch in enumerate(self.source) if not ch.isascii())
            line = self.source.count("\n", 0, bad) + 1
            raise ValueError(
                f"module {self.name!r} line {line}: non-ASCII character {self.source[bad]!r}; VBA "
                "source must be ASCII (code page 1252 cannot carry Chinese, keep such text in Python)"
            )
        if not _IDENTIFIER.fullmatch(self.name):
            raise ValueError(
                f"module name {self.name!r} is not a VBA identifier (a letter, then letters, "
                "digits or _; at most 31 characters)"
            )
        if self.kind == "document":
            if self.base not in _VB_BASE:
                raise ValueError(f"document module {self.name!r} needs base 'workbook' or 'worksheet'")
            if re.match(r"\s*Attribute\s+VB_", self.source, re.IGNORECASE):
                raise ValueError(f"document module {self.name!r}: leave out the Attribute lines, the writer adds them")
        elif self.kind == "standard":
            if self.base is not None:
                raise ValueError(f"standard module {self.name!r} takes no base")
            first_line = _LINE_BREAK.split(self.source, maxsplit=1)[0]
            if first_line != f'Attribute VB_Name = "{self.name}"':
                raise ValueError(
                    f'standard module {self.name!r} must start with the line Attribute VB_Name = "{self.name}"'
                )
        else:
            raise ValueError(f"module kind must be 'standard' or 'document', not {self.kind!r}")

    @property
    def text(self) -> str:
        """The exact text stored in the module stream: CRLF line ends, attribute header first."""
        source = _LINE_BREAK.sub("\r\n", self.source)
        if self.kind == "standard":
            return source
        assert self.base is not None
        header = [
            f'Attribute VB_Name = "{self.name}"',
            f'Attribute VB_Base = "{_VB_BASE[self.base]}"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = True",
            "Attribute VB_Exposed = True",
            "Attribute VB_TemplateDerived = False",
            "Attribute VB_Customizable = True",
        ]
        return "".join(line + "\r\n" for line in header) + source


def build_vba_project(modules: Sequence[VbaModule], *, project_name: str = "VBAProject") -> bytes:
    """Return the bytes of a ``vbaProject.bin`` holding ``modules`` in the given order.

    Raises :class:`ValueError` for an invalid project name and for module names that collide
    (VBA names are case-insensitive) or that are reserved for the project's own streams.
    """
    if not _IDENTIFIER.fullmatch(project_name):
        raise ValueError(f"project name {project_name!r} is not a VBA identifier")
    seen: dict[str, str] = {}
    for module in modules:
        folded = module.name.upper()
        if folded in _RESERVED_STREAM_NAMES:
            raise ValueError(f"module name {module.name!r} is reserved for a VBA project stream")
        if folded in seen:
            raise ValueError(f"module names collide (VBA is case-insensitive): {seen[folded]!r} and {module.name!r}")
        seen[folded] = module.name

    vba: dict[str, bytes] = {
        "_VBA_PROJECT": _VBA_PROJECT_STREAM,
        "dir": compress(_dir_stream(modules, project_name)),
    }
    for module in modules:
        vba[module.name] = compress(module.text.encode(_ENCODING))
    return write_compound_file(
        {
            "PROJECT": _project_stream(modules, project_name),
            "PROJECTwm": _project_wm_stream(modules),
            "VBA": vba,
        }
    )


def _mbcs(text: str) -> bytes:
    return text.encode(_ENCODING)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _record(record_id: int, payload: bytes) -> bytes:
    """The common dir-stream record shape: u16 id, u32 size, payload."""
    return struct.pack("<HI", record_id, len(payload)) + payload


def _text_record(record_id: int, text: str, unicode_id: int) -> bytes:
    """A code-page string record followed by its UTF-16 twin (ids differ per record type)."""
    return _record(record_id, _mbcs(text)) + _record(unicode_id, _utf16(text))


def _dir_stream(modules: Sequence[VbaModule], project_name: str) -> bytes:
    """The decompressed ``VBA/dir`` stream ([MS-OVBA] 2.3.4.2): project info, references, modules."""
    out = [
        _record(0x0001, struct.pack("<I", SYSKIND_WIN64)),  # PROJECTSYSKIND
        _record(0x0002, struct.pack("<I", LCID_EN_US)),  # PROJECTLCID
        _record(0x0014, struct.pack("<I", LCID_EN_US)),  # PROJECTLCIDINVOKE
        _record(0x0003, struct.pack("<H", CODEPAGE)),  # PROJECTCODEPAGE
        _record(0x0004, _mbcs(project_name)),  # PROJECTNAME
        _text_record(0x0005, "", 0x0040),  # PROJECTDOCSTRING
        _record(0x0006, b"") + _record(0x003D, b""),  # PROJECTHELPFILEPATH: HelpFile1, HelpFile2
        _record(0x0007, struct.pack("<I", 0)),  # PROJECTHELPCONTEXT
        _record(0x0008, struct.pack("<I", 0)),  # PROJECTLIBFLAGS
        struct.pack("<HIIH", 0x0009, 4, 1, 0),  # PROJECTVERSION: "size" 4, then u32 + u16
        _text_record(0x000C, "", 0x003C),  # PROJECTCONSTANTS
    ]
    for name, libid in _REFERENCES:
        out.append(_text_record(0x0016, name, 0x003E))  # REFERENCENAME
        registered = struct.pack("<I", len(libid)) + _mbcs(libid) + struct.pack("<IH", 0, 0)
        out.append(_record(0x000D, registered))  # REFERENCEREGISTERED
    out.append(_record(0x000F, struct.pack("<H", len(modules))))  # PROJECTMODULES
    out.append(_record(0x0013, struct.pack("<H", 0xFFFF)))  # PROJECTCOOKIE
    for module in modules:
        out += [
            _text_record(0x0019, module.name, 0x0047),  # MODULENAME + MODULENAMEUNICODE
            _text_record(0x001A, module.name, 0x0032),  # MODULESTREAMNAME
            _text_record(0x001C, "", 0x0048),  # MODULEDOCSTRING
            _record(0x0031, struct.pack("<I", 0)),  # MODULEOFFSET: source starts the stream
            _record(0x001E, struct.pack("<I", 0)),  # MODULEHELPCONTEXT
            _record(0x002C, struct.pack("<H", 0xFFFF)),  # MODULECOOKIE
            # MODULETYPE: procedural, or document/class; its second field is Reserved, not a size.
            struct.pack("<HI", 0x0021 if module.kind == "standard" else 0x0022, 0),
            struct.pack("<HI", 0x002B, 0),  # module terminator
        ]
    out.append(struct.pack("<HI", 0x0010, 0))  # dir stream terminator
    return b"".join(out)


def _encrypt(data: bytes, seed: int = ENCRYPTION_SEED, project_id: str = PROJECT_ID) -> bytes:
    """[MS-OVBA] 2.4.3.2 data encryption: obfuscation keyed by the project id, not secrecy.

    Every byte is XORed with the sum of the previous plain byte and the encrypted byte
    before last; the "ignored" filler bytes, normally random, are fixed zeros here.
    """
    version = 2
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    version_enc, proj_key_enc = seed ^ version, seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    plain_prev, enc_prev, enc_prev2 = proj_key, proj_key_enc, version_enc
    ignored = bytes((seed & 6) // 2)
    for byte in ignored + struct.pack("<I", len(data)) + data:
        enc = byte ^ ((enc_prev2 + plain_prev) & 0xFF)
        out.append(enc)
        enc_prev2, enc_prev, plain_prev = enc_prev, enc, byte
    return bytes(out)


def _project_stream(modules: Sequence[VbaModule], project_name: str) -> bytes:
    """The ``PROJECT`` text stream ([MS-OVBA] 2.3.1): module list, name, protection state."""
    lines = [f'ID="{PROJECT_ID}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{_encrypt(_UNPROTECTED).hex().upper()}"',
        f'DPB="{_encrypt(_NO_PASSWORD).hex().upper()}"',
        f'GC="{_encrypt(_VISIBLE).hex().upper()}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
    ]
    return "".join(line + "\r\n" for line in lines).encode(_ENCODING)


def _project_wm_stream(modules: Sequence[VbaModule]) -> bytes:
    """``PROJECTwm`` ([MS-OVBA] 2.3.3): each module name in code page and UTF-16, NUL-terminated."""
    return b"".join(_mbcs(m.name) + b"\0" + _utf16(m.name) + b"\0\0" for m in modules) + b"\0\0"
