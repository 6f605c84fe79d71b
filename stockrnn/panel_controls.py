"""Controls for a panel's portfolio: generated panels where the answer is known, and the cheap score that finds it.

Output: `ControlPanel` values: (days, members) closes on business days, and which members carry a planted effect.
`planted_reversal_panel` plants a short-term reversal in some members (today's return predicts minus a fraction of
tomorrow's); `random_walk_panel` plants nothing. `reversal_scores` is the score that knows the planted form and
nothing else (minus a weighted sum of recent returns, from prices up to each close only): no network.

The planted form is a temporary price component (Poterba and Summers, 1988, "Mean reversion in stock prices", J.
Financial Economics 22): log price = a random walk + u, with u_t = persistence x u_(t-1) + noise. Its daily
returns have autocorrelation -strength at lag 1 and -strength x persistence^(j-1) at lag j. With persistence 0 the
reversal lasts one day only, which a portfolio filled at the next close (portfolio.py) cannot trade: the control of
no look-ahead. With persistence 0.5 half of it is left for the day the portfolio holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import UsageError

START = "2010-01-04"  # the first business day of a generated panel: any date serves
VOLATILITY = 0.02  # each member's daily return's standard deviation: a single stock's, about 32% a year


@dataclass(frozen=True)
class ControlPanel:
    """A generated panel: `prices` (days, members) closes on business days from `START`, members M00, M01, ...;
    `planted`: the members that carry the effect (none for a random walk); `strength`: their returns' lag-1
    autocorrelation is -strength; `persistence`: how much of it is left each further day."""

    prices: pd.DataFrame
    planted: tuple[str, ...]
    strength: float
    persistence: float
    seed: int


def planted_reversal_panel(
    members: int = 20, days: int = 750, planted: int = 10, strength: float = 0.2, seed: int = 0,
    persistence: float = 0.5, volatility: float = VOLATILITY,
) -> ControlPanel:  # fmt: skip
    """`members` series of `days` closes (from 100), independent random walks with daily volatility `volatility`
    (prices are martingales: a simple return's mean is 0), except the first `planted`, whose returns reverse:
    corr(r_t, r_(t+1)) = -`strength`, corr(r_t, r_(t+j)) = -strength x persistence^(j-1), at the same daily
    volatility. Deterministic in `seed`. A `UsageError` when
    `planted` > `members` or `strength` is outside [0, (1 - persistence) / 2] (the most a temporary component with
    that persistence can give), `persistence` outside [0, 1), or a count below 1."""
    if members < 1 or days < 2 or not 0 <= planted <= members:
        raise UsageError(f"a control panel needs members >= 1, days >= 2, 0 <= planted <= members; not {members}, "
                         f"{days}, {planted}")  # fmt: skip
    if not 0 <= persistence < 1:
        raise UsageError(f"persistence must be in [0, 1), not {persistence:g}")
    most = (1 - persistence) / 2
    if not 0 <= strength <= most:
        raise UsageError(f"strength must be in [0, {most:g}] with persistence {persistence:g}, not {strength:g}")
    rng = np.random.default_rng(seed)
    variance = volatility**2
    # Var(du) = 2 s2 (1 - p) and Cov(du_t, du_(t+1)) = -s2 (1 - p)^2 for u of variance s2 and persistence p:
    # s2 = strength x variance / (1 - p)^2 gives the lag-1 autocorrelation -strength; the walk makes up the rest.
    temporary = strength * variance / (1 - persistence) ** 2
    walk = np.full(members, variance)
    walk[:planted] = variance - 2 * temporary * (1 - persistence)
    # Each log step drifts by -variance / 2, so that a price is a martingale (a simple return's mean is 0): the
    # equal-weighted panel has nothing to earn and a portfolio without costs nothing to lose, under the null.
    steps = rng.standard_normal((days, members)) * np.sqrt(walk) - variance / 2
    shocks = rng.standard_normal((days, planted)) * np.sqrt(temporary * (1 - persistence**2))
    u = np.empty((days, planted))
    u[0] = rng.standard_normal(planted) * np.sqrt(temporary)  # stationary from the first day
    for t in range(1, days):
        u[t] = persistence * u[t - 1] + shocks[t]
    log_price = np.cumsum(steps, axis=0)
    log_price[:, :planted] += u
    names = [f"M{i:02d}" for i in range(members)]
    prices = pd.DataFrame(100 * np.exp(log_price - log_price[0]), columns=names,
                          index=pd.bdate_range(START, periods=days, name="date"))  # fmt: skip
    prices.columns.name = "symbol"
    return ControlPanel(prices, tuple(names[:planted]), strength, persistence, seed)


def random_walk_panel(
    members: int = 20, days: int = 750, seed: int = 0, volatility: float = VOLATILITY
) -> ControlPanel:
    """`members` independent random walks of `days` closes (from 100, daily volatility `volatility`, martingales:
    a simple return's mean is 0):
    nothing to find. Deterministic in `seed`."""
    return planted_reversal_panel(members, days, 0, 0.0, seed, 0.0, volatility)


def reversal_scores(prices: pd.DataFrame, persistence: float = 0.5) -> pd.DataFrame:
    """The planted reversal's own score: minus the exponentially weighted mean of each member's daily returns up to
    each close, each day's weight `persistence` times the next's (persistence 0: minus today's return). Higher:
    expected to rise. (days, members) -> (days, members), NaN on the first day; uses no price after its row."""
    returns = prices / prices.shift(1) - 1
    return -returns.ewm(alpha=1 - persistence, adjust=True).mean()
