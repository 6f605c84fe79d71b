"""A trading rule as one value: long/flat or long/short, its threshold, its cost and its fill (strategy.py trades it).

Built once from the command line's options and passed down, as `PriceSource` and `TrainConfig` are; light (no numpy),
so that the command line can build it without loading the numerical stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import COST_BPS
from .errors import UsageError

if TYPE_CHECKING:
    from .targets import Target

STRATEGIES = {"long-flat": False, "long-short": True}  # a rule's name -> whether it may go short
FILLS = ("close", "open")  # the next bar a signal is filled at


@dataclass(frozen=True)
class Rule:
    """One trading rule: long/flat or long/short, the threshold its target's score must pass, the cost per side
    and the fill. `threshold` None: the target's default for the cost (a value target's round-trip cost)."""

    strategy: str = "long-flat"
    threshold: float | None = None
    cost_bps: float = COST_BPS
    fill: str = "close"

    def __post_init__(self) -> None:  # names in any case (LONG-FLAT, Open), as every choice of the command line
        object.__setattr__(self, "strategy", str(self.strategy).lower())  # frozen: set once, while being built
        object.__setattr__(self, "fill", str(self.fill).lower())

    @property
    def short(self) -> bool:
        return STRATEGIES[self.strategy]

    @property
    def cost(self) -> float:
        """Per side, as a fraction of the amount traded."""
        return self.cost_bps / 10_000

    def resolved(self, target: Target) -> Rule:
        """This rule checked against `target`, with its threshold filled in; a `UsageError` naming the option at
        fault otherwise."""
        self.check()
        if self.short and not target.can_short:
            raise UsageError(f"--strategy {self.strategy}: a {target.name} model cannot say down; use long-flat")
        threshold = target.default_threshold(self.cost) if self.threshold is None else self.threshold
        problem = target.threshold_problem(threshold, self.cost) if math.isfinite(threshold) else "a number"
        if problem:
            raise UsageError(f"--threshold for a {target.name} model's {target.score_name} must be {problem}")
        return Rule(self.strategy, threshold, self.cost_bps, self.fill)

    def check(self) -> None:
        """What holds whatever the model: the strategy's and fill's names, the cost's range; a `UsageError` naming
        the option at fault otherwise."""
        if self.strategy not in STRATEGIES:
            raise UsageError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        if self.fill not in FILLS:
            raise UsageError(f"--fill must be one of {', '.join(FILLS)}, not {self.fill!r}")
        if not (math.isfinite(self.cost_bps) and 0 <= self.cost_bps <= 1000):
            raise UsageError(f"--cost-bps must be from 0 to 1000 basis points per side, not {self.cost_bps:g}")

    @property
    def name(self) -> str:
        """In words: "long-flat at 0.001"."""
        return self.strategy if self.threshold is None else f"{self.strategy} at {self.threshold:g}"


PORTFOLIO_FILLS = ("close", "same-close")  # a portfolio's fills: the next close; the scores' own close


@dataclass(frozen=True)
class PortfolioRule:
    """A cross-sectional portfolio's rule (portfolio.py trades it): each day, long the `top` members by score and,
    unless `long_only`, short the bottom `top`, equal weight (1/k a name, so gross exposure 2 long-short, 1
    long-only); `cost_bps` per half-turn (each unit of turnover, sum |change of weight|, pays it); filled at the next
    close (`fill` "close", executable), or at the very close the scores were made at (`fill` "same-close": Fischer and
    Krauss's convention, optimistic: who sees a close only after it cannot trade at it); open fills are not
    supported for a portfolio."""

    top: int = 10  # names a side: Fischer and Krauss (2018) trade k = 10 of the S&P 500's members
    long_only: bool = False
    cost_bps: float = COST_BPS
    fill: str = "close"
    # The k's asked for that a panel too small for them traded as `top` (its members // 2), and its members: said
    # in the rule's name, so that a capped k is never reported as the one asked for; () and None: as asked.
    asked: tuple[int, ...] = ()
    members: int | None = None

    @property
    def cost(self) -> float:
        """Per half-turn, as a fraction of the amount traded."""
        return self.cost_bps / 10_000

    def check(self) -> None:
        """The rule's values in range; a `UsageError` naming the option at fault otherwise."""
        if not (isinstance(self.top, int) and self.top >= 1):
            raise UsageError(f"--top must be a whole number of names a side, 1 or more, not {self.top!r}")
        if str(self.fill).lower() not in PORTFOLIO_FILLS:
            raise UsageError(
                f"--fill for a portfolio must be close (the next close) or same-close (the scores' own close, the "
                f"literature's convention), not {self.fill!r}"
            )
        if not (math.isfinite(self.cost_bps) and 0 <= self.cost_bps <= 1000):
            raise UsageError(f"--cost-bps must be from 0 to 1000 basis points per half-turn, not {self.cost_bps:g}")

    @property
    def name(self) -> str:
        """In words: "long-short top/bottom 10", "long-only top 10", a capped k "long-short top/bottom 2 (asked 10:
        5 members)"."""
        words = f"long-only top {self.top}" if self.long_only else f"long-short top/bottom {self.top}"
        if self.asked:
            words += f" (asked {', '.join(map(str, self.asked))}: {self.members} members)"
        return words
