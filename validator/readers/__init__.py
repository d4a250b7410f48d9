"""Input kinds in one registry: which reader a file goes to is decided here, by its content.

Each kind of input is one module in this package with a :class:`Reader`: its
:class:`~validator.submission.InputKind` (whether its values arrive typed, whether ``check
--annotate`` can mark a copy), the file names it is offered under, ``sniff(head, name)``,
``read(path, data)`` and its limits. :data:`READERS` registers them, in the order they are
asked; a new kind is a new module and one line there. Everything that asks “what kind of file
is this?” asks :func:`reader_for`: ``check``, ``export``, ``collect``, the web page and the board
(:func:`load`), commands that need a JSON (:func:`refuse_unless_json`), the page's file pickers
(:func:`offered_suffixes`) and its upload cap (:func:`max_upload_bytes`).

Downloads arrive as ``报告.xlsx.1``, ``报告(1).xlsx.download`` or without a suffix, and a
workbook is sometimes saved under ``.json``: a reader claims a file by its first bytes
(:data:`CONTENT`; :data:`EXACT` when another reader takes every file of that container) before
any reader claims it by its name alone (:data:`NAME`). Importing this
package is light: a reader loads its machinery (zip, XML, openpyxl, the importer) when its kind
is read.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from validator.errors import UnusableInput
from validator.fileio import read_up_to
from validator.readers import json_file, ods, published, wps, xlsx
from validator.readers.base import CONTENT, EXACT, HEAD_BYTES, NAME, Reader
from validator.submission import InputKind, Submission

__all__ = ["CONTENT", "EXACT", "HEAD_BYTES", "NAME", "READERS", "Reader", "load", "reader_for"]

READERS: tuple[Reader, ...] = (
    xlsx.READER,  # every zip and compound file no reader claims exactly
    ods.READER,  # a zip whose first part says OpenDocument spreadsheet (EXACT)
    json_file.READER,
    wps.READER,  # a compound file named .et (EXACT)
    published.READER,
)
"""Every reader, in the order the pages list their kinds (and ask them, when two claim a file
alike)."""


def reader_for(head: bytes, name: str, published: bool = False) -> Reader | None:
    """The reader of a file: the first claiming its content, else the first claiming its name.
    Readers read only on request (published documents) are asked only with `published`, and
    then first."""
    best, strength = None, 0
    for reader in READERS:
        if reader.on_request and not published:
            continue
        found = reader.sniff(head, name)
        if reader.on_request and found:
            return reader
        if found > strength:
            best, strength = reader, found
    return best


def reader_of(kind: InputKind) -> Reader | None:
    """The reader that made submissions of `kind` (None for one no reader makes, e.g. a 汇总)."""
    return next((r for r in READERS if r.kind == kind), None)


def load(path: str | os.PathLike[str], *, published: bool = False) -> Submission:
    """A submission from any file a reader takes, chosen by content, not by name; with
    `published`, a published report (web page, text, Word, PDF) named as one is imported."""
    p = Path(path)
    if published:
        reader = reader_for(b"", p.name, published=True)
        if reader is not None and reader.on_request:
            return reader.read(p, None)
    return read_opened(open_input(p), published)


@dataclass
class Opened:
    """A file's status and first bytes, from one open; :attr:`data` is the whole file when its
    reader reads it whole."""

    path: Path
    stat: os.stat_result
    head: bytes
    reader: Reader | None
    data: bytes | None = None


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class LinkNotFollowed(Exception):
    """The file is a symbolic link, and :func:`open_input` was asked not to follow one."""


def open_input(path: Path, published: bool = False, *, follow: bool = True) -> Opened:
    """Open once (a FIFO never blocks: it is not read), sniff, and read whole what its reader
    reads whole; :class:`~validator.errors.UnusableInput` for a missing or unreadable file.
    Without `follow`, a link is not opened (:class:`LinkNotFollowed`: collect reads a link in
    its inbox only when it points inside it)."""
    try:
        fd = os.open(path, _READ_FLAGS if follow else _READ_FLAGS | _NOFOLLOW)
    except OSError as exc:
        if not follow and exc.errno == errno.ELOOP:
            raise LinkNotFollowed(path) from None
        raise _cannot_read(path, exc) from None
    except ValueError:  # a NUL in the name
        raise UnusableInput("文件不存在", where=str(path), code="not-found") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnusableInput("不是文件", where=str(path), code="not-found")
        head = os.read(fd, HEAD_BYTES)
        reader = reader_for(head, path.name, published)
        data = None
        if reader is not None and reader.whole:
            data = read_up_to(fd, st.st_size, reader.max_bytes, head)
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    finally:
        os.close(fd)
    return Opened(path, st, head, reader, data)


def _cannot_read(path: Path, exc: OSError) -> UnusableInput:
    if exc.errno == errno.ENOENT:
        return UnusableInput("文件不存在", where=str(path), code="not-found")
    return UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=str(path), code="not-found")


def read_opened(opened: Opened, published: bool = False) -> Submission:
    """The submission of an opened file, by the reader that claimed it."""
    if opened.reader is None:
        offered = "、".join(offered_suffixes())
        raise UnusableInput(
            f"不支持的文件类型：请提供工作簿或 JSON 文件（{offered}）", where=opened.path.name, code="not-xlsx"
        )
    return opened.reader.read(opened.path, opened.data)


def offered_suffixes(typed: bool | None = None) -> tuple[str, ...]:
    """What the page's file pickers offer (``accept=``): every kind read without asking (with
    `typed`, only the kinds whose values arrive typed, or only those that do not: workbooks)."""
    chosen = [r for r in READERS if not r.on_request and typed in (None, r.kind.typed)]
    return tuple(s for r in chosen for s in (r.suffixes if r.offered is None else r.offered))


def claimed_suffixes() -> tuple[str, ...]:
    """Every name some reader claims (an upload keeps its suffix so its reader can say what it is)."""
    return tuple(s for r in READERS for s in r.suffixes)


def max_upload_bytes() -> int:
    """The largest file any reader reads: a larger upload is refused before its body is read."""
    return max(r.max_bytes for r in READERS if not r.on_request)


def is_published(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is named as a published report (web page, text, Word, PDF)."""
    reader = reader_for(b"", Path(path).name, published=True)
    return reader is not None and reader.on_request


def refuse_unless_json(path: str | os.PathLike[str], command: str) -> None:
    """A file given where a JSON is needed: say what it is, rather than “不是 UTF-8”."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return  # the JSON reader says why it cannot be read
    reader = reader_for(head, Path(path).name)
    if reader is not None and not reader.kind.typed and reader.sniff(head, "") >= CONTENT:
        raise UnusableInput(
            f"这是 {reader.label}，{command} 需要 JSON 文件；请先用 xxgk export 工作簿 -o 报告.json 导出 JSON",
            where=str(path),
        )
