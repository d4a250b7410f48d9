"""Who a report is from: one body identity, and the one test of whether two are the same body.

Collect matches submissions to bodies with it and XY-BODY asks it whether last year's report
is the same body's, so the two never disagree (a body renamed under an unchanged credit code
is one body for both).

Order (issue 9): 统一社会信用代码, then 行政区划代码 + name. Two records are the same body when
their credit codes agree (both given); with no pair of credit codes, when their names agree and
their region codes do not contradict each other. Names and codes compare by
:func:`validator.values.name_key` (NFKC, no whitespace, no invisible character), so full-width
brackets, stray spaces and a pasted zero-width space do not split a body.
"""

from __future__ import annotations

from dataclasses import dataclass

from validator.values import name_key


def code_key(code: str | None) -> str:
    return name_key(code).upper()


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
