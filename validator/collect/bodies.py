"""Who is who: a submission's body identity and the index that matches it to known bodies.

Matching order (issue 9): 统一社会信用代码, then 行政区划代码 + name, then name. Two records
are the same body when their credit codes agree (both given); with no pair of credit codes,
when their names agree and their region codes do not contradict each other. Names compare
after NFKC and without whitespace, so full-width brackets and stray spaces do not split a body.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Generic, TypeVar

B = TypeVar("B")


def name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def code_key(code: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", code or "").split()).upper()


@dataclass(frozen=True)
class Identity:
    name: str
    type: str = ""
    region_code: str = ""
    credit_code: str = ""

    @property
    def key(self) -> str:
        return name_key(self.name)


def same_body(a: Identity, b: Identity) -> bool:
    ca, cb = code_key(a.credit_code), code_key(b.credit_code)
    if ca and cb:
        return ca == cb
    if a.key != b.key or not a.key:
        return False
    ra, rb = code_key(a.region_code), code_key(b.region_code)
    return not (ra and rb and ra != rb)


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
