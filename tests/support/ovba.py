"""Checks of a VBA project written from the specs, sharing no code with addin/ovba: the
red-black sibling trees of a compound file ([MS-CFB]) and the PROJECT stream's encrypted values
([MS-OVBA] 2.4.3.3). Also a workbook Excel itself wrote, the reference to compare with."""

from __future__ import annotations

import struct

import olefile

from addin.ovba.project import PROJECT_ID

from conftest import FIXTURES

EXCEL_WRITTEN_XLSM = FIXTURES / "vba" / "excel365_quickstart.xlsm"


def subtree(ole: olefile.OleFileIO, sid: int) -> list[str]:
    """In-order names of the sibling tree rooted at ``sid``."""
    if sid == olefile.NOSTREAM:
        return []
    entry = ole.direntries[sid]
    return subtree(ole, entry.sid_left) + [entry.name] + subtree(ole, entry.sid_right)


RED, BLACK = 0, 1  # [MS-CFB] 2.6.1: 0x00 red, 0x01 black (olefile's source comment swaps them)


def _red_black_height(ole: olefile.OleFileIO, sid: int, where: str) -> int:
    """Black height of the sibling tree at ``sid``, asserting the red-black and order rules."""
    if sid == olefile.NOSTREAM:
        return 1  # the missing children count as black leaves
    entry = ole.direntries[sid]
    assert entry.color in (RED, BLACK), f"{where}/{entry.name}: colour {entry.color}"
    key = lambda e: (len(e.name), e.name.upper())  # noqa: E731 - [MS-CFB] 2.6.4 sibling order
    for child, side in ((entry.sid_left, -1), (entry.sid_right, 1)):
        if child == olefile.NOSTREAM:
            continue
        other = ole.direntries[child]
        assert (key(other) > key(entry)) == (side > 0), f"{where}: {other.name} on the wrong side of {entry.name}"
        if entry.color == RED:
            assert other.color == BLACK, f"{where}: red {entry.name} has red child {other.name}"
    left = _red_black_height(ole, entry.sid_left, where)
    right = _red_black_height(ole, entry.sid_right, where)
    assert left == right, f"{where}/{entry.name}: black heights {left} and {right}"
    return left + (entry.color == BLACK)


def assert_red_black_trees(ole: olefile.OleFileIO) -> None:
    """Every storage's children form a valid red-black search tree with a black root ([MS-CFB] 2.6.4)."""
    storages = [
        e for e in ole.direntries if e is not None and e.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE)
    ]
    for storage in storages:
        if storage.sid_child != olefile.NOSTREAM:
            assert ole.direntries[storage.sid_child].color == BLACK, f"{storage.name}: red root"
        _red_black_height(ole, storage.sid_child, storage.name)
        ordered = subtree(ole, storage.sid_child)
        assert ordered == sorted(ordered, key=lambda n: (len(n), n.upper())), storage.name


def decrypt(hex_text: str, project_id: str = PROJECT_ID) -> bytes:
    """[MS-OVBA] 2.4.3.3, written from the spec for this test (no library implements it)."""
    enc = bytes.fromhex(hex_text)
    seed, version_enc, proj_key_enc = enc[:3]
    assert seed ^ version_enc == 2
    proj_key = seed ^ proj_key_enc
    assert proj_key == sum(project_id.encode()) & 0xFF
    plain_prev, enc_prev, enc_prev2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for byte in enc[3:]:
        value = byte ^ ((enc_prev2 + plain_prev) & 0xFF)
        plain.append(value)
        enc_prev2, enc_prev, plain_prev = enc_prev, byte, value
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4 :])
    assert len(data) == length
    return data
