"""A published document's bytes, read once with the importer's size limit."""

from __future__ import annotations

from pathlib import Path

from validator.errors import UnusableInput

MAX_BYTES = 20 * 1024 * 1024


def read_bytes(path: Path) -> bytes:
    """The file's bytes; exit 2 for a missing, empty or oversized file."""
    where = path.name
    try:
        if not path.is_file():  # a folder or a FIFO (never opened: reading it would block)
            raise OSError
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        raise UnusableInput("文件不存在或无法读取", where=where, code="not-found") from None
    if len(data) > MAX_BYTES:
        raise UnusableInput(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，不像报告文本", where=where, code="too-large")
    if not data.strip():
        raise UnusableInput("文件是空的", where=where, code="empty")
    return data
