"""A minimal writer for [MS-CFB] compound files (OLE2), as used by ``vbaProject.bin``.

Only what a VBA project needs: version 3 (512-byte sectors), the whole FAT listed in the
header's 109 DIFAT slots (files up to about 6.8 MB), and the mini stream for streams under
4096 bytes. Output is deterministic: zero CLSIDs and timestamps, entries in a fixed order,
each storage's children linked as a balanced red-black tree, every sector allocated in one pass.

Sector layout: FAT sectors, directory, MiniFAT, mini stream, then each large stream.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias, Union

__all__ = ["Storage", "write_compound_file"]

#: A storage maps entry names to streams (``bytes``) or to nested storages.
Storage: TypeAlias = Mapping[str, Union[bytes, bytearray, "Storage"]]

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_IDS_PER_SECTOR = _SECTOR // 4
_HEADER_DIFAT_SLOTS = 109

_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF

_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1
# name (UTF-16, NUL-terminated), name byte length, type, colour, left, right, child, CLSID,
# state bits, creation and modification time, start sector, stream size
_DIR_ENTRY = struct.Struct("<64sHBB3I16sIQQIQ")
_FORBIDDEN_NAME_CHARS = set("/\\:!")


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    start: int = 0  # storages keep 0 here, as [MS-CFB] 2.6.3 requires
    size: int = 0
    colour: int = _BLACK
    children: list[int] = field(default_factory=list)


def _sort_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4 sibling order: shorter names first, then by upper-cased name."""
    return (len(name.encode("utf-16-le")) // 2, name.upper())


def _check_name(name: str) -> None:
    if not name or len(name.encode("utf-16-le")) // 2 > 31:
        raise ValueError(f"compound-file entry name must be 1 to 31 characters: {name!r}")
    if _FORBIDDEN_NAME_CHARS & set(name):
        raise ValueError(f"compound-file entry name may not contain / \\ : or !: {name!r}")


def _flatten(storage: Storage, entries: list[_Entry], index: int) -> None:
    """Append the children of ``entries[index]`` (pre-order) and link them as a balanced tree."""
    seen: dict[str, str] = {}
    for name in storage:
        _check_name(name)
        folded = name.upper()
        if folded in seen:
            raise ValueError(f"duplicate entry names (case-insensitive): {seen[folded]!r}, {name!r}")
        seen[folded] = name
    for name in sorted(storage, key=_sort_key):
        value = storage[name]
        child_index = len(entries)
        entries[index].children.append(child_index)
        if isinstance(value, (bytes, bytearray)):
            entries.append(_Entry(name, _STREAM, bytes(value)))
        else:
            entries.append(_Entry(name, _STORAGE))
            _flatten(value, entries, child_index)
    entries[index].child = _link(entries, entries[index].children)


def _link(entries: list[_Entry], ordered: list[int]) -> int:
    """Make ``ordered`` (already in sibling order) a red-black tree ([MS-CFB] 2.6.4); return its root.

    Splitting at the middle keeps the tree balanced and puts every missing child on the last
    two levels. An all-black tree is valid only when it is perfect, so when the deepest level is
    incomplete its nodes are red: every path then passes the same number of black nodes, and no
    red node has a red child (red nodes have no children at all).
    """
    depths: dict[int, int] = {}
    root = _split(entries, ordered, 1, depths)
    height = max(depths.values(), default=0)
    if len(ordered) != 2**height - 1:
        for index, depth in depths.items():
            if depth == height:
                entries[index].colour = _RED
    return root


def _split(entries: list[_Entry], ordered: list[int], depth: int, depths: dict[int, int]) -> int:
    """Link ``ordered`` as a balanced binary search tree, recording each node's depth."""
    if not ordered:
        return _NOSTREAM
    middle = len(ordered) // 2
    root = ordered[middle]
    depths[root] = depth
    entries[root].left = _split(entries, ordered[:middle], depth + 1, depths)
    entries[root].right = _split(entries, ordered[middle + 1 :], depth + 1, depths)
    return root


def _sectors(size: int, unit: int = _SECTOR) -> int:
    return -(-size // unit)


def _pad(data: bytes, unit: int) -> bytes:
    return data + bytes(-len(data) % unit)


def _chain(table: list[int], first: int, count: int) -> None:
    """Record a contiguous run of ``count`` sectors starting at ``first`` in a FAT or MiniFAT."""
    for sector in range(first, first + count - 1):
        table[sector] = sector + 1
    if count:
        table[first + count - 1] = _ENDOFCHAIN


def _pack_entry(entry: _Entry | None) -> bytes:
    """One 128-byte directory entry; ``None`` is an unused slot filling the last sector."""
    if entry is None:
        return _DIR_ENTRY.pack(b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, bytes(16), 0, 0, 0, 0, 0)
    name = (entry.name + "\0").encode("utf-16-le")
    return _DIR_ENTRY.pack(
        name,
        len(name),
        entry.kind,
        entry.colour,
        entry.left,
        entry.right,
        entry.child,
        bytes(16),
        0,
        0,
        0,
        entry.start,
        entry.size,
    )


def write_compound_file(root: Storage) -> bytes:
    """Serialise ``root`` (name -> bytes for a stream, name -> mapping for a storage).

    Raises :class:`ValueError` for invalid or duplicate names, and when the file would need
    more FAT sectors than the header's 109 DIFAT slots can list.
    """
    entries = [_Entry("Root Entry", _ROOT)]
    _flatten(root, entries, 0)
    streams = [e for e in entries if e.kind == _STREAM]
    small = [e for e in streams if 0 < len(e.data) < _MINI_CUTOFF]
    large = [e for e in streams if len(e.data) >= _MINI_CUTOFF]

    # Mini stream: small streams packed into 64-byte mini sectors, chained in the MiniFAT.
    minifat: list[int] = []
    mini_stream = bytearray()
    for entry in small:
        entry.start, entry.size = len(minifat), len(entry.data)
        count = _sectors(len(entry.data), _MINI_SECTOR)
        minifat += [_FREESECT] * count
        _chain(minifat, entry.start, count)
        mini_stream += _pad(entry.data, _MINI_SECTOR)
    for entry in streams:
        if not entry.data:
            entry.start, entry.size = _ENDOFCHAIN, 0

    n_dir = _sectors(len(entries) * _DIR_ENTRY.size)
    n_minifat = _sectors(len(minifat) * 4)
    n_mini_stream = _sectors(len(mini_stream))
    n_other = n_dir + n_minifat + n_mini_stream + sum(_sectors(len(e.data)) for e in large)
    n_fat = 1
    while n_fat * _IDS_PER_SECTOR < n_fat + n_other:
        n_fat += 1
    if n_fat > _HEADER_DIFAT_SLOTS:
        raise ValueError(
            f"compound file needs {n_fat} FAT sectors; this writer supports at most "
            f"{_HEADER_DIFAT_SLOTS} (no DIFAT sectors)"
        )

    fat = [_FREESECT] * (n_fat * _IDS_PER_SECTOR)
    fat[:n_fat] = [_FATSECT] * n_fat
    next_free = n_fat

    def allocate(count: int) -> int:
        nonlocal next_free
        first = next_free
        _chain(fat, first, count)
        next_free += count
        return first if count else _ENDOFCHAIN

    dir_start = allocate(n_dir)
    minifat_start = allocate(n_minifat)
    root_entry = entries[0]
    root_entry.start, root_entry.size = allocate(n_mini_stream), len(mini_stream)
    for entry in large:
        entry.start, entry.size = allocate(_sectors(len(entry.data))), len(entry.data)

    slots: list[_Entry | None] = [*entries]
    slots += [None] * (-len(slots) % (_SECTOR // _DIR_ENTRY.size))
    directory = b"".join(_pack_entry(e) for e in slots)
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_bytes += b"\xff" * (-len(minifat_bytes) % _SECTOR)  # unused MiniFAT ids are FREESECT

    difat = list(range(n_fat)) + [_FREESECT] * (_HEADER_DIFAT_SLOTS - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        bytes(16),  # header CLSID
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # byte order mark: little-endian
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        bytes(6),
        0,  # number of directory sectors: must be 0 in version 3
        n_fat,
        dir_start,
        0,  # transaction signature
        _MINI_CUTOFF,
        minifat_start,
        n_minifat,
        _ENDOFCHAIN,  # first DIFAT sector: none
        0,  # number of DIFAT sectors
        *difat,
    )
    body = [
        struct.pack(f"<{len(fat)}I", *fat),
        directory,
        minifat_bytes,
        _pad(bytes(mini_stream), _SECTOR),
        *(_pad(e.data, _SECTOR) for e in large),
    ]
    return header + b"".join(body)
