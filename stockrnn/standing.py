"""Standing stage: what stands behind one forecast, in one line and in its JSON.

Input: the manifest of the model that made a forecast, the days the forecast scored (those with a known actual
outcome), the prices it knew up to its origin, whether it reaches past the data's last day, the data's last day and
today's date. Output: a `Standing`:
- where the scored days lie: "in-sample" (all inside the model's training period, its validation tail included:
  the model fitted, or early-stopped on, these very days, so its scores there are not evidence), "partly in-sample",
  "out-of-sample", or "future" (nothing to score yet);
- the evidence to judge it by: the model version and target, its training period, the last price the forecast knew
  and its change from the day before, the model's own validation verdict from its manifest (backtests are not
  stored, so there is no backtest verdict to add);
- the staleness of a forecast past the data: the trading days between the data's last day and today, and a warning
  when they are more than STALE_AFTER (a broken nightly download forecasts a "tomorrow" long past).

Every target's result carries it the same way (targets/: its JSON, table and plot), so nothing here asks which kind
of target made the forecast. Today's date is an argument: the application layer passes the clock's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .calendar import sessions_since

if TYPE_CHECKING:
    from .manifest import Manifest
    from .significance import Comparison

STALE_AFTER = 5  # trading days the data may end before today before a forecast past it is called stale
IN_SAMPLE, PARTLY, OUT_OF_SAMPLE, FUTURE = "in-sample", "partly in-sample", "out-of-sample", "future"


@dataclass(frozen=True)
class Standing:
    """Where a forecast's days lie beside its model's training period, and the evidence behind the model."""

    sample: str  # IN_SAMPLE, PARTLY, OUT_OF_SAMPLE or FUTURE
    scored_days: int  # days with a known actual outcome
    in_sample_days: int  # of them, inside the training period (train_start..train_end, the validation tail included)
    in_sample_span: tuple[pd.Timestamp, pd.Timestamp] | None  # the first and last such day
    version: str  # the model's, "v3"
    target: str  # its target's name
    train_start: str  # ISO dates: the days training used; the validation tail is their last part
    train_end: str
    val_start: str
    val_end: str
    column: str  # the price column forecast
    last_day: str  # the last day whose price the forecast knew (its origin)
    last_price: float
    change: float | None  # of that price from the day before, a fraction; None without a day before
    validation: Comparison | None  # the model's validation verdict (its manifest); None when none is recorded
    data_last_day: str  # the data's last day
    today: str | None  # the day staleness is measured to; None: the forecast does not reach past the data
    behind: int | None  # trading days from the data's last day to today; None as `today`
    # A global model's forecast of a symbol outside its training panel: no verdict of its own, the members' pooled one
    outside: bool = False

    @property
    def in_sample(self) -> bool:
        """Some scored days lie inside the training period: their scores are not evidence."""
        return self.in_sample_days > 0

    @property
    def label(self) -> str | None:
        """What a verdict or a title says first when some scored days are in-sample; None otherwise."""
        if self.sample == IN_SAMPLE:
            return IN_SAMPLE
        if self.sample == PARTLY:
            return f"{PARTLY}: {self.in_sample_days} of {self.scored_days} days"
        return None

    @property
    def stale(self) -> bool:
        return self.behind is not None and self.behind > STALE_AFTER

    def note(self) -> str | None:
        """The in-sample line printed under the verdicts; None when no scored day is in-sample."""
        if not self.in_sample or self.in_sample_span is None:
            return None
        first, last = self.in_sample_span
        days = f"{IN_SAMPLE}: these days were" if self.sample == IN_SAMPLE else (
            f"{PARTLY}: {self.in_sample_days} of these {self.scored_days} days ({first:%Y-%m-%d}..{last:%Y-%m-%d}) were"
        )  # fmt: skip
        return (
            f"{days} in the model's training data ({self.train_start}..{self.train_end}, its validation tail from "
            f"{self.val_start}); not evidence: score a model on days after {self.train_end}"
        )

    def line(self) -> str:
        """The evidence in one line: the model, its training period, the last price and its change, its validation
        verdict."""
        change = "" if self.change is None else f", {self.change:+.2%} on the day before"
        verdict = "no validation verdict recorded" if self.validation is None else self.validation.summary()
        judged = f"its validation tail {self.val_start}..{self.val_end}: {verdict}"
        if self.outside:
            judged = (f"outside the training panel, so no validation verdict of its own (the members' pooled verdict "
                      f"on their validation days {self.val_start}..{self.val_end}: stockrnn models "
                      f"{self.version.split(':')[0]})")  # fmt: skip
        return (
            f"evidence: model {self.version} ({self.target} target), trained on {self.train_start}..{self.train_end}; "
            f"last {self.column} {self.last_price:.6g} on {self.last_day}{change}; {judged}"
        )

    def warning(self) -> str | None:
        """The staleness warning of a forecast past data that ends long before today; None when fresh."""
        if not self.stale:
            return None
        return (
            f"warning: stale data: the prices end on {self.data_last_day}, {self.behind} trading days before today "
            f"({self.today}); the days forecast after them have passed: update the prices (stockrnn fetch, or a newer "
            "file) and forecast again"
        )

    def lines(self) -> list[str]:
        """What is printed under a forecast: the in-sample note, the evidence line, the staleness warning."""
        return [line for line in (self.note(), self.line(), self.warning()) if line]

    def relabel(self, comparisons: list[Comparison]) -> list[Comparison]:
        """The verdicts, each saying first that it is in-sample where it is."""
        import dataclasses

        label = self.label
        return comparisons if label is None else [dataclasses.replace(c, in_sample=label) for c in comparisons]

    def to_json(self) -> dict[str, Any]:
        """The top-level fields of a forecast's JSON: "sample", "in_sample_days" and "evidence"."""
        span = self.in_sample_span
        return {
            "sample": self.sample,
            "in_sample_days": self.in_sample_days,
            "evidence": {
                "model_version": self.version,
                "target": self.target,
                "train_start": self.train_start,
                "train_end": self.train_end,
                "validation_start": self.val_start,
                "in_sample": None if span is None else {"first": f"{span[0]:%Y-%m-%d}", "last": f"{span[1]:%Y-%m-%d}"},
                "last_day": self.last_day,
                "last_price": round(self.last_price, 6),
                "change_percent": None if self.change is None else round(100 * self.change, 4),
                "validation": None if self.validation is None else self.validation.to_dict(),
                "outside_the_panel": self.outside,
                "backtest": None,  # backtests are not stored: there is no recorded backtest verdict
                "data_last_day": self.data_last_day,
                "today": self.today,
                "trading_days_behind": self.behind,
                "stale": self.stale,
                "line": self.line(),
                "warning": self.warning(),
            },
        }


def standing(
    manifest: Manifest,
    scored: pd.DatetimeIndex,
    history: pd.Series,
    past_the_data: bool,
    data_last_day: pd.Timestamp,
    today: pd.Timestamp,
) -> Standing:
    """What stands behind a forecast of `manifest`'s model: `scored` the days it scored (a known outcome),
    `history` the prices it knew (index: date, its last the origin), `past_the_data` whether it forecasts days after
    `data_last_day`; staleness is measured to `today` on the model's exchange calendar."""
    data, config = manifest.data, manifest.config
    start, end = pd.Timestamp(data.train_start), pd.Timestamp(data.train_end)
    inside = scored[(scored >= start) & (scored <= end)]
    if not len(scored):
        sample = FUTURE
    elif len(inside) == len(scored):
        sample = IN_SAMPLE
    else:
        sample = PARTLY if len(inside) else OUT_OF_SAMPLE
    last = float(history.iloc[-1])
    before = float(history.iloc[-2]) if len(history) > 1 else None
    behind = sessions_since(data_last_day, today, config.calendar) if past_the_data else None
    return Standing(
        sample=sample,
        scored_days=len(scored),
        in_sample_days=len(inside),
        in_sample_span=(inside[0], inside[-1]) if len(inside) else None,
        version=manifest.version,
        target=config.target,
        train_start=data.train_start,
        train_end=data.train_end,
        val_start=manifest.training.val_start,
        val_end=manifest.training.val_end,
        column=config.column,
        last_day=f"{history.index[-1]:%Y-%m-%d}",
        last_price=last,
        change=None if not before else last / before - 1,
        validation=validation(manifest),
        data_last_day=f"{data_last_day:%Y-%m-%d}",
        today=f"{today:%Y-%m-%d}" if past_the_data else None,
        behind=behind,
        outside=data.kind == "panel" and not manifest.metrics,  # panel_forecast.outside_manifest: no member's scores
    )


def validation(manifest: Manifest) -> Comparison | None:
    """The model's validation verdict against its target's baseline, from its manifest; None when the manifest
    holds no scores to judge (an old or damaged one)."""
    from .targets import get

    t, config = manifest.training, manifest.config
    try:
        window = f"its validation tail {t.val_start}..{t.val_end}"
        found = get(config.target).comparisons(manifest.metrics, window, config)
    except (KeyError, TypeError, AttributeError, AssertionError):
        return None
    return found[0] if found else None
