"""Numbers as people read them in tables and titles: one formatter for every command and target."""

from __future__ import annotations


def fmt(value: float | None, spec: str = ".2f") -> str:
    """`value` formatted by `spec`, or "n/a" where it is missing."""
    return "n/a" if value is None else format(value, spec)
