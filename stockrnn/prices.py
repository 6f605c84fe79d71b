"""Prices that need no download and no store: the bundled samples and the lecture's generated series.

Input: a sample's file name, or the generator's parameters. Output: validated `Prices`. Where other prices come
from is a `PriceSource` (price_source.py), read by the application layer (app/prices.py).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .errors import UsageError
from .sources import from_frame
from .validate import Prices, load_csv, validate

SYNTHETIC_LEVEL = 100.0  # added to the lecture's series (which swings around 0) so that every "price" is positive
SAMPLES = {"^GSPC": "sp500.csv", "^IXIC": "nasdaq.csv"}  # files shipped in the package, reachable by symbol offline


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
