"""Commands and templates other packages add to ``xxgk`` (the Excel add-in does, through entry points)."""

from __future__ import annotations

from importlib.metadata import entry_points


def plugins(group: str) -> list:
    """The objects registered under an entry-point group, in name order."""
    return [ep.load() for ep in sorted(entry_points(group=group), key=lambda ep: ep.name)]
