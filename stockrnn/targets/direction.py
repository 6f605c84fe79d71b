"""The direction target: P(the price is higher H trading days later), a sequence classifier's calibrated output.

The windows are the return target's (scaled daily log returns); the label is 1 when the returns of the next
`horizon` days sum above 0, that is when the price then is above the window's last price. A sigmoid output, binary
cross-entropy; its probabilities are calibrated (Platt, anchored at the base rate) and scored by trend.py beside
the base rate and always-up.

Input: a direction model, its scaler and calibrator (plain JSON), its config and the prices. Output:
`DirectionForecast`: for each requested date d, the probability made at its origin (the trading day H days before d,
whose window of returns ends there) that the price on d is above the origin's, beside the base rate; and, where the
price on d is known, the outcome and the scores. A real forecast, after the data's last day, has H dates: the
origins of later dates are days not yet known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import backend, trend
from ..baselines import AlwaysUp
from ..errors import DataError
from ..formatting import fmt
from ..metrics import ALWAYS_UP, rounded
from ..significance import Comparison, compare
from .base import Forecasting, Step, Target
from .scaling import Scaler, scale, scaler_from_dict
from .value import ReturnEncoding

if TYPE_CHECKING:
    from ..config import TrainConfig


@dataclass(frozen=True)
class DirectionForecast:
    symbol: str
    version: str
    column: str
    horizon: int  # trading days between an origin and its date
    origin: pd.Timestamp  # the last day whose price the forecast knew
    base_rate: float  # the training period's share of rises over `horizon` days
    rows: pd.DataFrame  # index: date; columns origin, origin_price, p_up, actual, outcome (NaN where unknown)
    metrics: dict[str, dict]  # trend.report on the dates whose price is known; empty otherwise
    history: pd.Series  # prices up to and including `origin`, for plots
    target: str = "direction"
    level: float | None = None  # no prediction interval: the probability is its own statement of uncertainty
    figure_size = (11, 6.5)  # inches: the prices above, the probabilities below

    def comparisons(self) -> list[Comparison]:
        if not self.metrics:
            return []
        known = self.rows.index[self.rows["outcome"].notna()]
        return trend.comparisons(self.metrics, f"{known[0]:%Y-%m-%d}..{known[-1]:%Y-%m-%d}, {self.horizon} days ahead")

    def to_json(self) -> dict[str, Any]:
        comparisons = self.comparisons()
        return {
            "symbol": self.symbol,
            "model_version": self.version,
            "column": self.column,
            "target": self.target,
            "horizon_days": self.horizon,
            "origin": f"{self.origin:%Y-%m-%d}",
            "base_rate": round(self.base_rate, 4),
            "methods": trend.METHODS,
            "rows": [
                {
                    "date": f"{day:%Y-%m-%d}",
                    "origin": row["origin"],
                    "origin_price": rounded(row["origin_price"]),
                    "p_up": rounded(row["p_up"]),
                    "actual": rounded(row["actual"]),
                    "outcome": rounded(row["outcome"]),
                }
                for day, row in self.rows.iterrows()
            ],  # fmt: skip
            "metrics": self.metrics,
            "verdict": [c.line() for c in comparisons],
            "comparisons": [c.to_dict() for c in comparisons],
        }

    def steps(self) -> tuple[Step, ...]:
        """For the ledger: only the date whose origin is this forecast's is new (step H); the earlier dates'
        probabilities were made at earlier origins."""
        rows = self.rows[self.rows["origin"] == f"{self.origin:%Y-%m-%d}"]
        return tuple(
            Step(self.horizon, f"{day:%Y-%m-%d}", None, p_up=float(p)) for day, p in rows["p_up"].items()
        )  # fmt: skip

    def render(self) -> list[Any]:
        return forecast_view(self.to_json())

    def draw(self, figure: Any) -> None:
        draw_forecast(self, figure)

    def fold(self) -> dict[str, Any]:
        """The backtest's record: the scores and, day by day for the pooled scores, P(up), the outcome and the
        fold's base rate."""
        days = [{"date": f"{day:%Y-%m-%d}", "p_up": _round(row["p_up"]), "outcome": _round(row["outcome"]),
                 "base_rate": self.base_rate} for day, row in self.rows.iterrows()]  # fmt: skip
        return {"metrics": self.metrics, "days": days}


def _round(value: Any) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


@dataclass(frozen=True)
class DirectionTarget(ReturnEncoding, Target):
    def validate(self, config: TrainConfig, data: Any, outputs: np.ndarray) -> tuple[dict, dict | None, dict | None]:
        base_rate = float(np.concatenate([data.y_train, data.y_val]).mean())  # the training period's share of rises
        calibrator = {
            **trend.fit_platt(outputs, data.y_val, base_rate),
            "base_rate": base_rate,
            "horizon": config.horizon,
        }
        # Scored out of sample: each half of the tail calibrated by a fit on the other half.
        probabilities = trend.cross_fitted(outputs, data.y_val, base_rate)
        return trend.report(probabilities, data.y_val, base_rate, config.horizon), None, calibrator

    def comparisons(self, metrics: dict[str, dict], window: str, config: TrainConfig) -> list[Comparison]:
        return trend.comparisons(metrics, f"{window}, {config.horizon} days ahead")

    def labels(self, scaled: np.ndarray, values: np.ndarray, horizon: int) -> np.ndarray:
        ahead = np.concatenate([[0.0], np.cumsum(np.nan_to_num(np.asarray(values, dtype="float64")))])
        moves = ahead[horizon + 1 :] - ahead[1 : len(ahead) - horizon]  # log(p[o + horizon] / p[o]) for each o
        return (moves > 0).astype("float32")

    def scores_view(self, title: str, metrics: dict[str, dict]) -> list[Any]:
        return scores_view(title, metrics)

    def forecast(self, model: Any, scaler: Scaler | dict, config: TrainConfig, at: Forecasting) -> DirectionForecast:
        """P(up) for `at.dates`. A date's origin is the trading day `horizon` days before it; dates whose origin is
        after the data's last day are left out."""
        label, series, position = at.label, at.series, at.position
        stored = scaler if isinstance(scaler, dict) else {}
        calibrator = stored.get("calibrator")
        if not calibrator:
            raise DataError(f"{label[0]} {label[1]}: a direction model without its calibrator; retrain it")
        horizon, window = config.horizon, config.window
        values = series.to_numpy()
        at_ = np.arange(position, position + len(at.dates))  # the dates' positions in `series` (beyond: unknown)
        usable = at_ - horizon <= len(values) - 1
        where, dates = at_[usable], at.dates[usable]
        origins = where - horizon
        if len(origins) and origins[0] < window:
            raise DataError(
                f"{label[0]}: the first date {dates[0]:%Y-%m-%d} is {horizon} trading days after "
                f"{series.index[max(origins[0], 0)]:%Y-%m-%d}, which needs {window + 1} days of prices up to it"
            )
        scaled = scale(scaler_from_dict(stored), self.encode(values))  # (n,): NaN on the first day
        inputs = np.stack([scaled[o - window + 1 : o + 1] for o in origins]) if len(origins) else np.empty((0, window))
        raw = backend.predict(model, inputs[..., None])  # (n_origins,)
        p_up = trend.calibrated(calibrator, raw)
        actual = np.full(len(dates), np.nan)
        actual[where < len(values)] = values[where[where < len(values)]]
        origin_price = values[origins]
        outcome = np.where(np.isnan(actual), np.nan, (actual > origin_price).astype(float))
        rows = pd.DataFrame(
            {"origin": [f"{series.index[o]:%Y-%m-%d}" for o in origins], "origin_price": origin_price, "p_up": p_up,
             "actual": actual, "outcome": outcome},
            index=pd.DatetimeIndex(dates, name="date"),
        )  # fmt: skip
        known = rows["outcome"].notna().to_numpy()
        base_rate = float(calibrator["base_rate"])
        metrics = trend.report(p_up[known], outcome[known], base_rate, horizon) if known.any() else {}
        return DirectionForecast(
            symbol=label[0],
            version=label[1],
            column=config.column,
            horizon=horizon,
            origin=series.index[origins[-1] if len(origins) else position - 1],
            base_rate=base_rate,
            rows=rows,
            metrics=metrics,
            history=series.loc[: series.index[position - 1]],
            target=self.name,
        )

    def pool(self, folds: list[dict], config: TrainConfig, horizon: int, level: float) -> dict[str, Any]:
        """The probabilities of all folds' days together: their scores beside each fold's base rate and always-up,
        the DM tests (the model's horizon - 1 lags: the labels overlap) and the reliability of the probabilities."""
        horizon = config.horizon  # the labels' days ahead, not the backtest's days per fold
        days = [day for fold in folds for day in fold["days"]]
        p, y, base = (np.array([day[k] for day in days], dtype="float64") for k in ("p_up", "outcome", "base_rate"))
        metrics = trend.report(p, y, base, horizon)
        window = (
            f"{len(folds)} folds, {len(days)} days from {folds[0]['start']} to {folds[-1]['end']}, {horizon} days ahead"
        )
        comparisons = trend.comparisons(metrics, window)
        return {
            "days": len(days),
            "metrics": metrics,
            "comparisons": [c.to_dict() for c in comparisons],
            "reliability": trend.reliability(p, y),
        }

    def backtest_view(self, report: dict[str, Any]) -> list[Any]:
        return backtest_view(report)

    def draw_backtest(self, figure: Any, report: dict[str, Any]) -> None:
        draw_reliability(figure, report)

    def versus(self, challenger: Any, champion: Any) -> Comparison:
        """Probabilities by Brier score (horizon - 1 lags: their labels overlap)."""
        rows = challenger.rows
        known = rows["outcome"].notna()
        window = f"the holdout {rows.index[known][0]:%Y-%m-%d}..{rows.index[known][-1]:%Y-%m-%d}, P(up)"
        found = rows["outcome"][known], rows["p_up"][known], champion.rows["p_up"][known]
        return compare(*found, "the champion", window, challenger.horizon, "the challenger", score="Brier")

    def score_track(self, table: pd.DataFrame, span: str) -> tuple[int, dict[str, Any], list[Comparison]]:
        """The matured probabilities' Brier score, log loss and accuracy, beside always-up's accuracy; no test."""
        chances = table[table["p_up"].notna()]  # P(price above the origin's)
        if chances.empty:
            return 0, {}, []
        up = (chances["actual"] > chances["origin"]).to_numpy(dtype="float64")
        metrics = {
            trend.MODEL: {**trend.scores(chances["p_up"].to_numpy(), up), "days": len(up)},
            ALWAYS_UP: {"direction_accuracy": float(np.mean(AlwaysUp().predict(len(up)) == up))},
        }
        return len(chances), metrics, []

    def track_row(self, metrics: dict[str, dict], level: float | None, comparisons: list[Comparison]) -> list[str]:
        hits = f"{fmt(metrics['p_up']['accuracy'], '.0%')}\n{fmt(metrics[ALWAYS_UP]['direction_accuracy'], '.0%')}"
        return [f"Brier\n{metrics['p_up']['brier']:.3f}", "-", "-", hits, "-"]


# How the direction target's results look (rich and matplotlib imported when something is shown).


def scores_view(title: str, metrics: dict[str, dict]) -> list[Any]:
    """One row per method of a direction model's scores (trend.report), then what each method is."""
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for name in ("method", "Brier", "skill", "log loss", "accuracy", "DM p"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for name, m in metrics.items():
        table.add_row(
            name, fmt(m["brier"], ".4f"), fmt(m.get("brier_skill"), "+.3f"), fmt(m["log_loss"], ".4f"),
            fmt(m["accuracy"], ".0%"), fmt((m.get("test") or {}).get("p_value"), ".2f"),  # against the base rate
        )  # fmt: skip
    return [title, table, *(Text(f"  {name}: {trend.METHODS[name]}") for name in metrics)]


def forecast_view(data: dict[str, Any]) -> list[Any]:
    """Per date, P(price higher than on the day `horizon_days` before), then the scores where outcomes are known."""
    from rich.table import Table

    h = data["horizon_days"]
    table = Table(title=f"{data['symbol']} {data['column']}: P(higher than {h} trading days before) "
                        f"(model {data['model_version']})")  # fmt: skip
    for name in ("date", "from", "P(up)", "base rate", "actual", "outcome"):
        table.add_column(name, justify="left" if name in ("date", "from") else "right")
    for row in data["rows"]:
        outcome = {None: "", 1.0: "up", 0.0: "down"}[row["outcome"]]
        table.add_row(row["date"], row["origin"], f"{row['p_up']:.1%}", f"{data['base_rate']:.1%}",
                      "" if row["actual"] is None else f"{row['actual']:.2f}", outcome)  # fmt: skip
    if not data["metrics"]:
        return [table, f"no outcomes known for these days yet: a pure forecast (a date's P(up) is made {h} trading "
                       f"days before it, so a forecast after the last day reaches {h} days)"]  # fmt: skip
    return [table, *scores_view("Against the outcomes", data["metrics"]), *data["verdict"]]


def draw_forecast(forecast: DirectionForecast, figure: Any) -> None:
    """The price history and actual prices above, each date's P(up) below (green: the price did rise, red: it did
    not, grey: not known yet), beside the base rate."""
    from .value_views import HISTORY_DAYS

    rows, history = forecast.rows, forecast.history.iloc[-HISTORY_DAYS:]
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    top.plot(history.index, history.to_numpy(), color="0.35", lw=1.2, label=f"history ({forecast.column})")
    actual = rows["actual"].dropna()
    if len(actual):
        top.plot(actual.index, actual.to_numpy(), color="black", lw=1.8, marker=".", label="actual price")
    top.set_ylabel(forecast.column)
    top.legend(loc="upper left", fontsize=9)
    colors = ["0.6" if o != o else ("tab:green" if o == 1 else "tab:red") for o in rows["outcome"]]
    bottom.bar(rows.index, rows["p_up"], width=0.8, color=colors, alpha=0.8)
    bottom.axhline(forecast.base_rate, color="black", lw=1.0, ls="--", label=f"base rate {forecast.base_rate:.1%}")
    bottom.axhline(0.5, color="0.5", lw=0.6, ls=":")
    bottom.set_ylim(0, 1)
    bottom.set_ylabel(f"P(higher than\n{forecast.horizon} days before)")
    bottom.legend(loc="upper left", fontsize=9)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    figure.suptitle(f"{forecast.symbol}: P(up over {forecast.horizon} trading days), model {forecast.version}")
    if forecast.metrics:
        m = forecast.metrics
        top.set_title(f"Brier {m['p_up']['brier']:.4f} vs base rate {m['base_rate']['brier']:.4f}; accuracy "
                      f"{m['p_up']['accuracy']:.0%} vs always up {m['always_up']['accuracy']:.0%}",
                      fontsize=9, family="monospace")  # fmt: skip
    figure.autofmt_xdate()


def backtest_view(report: dict[str, Any]) -> list[Any]:
    """Per fold its Brier score beside the base rate's and accuracy beside always-up; the pooled scores, their
    reliability and the verdicts."""
    from rich.table import Table

    items: list[Any] = ["Per fold: Brier score of P(up) vs the base rate's, and accuracy vs always up"]
    table = Table("fold", "cut-off", "Brier", "base rate", "skill", "hits", "always up", "rises")
    for f in report["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]), f["cutoff"], fmt(m["p_up"]["brier"], ".4f"), fmt(m["base_rate"]["brier"], ".4f"),
            fmt(m["p_up"]["brier_skill"], "+.3f"), fmt(m["p_up"]["accuracy"], ".0%"),
            fmt(m["always_up"]["accuracy"], ".0%"), fmt(m["p_up"]["ups"], ".0%"),
        )  # fmt: skip
    items.append(table)
    s, pooled = report["summary"]["p_up"], report["pooled"]
    skill = s["brier_skill"]
    items.append(
        f"median (quartiles) across folds: Brier skill {fmt(skill['median'], '+.3f')} ({fmt(skill['q25'], '+.3f')} "
        f"to {fmt(skill['q75'], '+.3f')}); accuracy {fmt(s['accuracy']['median'], '.0%')}, always up "
        f"{fmt(report['summary']['always_up']['accuracy']['median'], '.0%')}"
    )
    bins = ", ".join(f"{b['predicted']:.2f} -> {b['observed']:.2f} ({b['count']})" for b in pooled["reliability"])
    items.append(
        f"reliability, pooled over {pooled['days']} days (mean P(up) -> observed share of rises (days)): {bins}"
    )
    return [*items, *report["verdict"]]


def draw_reliability(figure: Any, report: dict[str, Any]) -> None:
    """Predicted against observed frequency of a rise, pooled over the folds, with each bin's count; below, each
    fold's Brier skill against its base rate."""
    import textwrap

    top, bottom = figure.subplots(2, 1, height_ratios=[3, 2])
    bins = report["pooled"]["reliability"]
    top.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls="--", label="perfectly calibrated")
    top.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], "o-", color="tab:blue",
             label="model: observed share of rises per bin of P(up)")  # fmt: skip
    for b in bins:
        top.annotate(str(b["count"]), (b["predicted"], b["observed"]), textcoords="offset points", xytext=(4, 6),
                     fontsize=8)  # fmt: skip
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_xlabel("predicted P(up) (mean of the bin; the number: days in the bin)")
    top.set_ylabel("observed frequency of a rise")
    top.legend(loc="upper left", fontsize=9)
    folds = report["folds"]
    labels = [f["cutoff"] for f in folds]
    skills = [f["metrics"]["p_up"]["brier_skill"] or 0.0 for f in folds]
    bottom.bar(labels, skills, color=["tab:green" if s > 0 else "tab:red" for s in skills])
    bottom.axhline(0, color="black", lw=0.8)
    bottom.set_ylabel("Brier skill\nvs base rate")
    bottom.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    bottom.set_xlabel("cut-off (last training day)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    lines = [textwrap.fill(line.removeprefix("verdict: "), 150) for line in report["verdict"]]
    figure.suptitle("\n".join(lines), fontsize=8)
