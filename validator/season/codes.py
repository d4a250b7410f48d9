"""报送码: each body's own code to submit with, and the throttle on wrong guesses.

A code is 20 symbols from an alphabet without look-alikes (no 0/O, 1/I/L), shown in five
groups: ``K7QM-3XHD-9TRP-W2NC-5FBA``. The first group is a handle stored in clear to find the
body's row; the other 16 symbols (16 × log2 31 ≈ 79 bits) are the secret. The archive keeps only
a salted scrypt hash of the whole code, compared in constant time; a lookup that finds no
handle still spends one hash, so a guess's answer time does not tell a known handle from an
unknown one. With 79 random bits nothing can be found by trying codes (nor from a stolen
archive by hashing guesses), so scrypt's cost is set low enough to issue 2,000 codes at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""31 symbols: digits 2–9 and the capitals without I, L, O."""
GROUP, GROUPS = 4, 5
SECRET_BITS = (GROUPS - 1) * GROUP * 4.95  # log2(31) ≈ 4.954
SCRYPT = {"n": 2**10, "r": 8, "p": 1, "dklen": 32}
_DUMMY_SALT = b"xxgk-no-such-handle"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUP * GROUPS))
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def normalize(text: str) -> str | None:
    """A typed code as stored (capitals, no separators), or None when it cannot be one."""
    raw = "".join(ch for ch in (text or "").upper() if ch not in " -_\t\r\n\u3000")
    if len(raw) != GROUP * GROUPS or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def handle(code: str) -> str:
    return code[:GROUP]


def digest(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(code.encode("ascii"), salt=salt, **SCRYPT)


def hashed(code: str) -> tuple[bytes, bytes]:
    """A new salt and the hash of the (normalized) code."""
    salt = secrets.token_bytes(16)
    return salt, digest(code, salt)


def matches(code: str, salt: bytes | None, stored: bytes | None) -> bool:
    """Constant-time comparison; a missing row costs the same hash."""
    if salt is None or stored is None:
        hmac.compare_digest(digest(code, _DUMMY_SALT), digest(code, _DUMMY_SALT))
        return False
    return hmac.compare_digest(digest(code, salt), stored)


@dataclass
class Throttle:
    """Wrong codes (and wrong office tokens) from one client: after `allowed` failures within
    `window` seconds every further try, right or wrong, is refused until the lock ends; each
    failure past the limit doubles the lock, up to `longest`."""

    allowed: int = 5
    window: float = 600.0
    lock: float = 60.0
    longest: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _locked: dict[str, tuple[float, float]] = field(default_factory=dict)
    _mutex: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str) -> float:
        """Seconds this client must wait before its next try (0: go ahead)."""
        with self._mutex:
            until, _ = self._locked.get(client, (0.0, 0.0))
            return max(until - self.clock(), 0.0)

    def failed(self, client: str) -> None:
        with self._mutex:
            now = self.clock()
            recent = [t for t in self._failures.get(client, []) if now - t < self.window] + [now]
            self._failures[client] = recent
            if len(recent) >= self.allowed:
                _, last = self._locked.get(client, (0.0, 0.0))
                span = min(max(last * 2, self.lock), self.longest)
                self._locked[client] = (now + span, span)
            if len(self._failures) > 10_000:  # many clients: forget the oldest
                for key in list(self._failures)[:5_000]:
                    self._failures.pop(key, None)

    def succeeded(self, client: str) -> None:
        with self._mutex:
            self._failures.pop(client, None)
            self._locked.pop(client, None)
