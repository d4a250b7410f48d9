"""Finding the submissions in an inbox folder and reading each one without ever stopping.

Every file is read with the same readers as ``xxgk check`` (:func:`validator.readers.load`);
a file that cannot be used keeps the exact Chinese reason ``check`` prints. The inbox is
only read, never written.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator import jsonio
from validator.collect.bodies import Identity
from validator.errors import UnusableInput
from validator.importer.document import is_document, read_published
from validator.readers import load
from validator.report import ValidationReport
from validator.spec import FIGURE_KINDS
from validator.submission import Submission

if TYPE_CHECKING:
    from validator.collect.run import Body

SKIPPED_NAMES = frozenset({"thumbs.db", "desktop.ini"})


@dataclass
class Item:
    """One file of the inbox and what became of it."""

    path: Path
    rel: str
    received: dt.datetime
    """The file's modification time: the moment it reached the inbox, as far as a folder can tell."""
    submission: Submission | None = None
    error: str | None = None
    """Why the file cannot be used (the message ``xxgk check`` gives, the file named by
    :attr:`rel`), or None."""
    code: str | None = None
    """The reason's machine-readable code (:data:`validator.errors.CODES`) when unusable."""
    identity: Identity | None = None
    year: int | None = None
    canon: dict[str, str] = field(default_factory=dict)
    """The raw texts of the figures that are not valid numbers (``?``-prefixed, as in
    :func:`canonical`); the full comparable form is made only to be hashed, so 10,000
    submissions do not hold it."""
    figures: dict[str, int | Decimal] = field(default_factory=dict)
    report: ValidationReport | None = None
    copy_of: Item | None = None
    """An earlier file with exactly the same content (identical copies count once)."""
    import_findings: list = field(default_factory=list, repr=False)
    """``collect --published``: what importing the published report found (blank cells read
    as 0, parts or tables not read), added to its check report."""
    body: Body | None = field(default=None, repr=False)
    """The :class:`~validator.collect.run.Body` this file was matched to."""
    _digest: str | None = field(default=None, repr=False)

    @property
    def readable(self) -> bool:
        return self.submission is not None

    @property
    def digest(self) -> str:
        """The content hash (:func:`content_hash` of :func:`canonical`), made when first asked
        for: only files that may be copies of each other, the archive and the result JSON need
        it, and with one file per body and neither output asked for, 10,000 hashes would go
        unread. Empty for an unreadable file and for a last-year file made slim unhashed."""
        if self._digest is None:
            sub = self.submission
            self._digest = content_hash(canonical(sub)[0]) if sub is not None else ""
        return self._digest

    @digest.setter
    def digest(self, value: str) -> None:
        self._digest = value

    def settle_digest(self) -> None:
        """No hash from now on unless made already: the submission is about to be cut down to
        a few cells, whose hash would not be the file's."""
        if self._digest is None:
            self._digest = ""


def discover(
    inbox: Path, exclude: Collection[Path] = frozenset(), unlisted: list[tuple[Path, OSError]] | None = None
) -> list[Path]:
    """Every file under ``inbox``, sorted (a folder's files by name, then its folders by name,
    as ``os.walk`` goes); hidden files and folders, Office lock files (``~$…``) and our own
    outputs are left out. Folder links are not followed (no loops). A folder that cannot be
    listed (no permission, an I/O error), the inbox included, goes to `unlisted` with the
    reason: a share that denies one subfolder must not make its reports vanish without a word.
    ``os.scandir`` tells links from files without a system call each."""
    found: list[Path] = []
    excluded_names = {p.name.casefold() for p in exclude}  # resolving every path costs a syscall per folder level;
    # only a file with an output's name, or a link (to one), can be an output
    folders = [str(inbox)]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=_entry_name)
        except OSError as exc:
            if unlisted is not None:
                unlisted.append((Path(folder), exc))
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            if _is_folder(entry):
                if not name.startswith(".") and not _is_link(entry):
                    subfolders.append(entry.path)
                continue
            if name.startswith((".", "~$")) or name.lower() in SKIPPED_NAMES:
                continue
            path = Path(entry.path)
            if (name.casefold() in excluded_names or _is_link(entry)) and exclude and _resolved(path) in exclude:
                continue
            found.append(path)
        folders.extend(reversed(subfolders))
    return found


def unlisted_item(folder: Path, inbox: Path, exc: OSError) -> Item:
    """A folder :func:`discover` could not list, as an unusable entry of the inbox."""
    from validator.fileio import os_reason

    rel = "" if folder == inbox else shown_name(folder.relative_to(inbox).as_posix())
    where = f"{rel}/" if rel else "收件文件夹本身"
    item = Item(folder, f"{rel}/" if rel else "./", _mtime(_stat(folder)))
    item.error = f"{where}：文件夹无法打开（{os_reason(exc)}），其中的文件一个也没有读取"
    item.code = "not-found"
    return item


def shown_name(rel: str) -> str:
    """A relative file name as text every output can hold. A name that is not valid UTF-8
    (GBK names from unzip or a Windows share arrive as surrogate escapes) is read as GB18030,
    as Windows shows it, part by part; bytes that are not that either are shown as ``\\xNN``."""
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        pass
    parts = []
    for part in rel.split("/"):
        raw = os.fsencode(part)
        try:
            parts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                parts.append(raw.decode("gb18030"))
            except UnicodeDecodeError:
                parts.append(raw.decode("utf-8", "backslashreplace"))
    return "/".join(parts)


def _entry_name(entry: os.DirEntry) -> str:
    return entry.name


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a link loop (Python 3.11, 3.12)
        return path.absolute()


def _link_problem(path: Path, inbox: Path) -> tuple[str, str] | None:
    """Why a link in the inbox is not read (a loop, a missing target, a target outside the
    inbox: a link to /etc/shadow or to another office's report), or None for a link to a file
    inside the inbox (read like a copy of it)."""
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "是循环的链接，无法读取", "not-found"
        if exc.errno == errno.ENOENT:
            return "是链接，指向的文件不存在", "not-found"
        from validator.fileio import os_reason

        return f"是链接，无法读取（{os_reason(exc)}）", "not-found"
    if not Path(target).is_relative_to(_real_folder(str(inbox))):
        return "是指向收件文件夹以外的链接，未读取（请把报送文件本身放进收件文件夹）", "link-outside"
    return None


@cache
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except (OSError, ValueError):
        return None


def _mtime(st: os.stat_result | None) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(st.st_mtime if st is not None else 0)
    except (OSError, ValueError, OverflowError):
        return dt.datetime.fromtimestamp(0)


def read_item(path: Path, inbox: Path, published: bool = False, content: bool = True) -> Item:
    """Load one file; any failure becomes ``item.error`` (never an exception), naming the file
    by its place in the inbox (never an absolute path). With `published` (``collect
    --published``), a published report (web page, text…) is imported in memory like ``check
    --published`` does. Without `content`, only who and which year (:func:`describe`): a
    last-year file needs no more. A link is read only when it points to a file inside the
    inbox (the fast open never follows one)."""
    st, data = _regular_json(path) if FAST_OPEN and not published else (None, None)
    if st is None:
        st = _stat(path)
    item = Item(path, shown_name(path.relative_to(inbox).as_posix()), _mtime(st))
    try:
        if data is None and path.is_symlink():
            problem = _link_problem(path, inbox)
            if problem is not None:
                item.error, item.code = f"{item.rel}：{problem[0]}", problem[1]
                return item
        if data is not None:
            item.submission = jsonio.read_json_bytes(data, path.name)
        elif published and is_document(path):
            item.submission, item.import_findings = read_published(path)
        else:
            item.submission = load(path)
    except UnusableInput as exc:
        item.error, item.code = _relative_message(str(exc), path, item.rel), exc.code
        return item
    except (MemoryError, RecursionError):
        item.error, item.code = f"{item.rel}：文件过大或结构过深，无法读取", "too-large"
        return item
    except Exception as exc:  # a reader bug must not stop the other 79 offices' files
        reason = _relative_message(f"{type(exc).__name__}: {exc}", path, item.rel)
        item.error, item.code = f"{item.rel}：内部错误（{reason}），请连同文件报告", "internal-error"
        return item
    describe(item, content)
    return item


def _relative_message(text: str, path: Path, rel: str) -> str:
    """A reader's message with the file named as in the inbox: readers name a file by its
    path or its name, and an absolute server path has no place in a shared 汇总."""
    text = text.replace(str(path), rel).replace(str(path.absolute()), rel)
    if text.startswith(path.name) and path.name != rel:
        text = rel + text[len(path.name) :]
    return shown_name(text)


FAST_OPEN = True
"""Off in the equivalence tests, to compare :func:`_regular_json` with ``load_any``."""


def _regular_json(path: Path) -> tuple[os.stat_result | None, bytes | None]:
    """The file's status and, when ``load_any`` would read it as JSON in one go (a regular
    file within the size limit, not a workbook, a ``.json`` name or a ``{`` first), its bytes:
    one open and one ``fstat`` instead of a ``stat``, an ``is_file`` and an ``fstat``. Anything
    else (an error, a workbook, a large file) gives no bytes, and ``load_any`` decides as
    before."""
    import stat

    from validator.fileio import read_up_to, sniff
    from validator.jsonio import MAX_JSON_BYTES

    try:
        fd = os.open(path, _READ_FLAGS)  # a FIFO opened so never blocks
    except (OSError, ValueError):
        return None, None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return st, None
        data = read_up_to(fd, st.st_size, MAX_JSON_BYTES)
    except (OSError, ValueError):
        return None, None
    finally:
        os.close(fd)
    if data is None or sniff(data[:8], path.suffix.lower() == ".json") != "json":
        return st, None
    return st, data


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def identity_of(sub: Submission) -> Identity:
    from validator.values import normalize_newlines, to_text

    def text(key: str) -> str:
        return normalize_newlines(to_text(sub.values.get(key))).strip()

    return Identity(text("body.name"), text("body.type"), text("body.region_code"), text("body.credit_code"))


def describe(item: Item, content: bool = True) -> None:
    """Identity, year, and (with `content`) the exact figures of a readable submission (its
    content hash is made when asked for: :attr:`Item.digest`)."""
    from validator.values import to_year

    sub = item.submission
    assert sub is not None
    item.identity = identity_of(sub)
    item.year = to_year(sub.values.get("year"))
    if not content:
        return
    item.figures, item.canon = figures_of(sub)


def figures_of(sub: Submission) -> tuple[dict[str, int | Decimal], dict[str, str]]:
    """:func:`canonical`'s figures, and its texts of the figures that are not valid numbers,
    without the texts of every other cell (which only the content hash reads)."""
    plan = _canon_plan(sub.format)
    counts = _plain_counts(plan, sub.values)
    unreadable: list[str] = []
    if counts is None:
        canon, figures = canonical(sub, unreadable)
    else:
        canon, figures = {}, plan.figures.copy()
        figures.update(zip(plan.count_keys, counts))
        _canonical_cells(sub, plan.other_figure_cells, canon, figures, unreadable)
        for key in plan.other_figures:
            if figures[key] is None:
                del figures[key]
    return figures, {k: canon[k] for k in unreadable}


def _plain_counts(plan: _CanonPlan, values: dict[str, object]) -> tuple | None:
    """This year's counts when every one is a plain int in range (JSON's common case), else None."""
    from validator.values import MAX_COUNT

    try:
        counts = plan.counts(values)
    except KeyError:  # a cell left out: the general path reads it as blank
        return None
    if not counts or set(map(type, counts)) != {int} or min(counts) < 0 or max(counts) > MAX_COUNT:
        return None
    return counts


def canonical(sub: Submission, unreadable: list[str] | None = None) -> tuple[dict[str, str], dict[str, int | Decimal]]:
    """Every cell as one comparable text, and the figures that are valid numbers.

    The same report as JSON and as a filled workbook gives the same texts (3 and 3.0, 0.50 and
    0.5, a date cell and "2024-01-29" agree), so identical copies are recognised whatever their
    file type; an unreadable figure keeps its raw text (``?``-prefixed, its key appended to
    `unreadable`) so two different mistakes still differ.

    This year's counts are taken at once when every one is a plain int in range (JSON's common
    case: ``str`` of each, nothing to convert); any other content goes cell by cell.
    """
    from validator.values import normalize_newlines

    fmt = sub.format
    plan = _canon_plan(fmt)
    counts = _plain_counts(plan, sub.values)
    if counts is None:
        canon: dict[str, str] = {}
        figures: dict[str, int | Decimal] = {}
        _canonical_cells(sub, _all_cells(fmt), canon, figures, unreadable)
    else:
        canon, figures = plan.canon.copy(), plan.figures.copy()  # every key in the cells' order
        canon.update(zip(plan.count_keys, map(str, counts)))
        figures.update(zip(plan.count_keys, counts))
        _canonical_cells(sub, plan.others, canon, figures, unreadable)
        for key in plan.other_figures:
            if figures[key] is None:  # blank or unreadable: not a figure
                del figures[key]
    notes = sorted((e.rule, list(e.keys), normalize_newlines(e.text)) for e in sub.explanations if e.text.strip())
    canon["explanations"] = json.dumps(notes, ensure_ascii=False) if notes else ""
    return canon, figures


def _canonical_cells(
    sub: Submission,
    cells: tuple[tuple[str, str], ...],
    canon: dict[str, str],
    figures: dict[str, int | Decimal],
    unreadable: list[str] | None,
) -> None:
    """:func:`canonical` of the given (key, kind) cells, one by one."""
    from validator.values import (
        MAX_COUNT,
        Problem,
        display,
        normalize_newlines,
        to_count,
        to_date,
        to_money,
        to_signed,
        to_text,
        to_year,
    )

    get = sub.values.get
    for key, kind in cells:
        raw = get(key)
        if kind == "count" and type(raw) is int and 0 <= raw <= MAX_COUNT:  # JSON's common case, first
            figures[key] = raw
            canon[key] = str(raw)
        elif kind in FIGURE_KINDS:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                canon[key] = ""
                continue
            value = to_count(raw) if kind == "count" else to_money(raw) if kind == "money" else to_signed(raw)
            if isinstance(value, Problem):
                canon[key] = "?" + display(raw)
                if unreadable is not None:
                    unreadable.append(key)
            else:
                figures[key] = value
                canon[key] = format(value, "f") if kind == "money" else str(value)
        elif kind == "year":
            year = to_year(raw)
            canon[key] = str(year) if year is not None else to_text(raw).strip()
        elif kind == "date":
            date = to_date(raw)
            canon[key] = date.isoformat() if date else to_text(raw).strip()
        else:
            canon[key] = normalize_newlines(to_text(raw)).strip()


def _all_cells(fmt) -> tuple[tuple[str, str], ...]:
    """(key, kind) of every cell, this year's then the 上年数据 ones."""
    return _canon_plan(fmt).cells


@dataclass(frozen=True)
class _CanonPlan:
    cells: tuple[tuple[str, str], ...]
    count_keys: tuple[str, ...]
    """This year's count cells, taken at once."""
    counts: Any
    others: tuple[tuple[str, str], ...]
    """The other cells (money, texts, 上年数据), in order."""
    canon: dict[str, Any]
    figures: dict[str, Any]
    other_figures: tuple[str, ...]
    """This year's figures that are not counts (each may turn out blank or unreadable)."""
    other_figure_cells: tuple[tuple[str, str], ...]
    """The figures among ``others`` (money, 上年数据): all :func:`figures_of` reads one by one."""


@cache
def _canon_plan(fmt) -> _CanonPlan:
    from operator import itemgetter

    cells = tuple((c.key, c.kind) for c in (*fmt.cells, *fmt.baseline_cells))
    count_keys = tuple(c.key for c in fmt.cells if c.kind == "count")
    figure_keys = [c.key for c in fmt.cells if c.kind in FIGURE_KINDS]
    return _CanonPlan(
        cells,
        count_keys,
        itemgetter(*count_keys) if len(count_keys) > 1 else (lambda values: ()),
        tuple(c for c in cells if c[0] not in set(count_keys)),
        dict.fromkeys(c.key for c in fmt.cells),
        dict.fromkeys(figure_keys),
        tuple(k for k in figure_keys if k not in set(count_keys)),
        tuple(c for c in cells if c[0] not in set(count_keys) and c[1] in FIGURE_KINDS),
    )


def content_hash(canon: dict[str, str]) -> str:
    """SHA-256 of ``json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
    (the archive stores it), built from the values directly: canon's values are all strings and
    its keys the same for every report of a format, so the keys' part of the text is encoded
    once per run and only the values are encoded (most are ASCII digits, which encode as a
    copy; a text made whole first would be widened for the Chinese in it and narrowed again).
    A value needs no JSON escaping when none holds a quote, a backslash or a control
    character: then each is its own JSON text between quotes."""
    keys = tuple(canon)
    plan = _HASH_PLANS.get(keys)
    if plan is None:
        plan = _HASH_PLANS[keys] = _hash_plan(keys)
    get, prefixes, quoted = plan
    if not keys:
        return hashlib.sha256(b"{}").hexdigest()
    values = get(canon)
    if _JSON_ESCAPED.search("".join(values)):
        pieces = zip(prefixes, map(str.encode, map(_json_str, values)))
        tail = b"}"
    else:
        pieces = zip(quoted, map(str.encode, values))
        tail = b'"}'
    return hashlib.sha256(b"".join(chain.from_iterable(pieces)) + tail).hexdigest()


def _hash_plan(keys: tuple[str, ...]) -> tuple[Callable[[dict[str, str]], tuple[str, ...]], list[bytes], list[bytes]]:
    """The values' getter in sorted key order, and the bytes before each value (escaped or
    written between quotes)."""
    from operator import itemgetter

    order = sorted(keys)
    get = itemgetter(*order) if len(order) > 1 else (lambda canon: tuple(canon[k] for k in order))
    prefixes = [(("," if i else "{") + f"{_json_str(k)}:").encode() for i, k in enumerate(order)]
    quoted = [(('",' if i else "{") + f'{_json_str(k)}:"').encode() for i, k in enumerate(order)]
    return get, prefixes, quoted


_JSON_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
_HASH_PLANS: dict[tuple[str, ...], tuple[Callable[[dict[str, str]], tuple[str, ...]], list[bytes], list[bytes]]] = {}
_json_str = json.encoder.encode_basestring  # ensure_ascii=False's string encoder (C)
