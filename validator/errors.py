"""Errors that end a command with a clear Chinese message instead of a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2


class UnusableInput(Exception):
    """The input cannot be read as a report (exit code 2). `str(exc)` is for staff."""

    def __init__(self, message: str, *, where: str | None = None):
        self.where = where
        super().__init__(f"{where}：{message}" if where else message)


class CannotWrite(UnusableInput):
    """An output file could not be written (disk full, no permission, no such folder…).

    Exit code 2 like unusable input: the cause is outside this tool and staff can act on it.
    The previous file at the target path, if any, is left exactly as it was.
    """
