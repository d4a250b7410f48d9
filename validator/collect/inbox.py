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

from validator import accel, readers
from validator.collect.bodies import Identity
from validator.errors import UnusableInput
from validator.fileio import os_reason
from validator.kinds import AT_ONCE, KINDS, Kind
from validator.report import ValidationReport
from validator.submission import Submission
from validator.values import MAX_COUNT, normalize_newlines, to_text, to_year

if TYPE_CHECKING:
    from validator.collect.run import Body

SKIPPED_NAMES = frozenset({"thumbs.db", "desktop.ini"})
HASH = accel.register(
    "content-hash",
    __name__,
    "a report's content hash made from its values without json.dumps "
    "(0.7 million instructions a file less, an eighth of collect's cost when the hashes are written)",
)


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
    last-year file needs no more. A file is opened once, its status taken from that open
    (:func:`validator.readers.open_input`), and a link is read only when it points to a file
    inside the inbox (the open never follows one)."""
    st: os.stat_result | None = None
    rel = shown_name(path.relative_to(inbox).as_posix())
    submission: Submission | None = None
    error: tuple[str, str] | None = None
    try:
        if published and readers.is_published(path):
            problem = _link_problem(path, inbox) if path.is_symlink() else None
            if problem is not None:
                error = (f"{rel}：{problem[0]}", problem[1])
            else:
                submission = readers.load(path, published=True)
        else:
            try:
                opened = readers.open_input(path, follow=False)
            except readers.LinkNotFollowed:
                problem = _link_problem(path, inbox)
                if problem is not None:
                    raise _Refused(f"{rel}：{problem[0]}", problem[1]) from None
                opened = readers.open_input(path)
            st = opened.stat
            submission = readers.read_opened(opened)
    except _Refused as refused:
        error = refused.args
    except UnusableInput as exc:
        error = (_relative_message(str(exc), path, rel), exc.code)
    except (MemoryError, RecursionError):
        error = (f"{rel}：文件过大或结构过深，无法读取", "too-large")
    except Exception as exc:  # a reader bug must not stop the other 79 offices' files
        reason = _relative_message(f"{type(exc).__name__}: {exc}", path, rel)
        error = (f"{rel}：内部错误（{reason}），请连同文件报告", "internal-error")
    item = Item(path, rel, _mtime(st if st is not None else _stat(path)))
    if submission is None:
        item.error, item.code = error if error is not None else (f"{rel}：无法读取", "unusable-input")
        return item
    item.submission = submission
    item.import_findings = submission.findings
    describe(item, content)
    return item


class _Refused(Exception):
    """(message, code) of a file not read."""


def _relative_message(text: str, path: Path, rel: str) -> str:
    """A reader's message with the file named as in the inbox: readers name a file by its
    path or its name, and an absolute server path has no place in a shared 汇总."""
    text = text.replace(str(path), rel).replace(str(path.absolute()), rel)
    if text.startswith(path.name) and path.name != rel:
        text = rel + text[len(path.name) :]
    return shown_name(text)


def identity_of(sub: Submission) -> Identity:
    def text(key: str) -> str:
        return normalize_newlines(to_text(sub.values.get(key))).strip()

    return Identity(text("body.name"), text("body.type"), text("body.region_code"), text("body.credit_code"))


def describe(item: Item, content: bool = True) -> None:
    """Identity, year, and (with `content`) the exact figures of a readable submission (its
    content hash is made when asked for: :attr:`Item.digest`)."""
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
    canon: dict[str, str] = {}
    figures: dict[str, int | Decimal] = {}
    unreadable: list[str] = []
    cells = _whole_at_once(sub.values, _plan(sub.format), None, figures)
    _canonical_cells(sub, cells, canon, figures, unreadable)
    return figures, {k: canon[k] for k in unreadable}


def canonical(sub: Submission, unreadable: list[str] | None = None) -> tuple[dict[str, str], dict[str, int | Decimal]]:
    """Every cell as one comparable text, and the figures that are valid numbers
    (:meth:`validator.kinds.Kind.canonical`).

    The same report as JSON and as a filled workbook gives the same texts (3 and 3.0, 0.50 and
    0.5, a date cell and "2024-01-29" agree), so identical copies are recognised whatever their
    file type; an unreadable figure keeps its raw text (``?``-prefixed, its key appended to
    `unreadable`) so two different mistakes still differ.
    """
    canon: dict[str, str] = {}
    figures: dict[str, int | Decimal] = {}
    cells = _whole_at_once(sub.values, _plan(sub.format), canon, figures)
    _canonical_cells(sub, cells, canon, figures, unreadable)
    notes = sorted((e.rule, list(e.keys), normalize_newlines(e.text)) for e in sub.explanations if e.text.strip())
    canon["explanations"] = json.dumps(notes, ensure_ascii=False) if notes else ""
    return canon, figures


def _canonical_cells(
    sub: Submission,
    cells: tuple[tuple[str, Kind], ...],
    canon: dict[str, str],
    figures: dict[str, int | Decimal],
    unreadable: list[str] | None,
) -> None:
    """:func:`canonical` of the given (key, kind) cells, one by one."""
    get = sub.values.get
    for key, kind in cells:
        text, value, odd = kind.canonical(get(key))
        canon[key] = text
        if value is not None:
            figures[key] = value
        elif odd and unreadable is not None:
            unreadable.append(key)


def _whole_at_once(
    values: dict[str, Any], plan: _Plan, canon: dict[str, str] | None, figures: dict[str, Any]
) -> tuple[tuple[str, Kind], ...]:
    """The whole-number cells (counts, signed) of each group taken at once when every one is a
    plain int its kind takes as is, or every one is blank (JSON's common cases): their canonical
    texts are their digits, or empty. Returns the cells left for :func:`_canonical_cells` (all
    of them, or only the figures without `canon`)."""
    left = []
    if AT_ONCE.on:
        for index, (low, keys) in enumerate(plan.whole):
            found: tuple[Any, ...] = tuple(map(values.get, keys))
            types = set(map(type, found))
            if types == _INT and low <= min(found) and max(found) <= MAX_COUNT:
                figures.update(zip(keys, found))
                if canon is not None:
                    canon.update(zip(keys, map(str, found)))
            elif types == _NONE:
                if canon is not None:
                    canon.update(dict.fromkeys(keys, ""))
            else:
                left.append(index)
    else:
        left = list(range(len(plan.whole)))
    return plan.left(tuple(left), canon is None)


_INT = {int}
_NONE = {type(None)}


def _all_cells(fmt) -> tuple[tuple[str, str], ...]:
    """(key, kind) of every cell, this year's then the 上年数据 ones."""
    return tuple((key, kind.name) for key, kind in _plan(fmt).cells)


@dataclass(frozen=True)
class _Plan:
    cells: tuple[tuple[str, Kind], ...]
    """(key, kind) of every cell, this year's then the 上年数据 ones."""
    whole: tuple[tuple[int, tuple[str, ...]], ...]
    """(lowest value, keys) of the whole-number cells, this year's and the 上年数据 ones apart."""
    _left: dict[tuple[tuple[int, ...], bool], tuple[tuple[str, Kind], ...]] = field(default_factory=dict)

    def left(self, groups: tuple[int, ...], figures_only: bool) -> tuple[tuple[str, Kind], ...]:
        """The cells to read one by one: those not in a whole-number group taken at once (only
        the figures among them when only figures are asked for)."""
        found = self._left.get((groups, figures_only))
        if found is None:
            taken = {k for i, (_, keys) in enumerate(self.whole) if i not in groups for k in keys}
            found = tuple(c for c in self.cells if c[0] not in taken and (c[1].figure or not figures_only))
            self._left[(groups, figures_only)] = found
        return found


@cache
def _plan(fmt) -> _Plan:
    cells = tuple((c.key, KINDS[c.kind]) for c in (*fmt.cells, *fmt.baseline_cells))
    groups: dict[tuple[bool, str], list[str]] = {}
    for key, kind in cells:
        if kind.figure and kind.low <= 0:  # counts and signed figures: ints
            groups.setdefault((key.startswith("last_year."), kind.name), []).append(key)
    return _Plan(cells, tuple((KINDS[name].low, tuple(keys)) for (_, name), keys in groups.items()))


def content_hash(canon: dict[str, str]) -> str:
    """SHA-256 of ``json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
    (the archive stores it), built from the values directly: canon's values are all strings and
    its keys the same for every report of a format, so the keys' part of the text is encoded
    once per run and only the values are encoded (most are ASCII digits, which encode as a
    copy; a text made whole first would be widened for the Chinese in it and narrowed again).
    A value needs no JSON escaping when none holds a quote, a backslash or a control
    character: then each is its own JSON text between quotes."""
    if not HASH.on:
        text = json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
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
