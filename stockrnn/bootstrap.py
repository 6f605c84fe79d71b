"""Evaluate stage, the resampling behind the trading verdicts: the stationary bootstrap of daily returns, and the
test of a mean daily return against zero.

Input: daily returns (n,) or paired daily returns (n, 2), and the statistic to resample. Output: the resampled
statistics and the two-sided p-value (`resample`, `p_value`: strategy.SharpeTest's machinery), and `MeanTest`, the
verdict on a portfolio's mean daily return after costs (portfolio.py).

The stationary bootstrap (Politis and Romano, 1994, "The Stationary Bootstrap", JASA 89) resamples blocks of days of
random length, which keeps the returns' autocorrelation and fat tails; the mean block length is Politis and White's
(2004, with Patton, Politis and White's 2009 correction), both from the `arch` package. The p-value is the share of
resampled statistics at least as far from the observed one as the observed one is from the null (the bootstrap
distribution centred on the null, as in Ledoit and Wolf, 2008).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .significance import ALPHA

REPS = 2000  # bootstrap resamples of each test: p-values to about +-0.01 at p = 0.05
SEED = 0  # of the bootstrap: the same data give the same p-value
MIN_DAYS = 20  # days, and days in the market, that a test of daily returns needs


def resample(
    data: np.ndarray, statistic: Callable[[np.ndarray], float], blocks_of: np.ndarray, reps: int = REPS,
    seed: int = SEED,
) -> tuple[float, np.ndarray]:  # fmt: skip
    """`statistic` of `reps` stationary-bootstrap resamples of the rows of `data` ((n,) or (n, k) days); the mean
    block length from `blocks_of` (n,), the series whose dependence the blocks should keep, and at least 1 day.
    Returns (the mean block length in days, the finite resampled statistics (<= reps,))."""
    from arch.bootstrap import StationaryBootstrap, optimal_block_length

    block = float(max(1.0, optimal_block_length(blocks_of)["stationary"].iloc[0]))
    found = np.empty(reps)
    # arch takes the mean block length as a float, though its annotation says int.
    for i, (drawn, _) in enumerate(StationaryBootstrap(block, data, seed=seed).bootstrap(reps)):  # type: ignore[arg-type]
        found[i] = statistic(drawn[0])
    return block, found[np.isfinite(found)]


def p_value(resampled: np.ndarray, observed: float, null: float = 0.0) -> float:
    """Two-sided: the share of `resampled` at least as far from `observed` as `observed` is from `null`."""
    return float(np.mean(np.abs(resampled - observed) >= abs(observed - null)))


@dataclass(frozen=True)
class MeanTest:
    """Is a portfolio's mean daily return after costs different from zero? Two-sided, by the stationary bootstrap of
    its daily returns (`resample`, `p_value`). `p_value` None when not tested (`reason`)."""

    mean: float  # the mean daily return, a fraction
    p_value: float | None
    n: int  # days
    block: float | None = None  # mean block length, days
    reps: int = REPS
    reason: str | None = None
    window: str = ""  # "2018-01-02..2018-12-31"
    model: str = "the portfolio"

    @classmethod
    def run(
        cls, returns: pd.Series, model: str = "the portfolio", exposed: int | None = None, reps: int = REPS,
        seed: int = SEED,
    ) -> MeanTest:  # fmt: skip
        """Test daily returns `returns` (n,), indexed by day; `exposed`: days holding a position (default: days with
        a non-zero return). Untested with fewer than `MIN_DAYS` days or days exposed, or returns that never vary."""
        values = returns.to_numpy(dtype="float64")
        mean = float(values.mean()) if len(values) else math.nan
        window = f"{returns.index[0]:%Y-%m-%d}..{returns.index[-1]:%Y-%m-%d}" if len(values) else ""
        active = int(np.count_nonzero(values)) if exposed is None else exposed
        reason = None
        if len(values) < MIN_DAYS:
            reason = f"fewer than {MIN_DAYS} days"
        elif active < MIN_DAYS:
            reason = f"{model} held a position on {active} of {len(values)} days, fewer than {MIN_DAYS}"
        elif np.ptp(values) == 0:
            reason = f"{model}'s daily return never varied"
        if reason is not None:
            return cls(mean, None, len(values), reason=reason, window=window, model=model)
        block, resampled = resample(values, lambda v: float(v.mean()), values, reps, seed)
        return cls(mean, p_value(resampled, mean), len(values), block, reps, window=window, model=model)

    @property
    def outcome(self) -> str:
        """ "above zero", "below zero", "no significant difference" or "untested"."""
        if self.p_value is None:
            return "untested"
        if self.p_value >= ALPHA or self.mean == 0:
            return "no significant difference"
        return "above zero" if self.mean > 0 else "below zero"

    def line(self) -> str:
        """The verdict in words: ABOVE or BELOW zero only when significant."""
        said = f"{_percent(self.mean)} a day"
        if self.p_value is None:
            return f"verdict: {self.model}'s mean return not tested on {self.window}: {self.reason} ({said})"
        evidence = f"bootstrap p = {self.p_value:.2f}, {self.n} days"
        if self.outcome == "no significant difference":
            return f"verdict: {self.model}'s mean return after costs, {said}, is not significantly different from " \
                f"zero on {self.window} ({evidence})"  # fmt: skip
        word = "ABOVE" if self.outcome == "above zero" else "BELOW"
        return f"verdict: {self.model}'s mean return after costs, {said}, is {word} zero on {self.window}, " \
            f"significant at {ALPHA:.0%} ({evidence})"  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "stationary bootstrap of the mean daily return", "mean": self.mean, "p_value": self.p_value,
            "n": self.n, "block": self.block, "reps": self.reps, "reason": self.reason, "window": self.window,
            "outcome": self.outcome, "verdict": self.line(),
        }  # fmt: skip


def _percent(mean: float) -> str:
    """A mean daily return in percent with its sign: "+0.123%"."""
    return "-" if not math.isfinite(mean) else f"{mean:+.3%}"
