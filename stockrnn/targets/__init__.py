"""Targets: what the network learns from a price series, how its outputs become prices (or probabilities) again,
and everything downstream that differs between targets (base.py says what a target and its `Result` answer).

One small object per target, each with the same methods (the pattern of darts' invertible transformers and of
NeuralForecast's loss objects), so that a new target is one new object, not a branch in every stage:
- value.py: `price` (the lecture's scaled price levels) and `return` (daily log returns), judged as prices;
- direction.py: `direction`, P(price higher H trading days later), judged as probabilities;
- rank.py: `rank`, P(next-day return above the panel's median that day), a panel's target, judged as direction's;
- scaling.py: the scalers they fit, as plain JSON (nothing that runs code when loaded).
"""

from __future__ import annotations

from ..errors import UsageError
from .base import Forecasting, Result, Step, Target
from .direction import DirectionForecast, DirectionTarget
from .rank import RankTarget
from .scaling import Scaler, scale, scaler_from_dict, scaler_to_dict, unscale
from .value import PriceTarget, ReturnTarget, ValueForecast

__all__ = [
    "TARGETS", "DirectionForecast", "Forecasting", "Result", "Scaler", "Step", "Target", "ValueForecast", "get",
    "scale", "scaler_from_dict", "scaler_to_dict", "unscale",
]  # fmt: skip

TARGETS: dict[str, Target] = {
    "price": PriceTarget("price", "scaled price levels (the lecture)"),
    "return": ReturnTarget("return", "daily log returns, scaled without centring", extra_days=1),
    "direction": DirectionTarget(
        "direction",
        "P(price higher H trading days later), calibrated",
        extra_days=1,
        activation="sigmoid",
        loss="binary_crossentropy",
        promotion_metric="brier",
        asks_horizon=True,
        scored="p_up",
        baseline="base_rate",
        family="probability",
        has_path=False,
    ),
    "rank": RankTarget(
        "rank",
        "P(next-day return above the median of the panel's members), calibrated; a panel's model only",
        extra_days=1,
        activation="sigmoid",
        loss="binary_crossentropy",
        promotion_metric="brier",
        scored="p_up",
        baseline="base_rate",
        family="rank",
        has_path=False,
        panel_only=True,
    ),
}


def get(name: str) -> Target:
    """The target called `name`, or a `UsageError` that lists the known ones."""
    if name not in TARGETS:
        raise UsageError(f"--target must be one of {', '.join(TARGETS)}, not {name!r}")
    return TARGETS[name]
