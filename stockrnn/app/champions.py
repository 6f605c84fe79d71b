"""Application layer, the model registry by hand: list versions, choose the champion.

Input: symbols, a version. Output: the listing, the new champion.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import registry
from ..errors import DataError, MissingInputError
from ..paths import check_symbol

log = logging.getLogger("stockrnn")


def models(symbol: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every version of `symbol`'s model (default: of every symbol): {symbol: [{version, champion, manifest}]}."""
    if symbol:
        name = check_symbol(symbol)
        found = registry.model_versions(name)
        if not found:
            raise MissingInputError(f"no model for {name}: train one with stockrnn train {name}")
        return {name: found}
    listing = {}
    for name in registry.symbols():  # one damaged symbol is said, and the others still listed
        try:
            listing[name] = registry.model_versions(name)
        except DataError as exc:
            log.warning("%s: left out of the listing: %s", name, exc)
    return listing


def choose_champion(symbol: str, version: str | None) -> str:
    """Make `version` the champion of `symbol` (None: roll back to the one before); the champion's name."""
    return registry.choose_champion(check_symbol(symbol), version)
