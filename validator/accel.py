"""The accelerators: each a fast path beside a plain one that gives the same result, behind one switch.

An accelerator is kept only where a user notices the gain (see docs/performance.md for what each
saves). Its owner registers it here and asks :attr:`Accelerator.on` before taking the fast path;
the plain path is always there and always correct. ``XXGK_PLAIN=1`` in the environment turns
every one off (the plain program, e.g. to rule an accelerator out when a result looks odd);
tests and benchmarks turn them off one at a time with :func:`plain`, and tests/test_accelerators.py
compares both paths of every registered accelerator.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

OWNERS = (
    "validator.kinds",
    "validator.readers.xlsx",
    "validator.jsonshape",
    "validator.collect.run",
    "validator.collect.inbox",
)
"""The modules that register an accelerator (imported by :func:`accelerators`)."""


def _plain_from_environment() -> bool:
    return os.environ.get("XXGK_PLAIN", "").strip() not in ("", "0")


class Accelerator:
    """One fast path: its `name`, the `owner` module holding both paths, `what` it does and
    saves, and whether it is `on`."""

    __slots__ = ("name", "owner", "what", "on")

    def __init__(self, name: str, owner: str, what: str, on: bool = True) -> None:
        self.name, self.owner, self.what, self.on = name, owner, what, on

    def __repr__(self) -> str:
        return f"Accelerator({self.name!r}, on={self.on})"


_REGISTRY: dict[str, Accelerator] = {}


def register(name: str, owner: str, what: str) -> Accelerator:
    """The accelerator `name`, on unless ``XXGK_PLAIN`` is set (registered once, at its owner's import)."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    acc = _REGISTRY[name] = Accelerator(name, owner, what, on=not _plain_from_environment())
    return acc


def accelerators() -> list[Accelerator]:
    """Every accelerator, its owner imported first."""
    for owner in OWNERS:
        importlib.import_module(owner)
    return list(_REGISTRY.values())


@contextmanager
def plain(*names: str) -> Iterator[None]:
    """The named accelerators (all of them when none is named) off inside the block."""
    chosen = [_REGISTRY[n] for n in names] if names else accelerators()
    before = [acc.on for acc in chosen]
    for acc in chosen:
        acc.on = False
    try:
        yield
    finally:
        for acc, was in zip(chosen, before):
            acc.on = was
