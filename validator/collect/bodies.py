"""The index that matches submissions to known bodies (:mod:`validator.identity` says who is
who: credit code first, then region code and name)."""

from __future__ import annotations

from typing import Generic, TypeVar

from validator.identity import Identity, code_key, same_body
from validator.values import name_key

B = TypeVar("B")
__all__ = ["BodyIndex", "Identity", "code_key", "name_key", "same_body"]


class BodyIndex(Generic[B]):
    """Bodies by credit code and by name, so matching 10,000 submissions stays linear."""

    def __init__(self) -> None:
        self._by_credit: dict[str, B] = {}
        self._by_name: dict[str, list[tuple[Identity, B]]] = {}

    def add(self, identity: Identity, body: B) -> None:
        credit = code_key(identity.credit_code)
        if credit:
            self._by_credit.setdefault(credit, body)
        if identity.key:
            self._by_name.setdefault(identity.key, []).append((identity, body))

    def find(self, identity: Identity) -> B | None:
        credit = code_key(identity.credit_code)
        if credit and credit in self._by_credit:
            return self._by_credit[credit]
        for known, body in self._by_name.get(identity.key, ()):
            if same_body(identity, known):
                return body
        return None

    def named(self, identity: Identity) -> list[B]:
        """The distinct bodies known under the same name, whatever their codes say."""
        out: list[B] = []
        for _, body in self._by_name.get(identity.key, ()):
            if not any(body is b for b in out):
                out.append(body)
        return out
