"""Evaluate stage: is the model's edge over a baseline real, or noise? Every verdict of stockrnn comes from here.

Input: the actual prices and two sets of predictions of them (the model's and a baseline's), day by day.
Output: a `Comparison`: both RMSEs, the Diebold-Mariano test of equal predictive accuracy on the daily squared-error
differences with the Harvey-Leybourne-Newbold small-sample correction, and the verdict in words. Why this test and
not a bootstrap: docs/significance.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .metrics import rounded

if TYPE_CHECKING:
    from .metrics import Scores

TEST = "Diebold-Mariano (HLN)"
UNTESTED = "untested"  # the outcome when no test ran (too few days), or the test could not decide
ALPHA = 0.05  # a difference is called significant when the two-sided p-value is below this


@dataclass(frozen=True)
class DMTest:
    """The Diebold-Mariano test of equal mean squared error; `p_value` None when the data cannot decide it."""

    statistic: float | None
    p_value: float | None
    n: int  # observations compared: days, or (track.py) whole forecasts
    lags: int  # autocovariance lags of the long-run variance: h - 1 for h-step-ahead forecasts
    reason: str | None = None  # why there is no p-value
    unit: str = "day"  # what one observation is

    @property
    def count(self) -> str:
        """The observations in words: "120 days", "1 forecast"."""
        return f"{self.n} {self.unit}{'s' * (self.n != 1)}"

    @property
    def untested(self) -> bool:
        """No test ran, or it could not decide: no p-value."""
        return self.p_value is None

    @property
    def why_untested(self) -> str | None:
        """Why no test ran, in plain words for the printed verdict (the technical `reason` stays in the JSON):
        "too few days (n=1)", "one 20-day forecast path is a single observation"; None when a test ran."""
        if not self.untested:
            return None
        if self.reason and self.reason.startswith("not tested when"):  # scores recorded before stockrnn tested them
            return self.reason
        if self.unit == "day" and self.n >= 2 and self.lags >= self.n - 1:  # every day from one origin: one path
            return f"one {self.n}-day forecast path is a single observation"
        return f"too few {self.unit}s (n={self.n})"

    def to_dict(self) -> dict[str, Any]:
        number = None if self.statistic is None else round(self.statistic, 4)
        p = None if self.p_value is None else round(self.p_value, 4)
        return {
            "test": TEST,
            "statistic": number,
            "p_value": p,
            "n": self.n,
            "lags": self.lags,
            "reason": self.reason,
            "unit": self.unit,
        }

    def recorded(self) -> DMTest:
        """The test as a report records it (`to_dict`: statistic and p-value to 4 decimals), so that a verdict
        worked out now reads as one worked out later from the record."""
        return DMTest.from_dict(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DMTest:
        if not data:  # scores recorded before stockrnn tested them
            return cls(None, None, 0, 0, "not tested when these scores were recorded")
        unit = data.get("unit", "day")
        return cls(data["statistic"], data["p_value"], data["n"], data["lags"], data.get("reason"), unit)


def diebold_mariano(loss_model: np.ndarray, loss_baseline: np.ndarray, h: int = 1, unit: str = "day") -> DMTest:
    """The HLN-corrected DM test on losses (n,) of two forecasts of the same days, `h` = the forecasts' steps ahead.

    d_t = loss_model - loss_baseline; DM = mean(d) / sqrt(V / n), V = gamma_0 + 2 * sum_{k=1}^{h-1} gamma_k with
    gamma_k the lag-k autocovariance of d (divided by n); HLN: DM * sqrt((n + 1 - 2h + h(h - 1) / n) / n), against
    Student's t with n - 1 degrees of freedom, two-sided (Harvey, Leybourne & Newbold 1997, eq. 9)."""
    from scipy.special import stdtr  # Student's t CDF; scipy.stats' import is a second of a command's start

    d = np.asarray(loss_model, dtype="float64") - np.asarray(loss_baseline, dtype="float64")
    d = d[np.isfinite(d)]
    n, lags = len(d), max(0, h - 1)
    if n < 2:
        return DMTest(None, None, n, lags, f"{n} {unit}{'s' * (n != 1)}: too few to test", unit)
    if np.all(d == 0):
        return DMTest(0.0, 1.0, n, lags, None, unit)  # the same losses every day: no difference at all
    if np.all(d == d[0]):  # one forecast better by the same amount every day: no doubt left, and no variance
        return DMTest(None, 0.0, n, lags, f"the loss difference is the same every {unit}", unit)
    deviation = d - d.mean()
    gamma = [float(np.dot(deviation[k:], deviation[: n - k])) / n for k in range(min(lags, n - 1) + 1)]
    variance = gamma[0] + 2 * sum(gamma[1:])
    correction = (n + 1 - 2 * h + h * (h - 1) / n) / n
    if correction <= 0 and n <= h and unit == "day":
        return DMTest(None, None, n, lags, f"one {n}-day forecast path is a single observation: too few to test", unit)
    if correction <= 0:
        why = f"{n} {unit}s with {h - 1} lag{'s' * (h != 2)} are too few to test (HLN needs n > 2h - 1)"
        if unit == "day":
            why = f"{n} days of {h}-step forecasts are too few to test (HLN needs n > 2h - 1)"
        return DMTest(None, None, n, lags, why, unit)
    if variance <= 0:
        why = f"the loss differences' long-run variance is not positive: too few {unit}s"
        return DMTest(None, None, n, lags, why, unit)
    statistic = float(d.mean() / math.sqrt(variance / n) * math.sqrt(correction))
    return DMTest(statistic, float(2 * stdtr(n - 1, -abs(statistic))), n, lags, None, unit)


@dataclass(frozen=True)
class Comparison:
    """The model against one baseline on one window: the numbers and the words of a verdict."""

    baseline: str  # in words: "persistence", "the naive forecast", "the champion"
    window: str  # in words: "2017-01-03..2017-01-31, one step ahead"
    model_rmse: float
    baseline_rmse: float
    test: DMTest
    model: str = "the model"
    score: str = "RMSE"  # what model_rmse and baseline_rmse measure (lower is better): RMSE, Brier, error rate
    note: str | None = None  # said after the numbers, e.g. the baseline that did best: "best baseline: drift, ..."
    # Said before the verdict when the days compared were (partly) in the model's training data: "in-sample",
    # "partly in-sample: 8 of 20 days". Such a verdict is not evidence of skill.
    in_sample: str | None = None

    @property
    def significant(self) -> bool:
        return self.test.p_value is not None and self.test.p_value < ALPHA

    @property
    def change(self) -> float | None:
        """1 - RMSE_model / RMSE_baseline: above 0 the model's error is smaller."""
        return None if self.baseline_rmse == 0 else 1 - self.model_rmse / self.baseline_rmse

    @property
    def outcome(self) -> str:
        """ "beat", "lost" (both significant), "no significant difference" (tested), "untested" (no test ran, or it
        could not decide: too few days) or "no error to beat"."""
        if self.change is None:
            return "no error to beat"
        if self.test.untested:
            return UNTESTED
        if not self.significant or self.change == 0:
            return "no significant difference"
        return "beat" if self.change > 0 else "lost"

    def line(self) -> str:
        """The verdict in one line, "verdict: ..."; an in-sample one says so first."""
        return self._lead() + self._verdict()

    def summary(self) -> str:
        """The verdict in a few words, for a line that says more: "no significant difference from persistence
        (DM p = 0.40, 120 days)", "BEAT persistence by 3% (DM p = 0.01, 120 days)", "not tested against
        persistence: too few days (n=1)"."""
        t, outcome = self.test, self.outcome
        evidence = f"DM p = {t.p_value:.2f}, {t.count}" if t.p_value is not None else t.count
        if outcome == "no error to beat":
            return f"nothing to beat: {self.baseline} made no error"
        if outcome == UNTESTED:
            return f"not tested against {self.baseline}: {t.why_untested}"
        if outcome == "beat":
            return f"BEAT {self.baseline} by {self._percent()} ({evidence})"
        if outcome == "lost":
            return f"LOST to {self.baseline}, {self._percent()} worse ({evidence})"
        return f"no significant difference from {self.baseline} ({evidence})"

    def _lead(self) -> str:
        if self.in_sample is None:
            return "verdict: "
        return f"verdict ({self.in_sample}, not evidence): "

    def _percent(self) -> str:
        return f"{abs(self.change or 0.0):.0%}"

    def _verdict(self) -> str:
        rmse = f"{self.score} {self.model_rmse:.4g} vs {self.baseline_rmse:.4g}"
        if self.change is None:
            return f"{self.baseline} made no error on {self.window}; nothing to beat"
        t = self.test
        evidence = t.count if t.p_value is None else f"DM p = {t.p_value:.2f}, {t.count}"
        note = f"; {self.note}" if self.note else ""
        if self.outcome == "beat":
            return (
                f"{self.model} BEAT {self.baseline} by {self.change:.0%} on {self.window}, significant at "
                f"{ALPHA:.0%} ({evidence}; {rmse}{note})"
            )
        if self.outcome == "lost":
            return (
                f"{self.model} LOST to {self.baseline}, {-self.change:.0%} worse on {self.window}, "
                f"significant at {ALPHA:.0%} ({evidence}; {rmse}{note})"
            )
        lead = f"{abs(self.change):.0%} {'better' if self.change > 0 else 'worse'}"
        if round(self.change, 2) == 0:
            lead = "less than 0.5% apart"
        if self.outcome == UNTESTED:
            return (
                f"not tested ({t.why_untested}): {self.model} against {self.baseline} on {self.window} "
                f"({rmse}, {lead}, not a tested difference{note})"
            )
        return (
            f"no significant difference between {self.model} and {self.baseline} on {self.window} "
            f"({evidence}; {rmse}, {lead}{note})"
        )

    @classmethod
    def from_scores(cls, model: Scores, baseline: Scores, baseline_name: str, window: str) -> Comparison:
        """From scores (metrics.Scores): the model's RMSE and test (metrics.one_step_report), the baseline's RMSE;
        scores recorded before stockrnn tested them say so."""
        assert model.rmse is not None and baseline.rmse is not None  # price scores: they have errors
        return cls(baseline_name, window, model.rmse, baseline.rmse, model.test or DMTest.from_dict(None))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "baseline": self.baseline,
            "window": self.window,
            "score": self.score,
            "model_rmse": rounded(self.model_rmse, 6),
            "baseline_rmse": rounded(self.baseline_rmse, 6),
            "change": None if self.change is None else round(self.change, 4),
            "outcome": self.outcome,
            "significant": self.significant,
            "alpha": ALPHA,
            **self.test.to_dict(),
            **({"note": self.note} if self.note else {}),
            **({"in_sample": self.in_sample} if self.in_sample else {}),
            "verdict": self.line(),
        }


def squared_error_test(actual: np.ndarray, model: np.ndarray, baseline: np.ndarray, h: int = 1) -> DMTest:
    """The DM test of two forecasts (n,) of the same `actual` days by squared error; days with a gap are left out."""
    actual, model, baseline = _finite(actual, model, baseline)
    return diebold_mariano((model - actual) ** 2, (baseline - actual) ** 2, h)


def compare(
    actual: np.ndarray,
    model: np.ndarray,
    baseline: np.ndarray,
    baseline_name: str,
    window: str,
    h: int = 1,
    model_name: str = "the model",
    score: str = "RMSE",
) -> Comparison:
    """The model's predictions (n,) against the baseline's, of the same `actual` days, by squared error: their RMSE,
    or with `score` "Brier" (probabilities of outcomes 0 / 1) their mean squared error, the Brier score."""
    actual, model, baseline = _finite(actual, model, baseline)
    mean = (lambda e: float(np.mean(e))) if score == "Brier" else (lambda e: float(np.sqrt(np.mean(e))))
    return Comparison(
        baseline=baseline_name,
        window=window,
        model_rmse=mean((model - actual) ** 2) if len(actual) else math.nan,
        baseline_rmse=mean((baseline - actual) ** 2) if len(actual) else math.nan,
        test=squared_error_test(actual, model, baseline, h),
        model=model_name,
        score=score,
    )


def _finite(*arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays as floats, on the days where every one has a value."""
    floats = [np.asarray(a, dtype="float64") for a in arrays]
    keep = np.logical_and.reduce([np.isfinite(a) for a in floats])
    return [a[keep] for a in floats]


def forecast_comparison(
    table: Any, baseline: str, window: str, lags: int, model: str = "the recorded forecasts"
) -> Comparison:
    """The DM test on one observation per recorded forecast (its mean squared error minus the baseline's), in the
    order of their origins; `table` (a pandas frame) has one row per scored step with columns n (the forecast),
    actual, forecast and origin (the baseline's prediction: the origin's price); `lags`: see `overlapping`."""
    import pandas as pd

    error = (table["forecast"] - table["actual"]) ** 2
    base = (table["origin"] - table["actual"]) ** 2
    per_forecast = pd.DataFrame({"n": table["n"], "model": error, "base": base}).groupby("n").mean()
    means = per_forecast["model"].to_numpy(), per_forecast["base"].to_numpy()
    return Comparison(
        baseline=baseline,
        window=window,
        model_rmse=float(np.sqrt(error.mean())),
        baseline_rmse=float(np.sqrt(base.mean())),
        test=diebold_mariano(*means, h=lags + 1, unit="forecast"),
        model=model,
    )


def overlapping(table: Any) -> int:
    """The most later forecasts that start before one forecast's last scored day: the lags their correlation needs
    (`table` as in `forecast_comparison`, with a date column)."""
    spans = table.groupby("n").agg(first=("date", "min"), last=("date", "max")).sort_index()
    firsts, lasts = spans["first"].to_numpy(), spans["last"].to_numpy()
    return max((int(np.sum(firsts[i + 1 :] <= lasts[i])) for i in range(len(spans))), default=0)
