"""Price sources as values: where a model's prices come from (a symbol, a file, the synthetic series), the bundled
samples and the lecture's generated series.

Input: a symbol, a CSV path or the generator's parameters. Output: a `PriceSource` (a value the command line builds
once, the manifest and the ledger record, and the application layer reads: stockrnn/app/prices.py), and validated
`Prices` for what needs no download and no store: the bundled samples and the synthetic series.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import UsageError
from .sources import from_frame
from .validate import Prices, load_csv, validate

SYNTHETIC = "SYNTHETIC"  # the symbol synthetic models are stored under
SYNTHETIC_LEVEL = 100.0  # added to the lecture's series (which swings around 0) so that every "price" is positive
SAMPLES = {"^GSPC": "sp500.csv", "^IXIC": "nasdaq.csv"}  # files shipped in the package, reachable by symbol offline


@dataclass(frozen=True)
class PriceSource:
    """Where prices come from, and how they are read: the synthetic series (its generator's parameters), else the
    file `csv` (its dates read with `date_format` when given), else the symbol's prices (the local store, refreshed
    from Yahoo unless `offline`; `adjusted` for splits and dividends). `strict` refuses data that looks wrong
    (checks.py) instead of warning. One value, built once by the command line's options group and passed down."""

    symbol: str | None = None  # the name the model is stored under; with a file it only names the model
    csv: Path | None = None
    date_format: str | None = None
    synthetic: dict[str, Any] | None = None  # synthetic_prices' parameters
    adjusted: bool = True
    offline: bool = False
    strict: bool = False

    def __post_init__(self) -> None:
        if self.csv is not None:
            object.__setattr__(self, "csv", Path(self.csv))  # frozen: set once, while being built

    @property
    def kind(self) -> str:
        """What `Prices.kind` it gives: synthetic, csv or store."""
        return "synthetic" if self.synthetic is not None else "csv" if self.csv is not None else "store"

    @property
    def name(self) -> str | None:
        """The model's name: the symbol, else SYNTHETIC for the synthetic series, else the file's name."""
        from .paths import symbol_from_path

        if self.symbol:
            return self.symbol
        if self.synthetic is not None:
            return SYNTHETIC
        return symbol_from_path(self.csv) if self.csv is not None else None

    def seeded(self, seed: int) -> PriceSource:
        """The synthetic series' noise drawn from `seed` (the model's), unless its parameters name one."""
        if self.synthetic is None or "seed" in self.synthetic:
            return self
        return dataclasses.replace(self, synthetic={**self.synthetic, "seed": seed})

    def to_json(self) -> dict[str, Any]:
        """The source as plain JSON: its kind and the settings it has (the file as a path string)."""
        given = {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, False) or k == "adjusted"}
        return {"kind": self.kind, **{k: str(v) if isinstance(v, Path) else v for k, v in given.items()}}

    @classmethod
    def recorded(
        cls, symbol: str, kind: str, source: str, adjusted: bool, date_format: str | None = None,
        synthetic: dict[str, Any] | None = None, offline: bool = False,
    ) -> PriceSource:  # fmt: skip
        """The source as a manifest or the ledger recorded it (kind, the file or the store's description)."""
        if kind == "synthetic":
            return cls(symbol, synthetic=synthetic or {}, adjusted=adjusted, offline=offline)
        if kind == "store":
            return cls(symbol, adjusted=adjusted, offline=offline)
        return cls(symbol, csv=Path(source), date_format=date_format, adjusted=adjusted, offline=offline)


def sample(name: str) -> Prices:
    """A price file shipped inside the package (package data: present in a wheel, a pipx install, a checkout)."""
    from importlib.resources import as_file, files

    with as_file(files("stockrnn").joinpath("sample_data", name)) as path:
        return load_csv(path)


def synthetic_prices(points: int = 600, step: float = 0.1, noise: float = 0.0, seed: int = 42) -> Prices:
    """The lecture's generated series, t*sin(t)/3 + 2*sin(5t) at t = 0, step, 2*step, ... (plus `noise` times a
    seeded standard normal), lifted by SYNTHETIC_LEVEL and dated on NYSE trading days from 2000-01-03.
    A control with real, learnable structure: what skill looks like, next to a stock's."""
    import exchange_calendars as xcals

    if not (points >= 2 and 0 < step < np.inf and 0 <= noise < np.inf):  # NaN fails each comparison
        raise UsageError(f"synthetic series: points ({points}) >= 2, step ({step}) > 0 and noise ({noise}) >= 0")
    t = np.arange(points) * step
    values = t * np.sin(t) / 3 + 2 * np.sin(5 * t) + noise * np.random.default_rng(seed).standard_normal(points)
    days = xcals.get_calendar("XNYS", start="2000-01-03", end="2026-01-02").sessions[:points]
    frame = pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Close": SYNTHETIC_LEVEL + values})
    params = {"points": points, "step": step, "noise": noise, "seed": seed}
    prices = validate(from_frame(f"synthetic t*sin(t)/3 + 2*sin(5t) + {SYNTHETIC_LEVEL:g} {params}", frame))
    return dataclasses.replace(prices, kind="synthetic", params=params)
