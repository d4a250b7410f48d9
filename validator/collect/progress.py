"""A one-line progress counter on stderr for long runs.

rich and tqdm are not dependencies of this project and a counter needs neither: the line is
drawn only when stderr is a terminal, the inbox has more than a handful of files and
``--quiet`` is not given, so redirected output and logs stay clean.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_FILES = 6
INTERVAL = 0.1


class Progress:
    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self._last = 0.0
        self._drawn = False

    @classmethod
    def for_stderr(cls, enabled: bool = True) -> Progress:
        stream = sys.stderr
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(stream if enabled and tty else None)

    def update(self, done: int, total: int) -> None:
        if self.stream is None or total < MIN_FILES:
            return
        now = time.monotonic()
        if done < total and now - self._last < INTERVAL:
            return
        self._last = now
        width = 30
        filled = width * done // total
        self.stream.write(f"\r读取报送文件 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self._drawn = True

    def done(self) -> None:
        if self._drawn and self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
