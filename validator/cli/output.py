"""What every subcommand prints the same way: files or standard output, and errors as JSON."""

from __future__ import annotations

import json
import os
import re
import sys

from validator.errors import UnusableInput
from validator.fileio import STDOUT, atomic_write_bytes


def write_output(out: str, data: bytes) -> None:
    """`data` into the file `out` (atomically), or onto standard output for ``-o -``."""
    if out != STDOUT:
        atomic_write_bytes(out, data)
        return
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a text stream (tests capture output this way)
        sys.stdout.write(data.decode("utf-8"))
    else:
        binary.write(data)
    sys.stdout.flush()


def is_stdout(out: str) -> bool:
    """``-`` or a name for the file standard output already goes to (/dev/stdout, /dev/fd/1):
    the status line then goes to stderr, so the JSON stream stays clean."""
    if out == STDOUT:
        return True
    try:
        return os.path.samestat(os.stat(out), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


def print_json(doc: object) -> None:
    print(json.dumps(doc, ensure_ascii=False, indent=2))


def error_dict(exc: UnusableInput) -> dict[str, str]:
    return {"code": exc.code, "message": message_of(exc), **({"where": exc.where} if exc.where else {})}


def error_json(args, code: str, message: str, where: str | None = None) -> None:
    """``check --json`` always prints JSON: a machine reader gets the reason on stdout too."""
    if getattr(args, "json", False) is True:
        print_json({"error": {"code": code, "message": message, **({"where": where} if where else {})}})


def message_of(exc: UnusableInput) -> str:
    """The message without its ``where：`` prefix (``where`` is a field of its own in JSON)."""
    text = str(exc)
    prefix = f"{exc.where}：" if exc.where else ""
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
"""What a terminal would act on or hide rather than show: control characters (an ESC starts a
sequence that moves the cursor, erases a line, sets the title), bidi overrides, zero-width and
other invisible characters, line separators, and lone surrogates."""


def printable(text: str, lines: bool = False) -> str:
    """`text` with everything a terminal would act on or hide written as an escape (``\\x1b``,
    ``\\u202e``): names in a shared inbox are chosen by others, and a file called
    ``x\\x1b[1A\\x1b[2K通过`` must not rewrite what the operator reads. With `lines`, the
    message's own line breaks stay (a refusal listing several problems, one a line)."""
    if lines:
        return "\n".join(_UNPRINTABLE.sub(_escape, line) for line in text.split("\n"))
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
