"""The rank target: P(a member's next-day return beats the cross-sectional median of the panel's members that day),
Fischer and Krauss's (2018) class, learned by one global model on a panel (panel_train.py).

The windows are the direction target's (each member's own daily log returns, divided by their standard deviation
on that member's training rows, not centred: Fischer and Krauss standardise simple returns by the training period's
mean and deviation over all stocks; the difference is a shift of about 0.03 deviations and a per-member scale). The
labels are not a function of the member's own series: they come from the panel, before any member is windowed
(`panel_labels`: `crosssection.rank_labels` of each member's next return over the members present that day), on the
panel already cut at the training end, so that no label reads a day after it. A single symbol has no median to
beat: it refuses the target in one line.

Everything after the labels is the direction target's, inherited, not copied: the sigmoid output and binary
cross-entropy, the calibration (Platt, anchored at the base rate, about one half here), the validation scores
(Brier, log loss, accuracy beside the base rate and "always up", here "always above the median"). A panel's
walk-forward scores each member-day against its class in that day's cross-section (`day_losses`), not against the
member's own up or down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError, UsageError
from .direction import DirectionForecast, DirectionTarget

if TYPE_CHECKING:
    from ..config import TrainConfig
    from ..panel import Panel
    from .base import Forecasting
    from .scaling import Scaler

SINGLE = (
    "--target rank ranks a symbol among the members of a panel (above or below their median next-day return): "
    "train it on a panel with --panel DIR or --watchlist FILE --name NAME"
)


@dataclass(frozen=True)
class RankTarget(DirectionTarget):
    score_name = "P(above median)"

    def panel_labels(self, panel: Panel, config: TrainConfig) -> pd.DataFrame:
        """(days, members) classes on the panel's calendar: 1.0 where the member's return from that day's close to
        the next calendar day's is above the median of the members present, 0.0 where not, NaN where it has no such
        return (absent, a day it lacks, the panel's last day) or fewer than 2 members have one. `panel` is the one
        already cut at the training end: the last day's classes are NaN, no label reads past it."""
        from ..crosssection import next_returns, rank_labels

        return rank_labels(next_returns(panel.matrix(config.column)))

    def alone(self) -> str | None:
        return SINGLE

    def labels(self, scaled: np.ndarray, values: np.ndarray, horizon: int) -> np.ndarray:
        """A member's own series has no cross-section: only `panel_labels` gives this target's labels."""
        raise UsageError(SINGLE)

    def forecast_many(
        self, model: Any, scalers: Sequence[Scaler | dict], config: TrainConfig, ats: Sequence[Forecasting]
    ) -> list[DirectionForecast]:
        """P(above the median) for each `at.dates`, made at each date's origin (the day before it). Its outcome
        needs the other members' returns, which one member's forecast does not have: the outcomes and scores are
        left empty here (`stockrnn study` scores the whole cross-section)."""
        return [
            dataclasses.replace(found, rows=found.rows.assign(outcome=np.nan), metrics={})
            for found in super().forecast_many(model, scalers, config, ats)
        ]

    def day_losses(
        self,
        model: Any,
        scaler: dict,
        config: TrainConfig,
        series: pd.Series,
        extra: np.ndarray | None,
        labels: np.ndarray,
        classes: pd.Series | None = None,
    ) -> dict[str, dict[str, np.ndarray]]:
        """P(above the median) of each day at positions `labels` (n,) of `series`, made at its origin (the day
        before), and its Brier loss against the member's class in that day's cross-section: `classes`, the member's
        column of `panel_labels` (indexed by the origin's date: 1.0 when its return from the origin's close to the
        next day's beat the median of the members that had one), beside the training period's base rate of the
        classes (about one half by construction). Always above the median (P = 1), the direction target's always-up,
        is no baseline here: half the classes are 0 by construction, so its Brier is about 0.5 whatever the model.
        NaN where the day has no class (the member lacks the next day, fewer than 2 members have one). A
        `DataError` without `classes`: one member's prices do not hold its outcome."""
        if classes is None:
            raise DataError("the rank target's outcome is the panel's cross-section: score it with the panel's labels")
        p_up, base = self.day_chances(model, scaler, config, series, extra, labels)
        y = classes.reindex(series.index[labels - config.horizon]).to_numpy(dtype="float64")  # (n,) the classes
        return {"Brier": {"model": (p_up - y) ** 2, "base rate": (base - y) ** 2}}
