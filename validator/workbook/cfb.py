"""[MS-CFB] compound files, sniffed with the stdlib: an old .xls and a password-protected
workbook are both OLE compound files; the names in their directory tell them apart."""

from __future__ import annotations

from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MSG = "设置了打开密码，请在 Excel 中取消密码后另存为 .xlsx"
XLS_MSG = "这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx"


def compound_file_names(path: Path) -> set[str]:
    """The entry names in an [MS-CFB] compound file's directory (stdlib only).

    Follows the header's directory start sector through the FAT; FAT sectors come from the
    header's 109 DIFAT slots and the DIFAT chain. Raises ValueError on anything malformed;
    every loop is bounded by the file's sector count.
    """
    import struct

    with path.open("rb") as fh:
        fh.seek(0, 2)
        file_size = fh.tell()
        fh.seek(0)
        header = fh.read(512)
        if len(header) < 512 or header[:8] != OLE_MAGIC:
            raise ValueError("not a compound file")
        major, byte_order, shift = struct.unpack_from("<HHH", header, 26)
        if byte_order != 0xFFFE or (major, shift) not in ((3, 9), (4, 12)):
            raise ValueError("unsupported compound-file header")
        size = 1 << shift
        ids = size // 4
        n_fat, first_dir = struct.unpack_from("<II", header, 44)
        first_difat, n_difat = struct.unpack_from("<II", header, 68)
        n_sectors = file_size // size
        if n_fat > n_sectors:
            raise ValueError("FAT larger than the file")

        def sector(number: int) -> bytes:
            if number >= n_sectors:
                raise ValueError("sector beyond the end of the file")
            fh.seek((number + 1) * size)
            data = fh.read(size)
            if len(data) < size:
                raise ValueError("truncated sector")
            return data

        difat = list(struct.unpack_from("<109I", header, 76))
        number = first_difat
        for _ in range(min(n_difat, n_sectors)):
            if number >= 0xFFFFFFFA or len(difat) >= n_fat:
                break
            values = struct.unpack(f"<{ids}I", sector(number))
            difat += values[:-1]
            number = values[-1]
        fat_sectors = difat[:n_fat]

        def next_sector(number: int) -> int:
            index = number // ids
            if index >= len(fat_sectors):
                raise ValueError("sector outside the FAT")
            return struct.unpack_from("<I", sector(fat_sectors[index]), (number % ids) * 4)[0]

        names: set[str] = set()
        seen: set[int] = set()
        number = first_dir
        while number < 0xFFFFFFFA:
            if number in seen or len(seen) > n_sectors:
                raise ValueError("directory chain loops")
            seen.add(number)
            block = sector(number)
            for offset in range(0, size, 128):
                name_len, kind = struct.unpack_from("<HB", block, offset + 64)
                if kind in (1, 2, 5) and 2 <= name_len <= 64 and name_len % 2 == 0:
                    names.add(block[offset : offset + name_len - 2].decode("utf-16-le", "replace"))
            number = next_sector(number)
        return names


def compound_file_message(path: Path) -> tuple[str, str]:
    """(message, code) for an OLE compound file: encrypted workbook, old .xls, or unclear."""
    import struct

    try:
        names = {n.casefold() for n in compound_file_names(path)}
    except (ValueError, OSError, struct.error):
        names = set()
    if {"encryptedpackage", "encryptioninfo"} & names:
        return ENCRYPTED_MSG, "encrypted"
    if {"workbook", "book"} & names:
        return XLS_MSG, "xls"
    return "这是旧版 .xls 文件或设置了打开密码的工作簿；请在 Excel 中取消密码并另存为 .xlsx 后再试", "not-xlsx"
