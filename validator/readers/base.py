"""What a reader is (the registry is :mod:`validator.readers`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from validator.submission import InputKind, Submission

if TYPE_CHECKING:
    from validator.report import ValidationReport

EXACT = 3
"""``sniff``: the file's first bytes say it is this kind and no other (an OpenDocument
spreadsheet's ``mimetype``; a compound file named .et), where another reader takes every file of
the same container (the xlsx reader takes every zip and every compound file, to say what is wrong)."""
CONTENT = 2
"""``sniff``: the file's first bytes say it is this kind."""
NAME = 1
"""``sniff``: only the file's name says so (a reader still says what is wrong with the content)."""
HEAD_BYTES = 512
"""How much of a file ``sniff`` sees (an OpenDocument package names its kind within the first 100)."""

SAFE_XML = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
"""lxml's settings for a part of an untrusted package: no entities, DTDs or network, lxml's own size
limits, comments and processing instructions dropped."""


class Reader:
    """One kind of input (a plain class: built at every start, a NamedTuple would cost more)."""

    __slots__ = (
        "kind",
        "label",
        "suffixes",
        "sniff",
        "read",
        "max_bytes",
        "whole",
        "offered",
        "annotate",
        "on_request",
    )

    def __init__(
        self,
        kind: InputKind,
        label: str,
        suffixes: tuple[str, ...],
        sniff: Callable[[bytes, str], int],
        read: Callable[[Path, bytes | None], Submission],
        max_bytes: int,
        *,
        whole: bool = False,
        offered: tuple[str, ...] | None = None,
        annotate: Callable[[Path, Submission, ValidationReport, Path], list[str]] | None = None,
        on_request: bool = False,
    ) -> None:
        self.kind = kind
        """What its submissions can do."""
        self.label = label
        """What staff call such a file (“Excel 工作簿”), for messages."""
        self.suffixes = suffixes
        """Names it claims (:data:`NAME`) when no reader claims the content."""
        self.sniff = sniff
        """(first :data:`HEAD_BYTES` bytes, file name) → :data:`EXACT`, :data:`CONTENT`, :data:`NAME` or 0."""
        self.read = read
        """(path, the whole file when `whole` and within `max_bytes`, else None) → the
        submission, or :class:`~validator.errors.UnusableInput` saying what is wrong."""
        self.max_bytes = max_bytes
        """The largest file it reads (also the upload cap of the web page)."""
        self.whole = whole
        """Read whole in the one open that sniffed it (a JSON; a zip is read by name)."""
        self.offered = offered
        """Names the page's file pickers offer (default: `suffixes`; none for a kind only refused)."""
        self.annotate = annotate
        """Writes the marked copy of ``check --annotate`` (kinds with ``annotatable``)."""
        self.on_request = on_request
        """Read only when asked (``--published``): its files are never submissions on their own."""

    def replace(self, **changes: object) -> Reader:
        fields = {name: getattr(self, name) for name in self.__slots__}
        return Reader(**{**fields, **changes})  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Reader({self.kind.name!r})"
