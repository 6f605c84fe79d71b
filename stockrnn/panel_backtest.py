"""Evaluate stage, walk-forward of a panel: a global model (or one model per member) re-fitted at each cut-off of the
common calendar, every member's one-step forecasts of the days after it scored, and the members pooled. No I/O.

Input: a `Panel` cut at the last day scored, a `TrainConfig`, the folds (`backtest.cutoffs` over the panel's
calendar) and, for the `market` feature, the market's closes by date. Output: `PanelBacktest`: every member's loss
on every scored day (long form: fold, date, symbol, score, method, loss), in the target's own units, which do not
depend on a member's price level (returns for the value targets, probabilities for the direction target:
`Target.day_losses`), so that the members can be averaged. The rank target's outcome is a member's class in the
day's cross-section (`Target.panel_labels` of the whole panel), not its own up or down.

Two sides, the same folds, the same cut-off days and the same losses:
- global: `panel_train.fit_panel` at each cut-off, one network for every member;
- local: `train.fit` of each member alone at each cut-off, with the same configuration (less the symbol embedding,
  which needs many members).

The pooled test (`pooled_test`): for each day, the cross-sectional mean over members of the loss differential
(model minus baseline, or one side's model minus the other's), then the Diebold-Mariano test (Diebold and Mariano
1995, with the HLN correction of significance.py) on that one daily series. The members' errors on one day are
correlated (the market moves them together), so their member-days are not independent observations; averaging
them first leaves one observation a day and the test's variance sees the correlation. The averaging is this tool's
choice; its null is the "overall" equal predictive ability of the panel tests of Akgun, Pirotte, Urga and Yang
(International Journal of Forecasting 40(1), 2024: equal on average over all units and over time), whose own
statistics and variance estimators are not implemented here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import targets
from .backtest import fold_starts
from .config import MEMBER_SCALING, TrainConfig
from .errors import DataError, StockRNNError
from .panel import Panel, Skipped
from .significance import Comparison, DMTest, diebold_mariano
from .windows import price_column

log = logging.getLogger("stockrnn")

GLOBAL, LOCAL = "global", "local"
WHO = {GLOBAL: "the global model", LOCAL: "the members' own models"}  # a side in a verdict's words
TEST = "Diebold-Mariano (HLN) on the daily cross-sectional mean of the members' loss differentials"
COLUMNS = ["fold", "date", "symbol", "score", "method", "loss"]

# progress(fold, folds, cutoff, what): called before each fold's training ("what": global, or a member's symbol)
PanelProgress = Callable[[int, int, str, str], None]


@dataclass(frozen=True)
class PanelFold:
    """One cut-off: the last training day, and the days scored after it (on the panel's common calendar)."""

    number: int
    cutoff: pd.Timestamp
    days: pd.DatetimeIndex

    def to_json(self) -> dict[str, Any]:
        return {"fold": self.number, "cutoff": f"{self.cutoff:%Y-%m-%d}", "start": f"{self.days[0]:%Y-%m-%d}",
                "end": f"{self.days[-1]:%Y-%m-%d}", "days": len(self.days)}  # fmt: skip


def panel_folds(panel: Panel, config: TrainConfig, folds: int, horizon: int, step: int) -> list[PanelFold]:
    """The folds over the panel's calendar (`backtest.cutoffs`: the last fold ends on its last day). A `UsageError`
    for folds, horizon or step below 1; a `DataError` when the first cut-off leaves too few training days."""
    calendar = panel.calendar
    starts = fold_starts(calendar, config, folds, horizon, step, "the panel:", "days of its calendar", "it has")
    return [PanelFold(n, calendar[s - 1], calendar[s : s + horizon]) for n, s in enumerate(starts, start=1)]


def member_losses(
    model: Any,
    scaler: dict,
    config: TrainConfig,
    symbol: str,
    frame: pd.DataFrame,
    where: str,
    days: pd.DatetimeIndex,
    fold: int,
    market: pd.Series | None = None,
    cutoff: pd.Timestamp | None = None,
    classes: pd.Series | None = None,
) -> pd.DataFrame:
    """One member's losses on those of `days` it trades (long form, `COLUMNS`), each day forecast from the actual
    prices up to its origin: `frame` is the member's price frame, `scaler` its scaler.json entry (with the
    covariates' scaler when the model reads them). Days too early for a window are left out, and so are days whose
    origin lies before the model's `cutoff` (a label more than one day ahead): the model has seen the prices after
    such an origin. `classes`: a cross-sectional target's outcomes for this member (its column of
    `Target.panel_labels` of the whole panel, indexed by origin date); None for the others."""
    from .features import FeatureScaler, covariates

    series = price_column(frame, config.column, where)
    extra = None
    if config.feature_names:
        table = covariates(frame, config.feature_names, market, where)  # day t's values read rows up to t only
        extra = FeatureScaler.from_json(scaler["features"]).transform(table)  # (days, k)
    labels = series.index.get_indexer(days[days.isin(series.index)])
    labels = labels[labels - config.horizon >= config.lookback - 1]  # a whole window before each origin
    if cutoff is not None:
        labels = labels[series.index[labels - config.horizon] >= cutoff]
    found = targets.get(config.target).day_losses(model, scaler, config, series, extra, labels, classes)
    dates = series.index[labels]
    parts = [
        pd.DataFrame({"fold": fold, "date": dates, "symbol": symbol, "score": score, "method": method, "loss": loss})
        for score, methods in found.items()
        for method, loss in methods.items()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


@dataclass(frozen=True)
class PooledScore:
    """One score of one method over every member-day, and its pooled test against the model where it is a
    baseline (None for the model's own row)."""

    score: str
    method: str
    value: float | None
    member_days: int
    test: DMTest | None = None

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "method": self.method, "value": _round(self.value),
                "member_days": self.member_days, **({"test": self.test.to_dict()} if self.test else {})}  # fmt: skip


def pooled_test(model: pd.DataFrame, other: pd.DataFrame, horizon: int = 1) -> DMTest:
    """The pooled test of two forecasts' losses, each (days, members) (the same labels; NaN: no forecast): each
    day's mean over the members that both forecast of model - other, then the DM test of that daily series
    (`horizon` - 1 lags: overlapping labels). A negative statistic: `model`'s losses are lower."""
    other = other.reindex(index=model.index, columns=model.columns)
    daily = (model - other).mean(axis=1, skipna=True).dropna()  # (days,) cross-sectional mean differential
    return diebold_mariano(daily.to_numpy(), np.zeros(len(daily)), horizon, unit="day")


def wide(losses: pd.DataFrame, score: str, method: str) -> pd.DataFrame:
    """One method's losses of one score as (days, members); a day scored by two folds keeps their mean."""
    part = losses[(losses["score"] == score) & (losses["method"] == method)]
    return part.pivot_table(index="date", columns="symbol", values="loss", aggfunc="mean", dropna=False)


@dataclass(frozen=True)
class PanelBacktest:
    """A panel walk-forward's result: every member-day's losses (long form, `COLUMNS`), the folds, the members left
    out (and why), and what the report names. Pooled scores and tests are worked out from the losses."""

    config: TrainConfig
    side: str  # GLOBAL or LOCAL
    folds: list[PanelFold]
    losses: pd.DataFrame
    skipped: tuple[Skipped, ...] = ()
    epochs: tuple[int, ...] = ()  # epochs run by each training
    name: str | None = None  # the global model walked forward (backtest NAME); None for a panel given as files
    panel: str | None = None  # where the members came from: the folder or the watchlist

    @property
    def target(self) -> targets.Target:
        return targets.get(self.config.target)

    @property
    def exit_code(self) -> int:
        """1 when a member was left out (`skipped`; as `train --panel`: the rest were scored), else 0."""
        return 1 if self.skipped else 0

    @property
    def scores(self) -> list[str]:
        return list(dict.fromkeys(self.losses["score"]))

    def methods(self, score: str) -> list[str]:
        """The model first, then its baselines, for `score`."""
        return list(dict.fromkeys(self.losses.loc[self.losses["score"] == score, "method"]))

    def model_days(self, score: str) -> pd.DataFrame:
        """(days, members) of the model's losses of `score`."""
        return wide(self.losses, score, "model")

    def pooled(self) -> list[PooledScore]:
        """Every score of every method over the member-days the model forecast, and each baseline's pooled test
        (`pooled_test`: model minus baseline)."""
        found = []
        for score in self.scores:
            model = self.model_days(score)
            cells = model.notna()
            for method in self.methods(score):
                values = wide(self.losses, score, method).reindex_like(model).where(cells)
                mean = float(np.nanmean(values.to_numpy())) if cells.to_numpy().any() else None
                value = None if mean is None else self.target.pooled_score(score, mean)
                test = None if method == "model" else pooled_test(model, values, self.config.horizon).recorded()
                found.append(PooledScore(score, method, value, int(cells.to_numpy().sum()), test))
        return found

    def comparisons(self, window: str | None = None) -> list[Comparison]:
        """The model against each of its baselines, one `Comparison` per (score, baseline) of `pooled`, the target's
        own score and baseline first, over `window` (in words; default: the folds' days, first to last) and its
        member-days, e.g. "the folds' days 2016-11-01..2016-12-30, pooled: 126 member-days". A score whose model or
        baseline has no value is left out."""
        if window is None:
            days = pd.DatetimeIndex(self.losses["date"])
            window = f"the folds' days {days.min():%Y-%m-%d}..{days.max():%Y-%m-%d}, pooled"
        own: dict[str, PooledScore] = {}  # score -> the model's own row: what its baselines are compared with
        found = []
        for p in self.pooled():
            if p.test is None:
                own[p.score] = p
                continue
            model = own[p.score]
            if model.value is None or p.value is None:
                continue
            found.append(Comparison(p.method, f"{window}: {model.member_days} member-days", model.value, p.value,
                                    p.test, model=WHO[self.side], score=p.score))  # fmt: skip
        return found

    def per_member(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """Member -> score -> method -> its value over the member's days the model forecast."""
        found: dict[str, dict[str, dict[str, float | None]]] = {}
        for score in self.scores:
            model = self.model_days(score)
            for method in self.methods(score):
                values = wide(self.losses, score, method).reindex_like(model).where(model.notna())
                for symbol in model.columns:
                    column = values[symbol].dropna()
                    value = self.target.pooled_score(score, float(column.mean())) if len(column) else None
                    found.setdefault(symbol, {}).setdefault(score, {})[method] = _round(value)
        return found

    def to_json(self) -> dict[str, Any]:
        days = self.losses["date"]
        return {
            "symbol": self.name, "panel": self.panel, "side": self.side, "target": self.config.target, "test": TEST,
            "folds": [f.to_json() for f in self.folds], "epochs": list(self.epochs),
            "members": int(self.losses["symbol"].nunique()), "days": int(days.nunique()),
            "pooled": [p.to_json() for p in self.pooled()], "per_member": self.per_member(),
            "verdicts": [c.to_dict() for c in self.comparisons()],
            "left_out": [{"symbol": s.symbol, "where": s.where, "why": s.why} for s in self.skipped],
        }  # fmt: skip

    def render(self) -> list[Any]:
        """Printable items: the folds in one line, the pooled scores and tests (a rich table), the members counted
        by their own score against each baseline, and what the test is."""
        from rich.table import Table

        from .formatting import fmt

        folds = ", ".join(f"{f.cutoff:%Y-%m-%d} (+{len(f.days)} days)" for f in self.folds)
        members, days = self.losses["symbol"].nunique(), self.losses["date"].nunique()
        who = "one global model" if self.side == GLOBAL else "one model per member"
        what = self.name or self.panel or "the panel"
        items: list[Any] = [f"{what}: {who}, {self.config.target} target; {members} members, {days} days scored after "
                            f"the cut-offs {folds}"]  # fmt: skip
        table = Table(title="Pooled over members, one step ahead", title_style="bold")
        # short headers, so that the method's name stays whole at 80 columns ("test:" below says what DM is)
        for column in ("score", "method", "value", "member-days", "DM", "p", "days"):
            table.add_column(column, justify="left" if column in ("score", "method") else "right", overflow="fold")
        for p in self.pooled():
            test = p.test
            tested = (
                ["", "", ""] if test is None else [fmt(test.statistic, ".3f"), fmt(test.p_value, ".3f"), str(test.n)]
            )
            table.add_row(p.score, p.method, fmt(p.value, ".5g"), str(p.member_days), *tested)
        items.append(table)
        per = self.per_member()
        members_table = Table(title="Per member", title_style="bold")
        columns = [(score, method) for score in self.scores for method in self.methods(score)]
        members_table.add_column("member", overflow="fold")
        for score, method in columns:
            members_table.add_column(f"{score}: {method}", justify="right", overflow="fold")
        for symbol, scores in per.items():
            members_table.add_row(symbol, *(fmt(scores.get(score, {}).get(method), ".5g") for score, method in columns))
        items.append(members_table)
        for score in self.scores:
            for method in self.methods(score)[1:]:
                pairs = [(s[score]["model"], s[score][method]) for s in per.values() if score in s]
                lower = sum(1 for a, b in pairs if a is not None and b is not None and a < b)
                items.append(f"{score}: the model lower than {method} on {lower} of {len(pairs)} members")
        items.append(f"test (DM): {TEST} (a negative statistic: the model's losses are lower)")
        items += [c.line() for c in self.comparisons()]
        items += [f"left out: {s.line()}" for s in self.skipped]
        return items


def _round(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def versus(one: PanelBacktest, other: PanelBacktest, score: str) -> DMTest:
    """The pooled test of `one`'s model against `other`'s on the member-days both forecast (e.g. global against
    local): a negative statistic, `one`'s losses are lower."""
    return pooled_test(one.model_days(score), other.model_days(score), one.config.horizon).recorded()


def walk_forward(
    panel: Panel,
    config: TrainConfig,
    folds: int,
    horizon: int,
    step: int,
    market: pd.Series | None = None,
    side: str = GLOBAL,
    progress: PanelProgress | None = None,
) -> PanelBacktest:
    """Walk forward over `panel` (cut at the last day scored): at each fold's cut-off train the global model
    (`side` GLOBAL) or each member's own (LOCAL), then score every member's one-step forecasts of the fold's days.
    A member that cannot train at a cut-off is left out of that fold (said in `skipped`). Raises `DataError` when
    the first cut-off leaves too few days, or no member can train."""
    from .panel_train import Member, fit_panel
    from .train import fit

    chosen = panel_folds(panel, config, folds, horizon, step)
    # a cross-sectional target's outcomes (rank: above the day's median), from every member of the panel at once
    labelled = targets.get(config.target).panel_labels(panel, config)
    frames, skipped, epochs = [], list(panel.skipped), []
    for fold in chosen:
        cut = dataclasses.replace(config, train_end=f"{fold.cutoff:%Y-%m-%d}")
        if side == GLOBAL:
            if progress is not None:
                progress(fold.number, len(chosen), f"{fold.cutoff:%Y-%m-%d}", GLOBAL)
            fitted = fit_panel(panel, cut, market)
            epochs.append(fitted.manifest.training.epochs_run)
            skipped += [
                dataclasses.replace(s, why=f"fold {fold.number}: {s.why}")
                for s in fitted.skipped
                if s not in panel.skipped
            ]  # a file that cannot be read: said once, not once a fold
            records = (fitted.manifest.data.panel or {})["members"]
            for symbol, scaler in fitted.scaler["members"].items():
                index = records[symbol]["index"] if config.symbol_embedding else None
                prices = panel.members[symbol]
                frames.append(member_losses(Member(fitted.model, index), scaler, cut, symbol, prices.frame,
                                            prices.source, fold.days, fold.number, market, fold.cutoff,
                                            None if labelled is None else labelled[symbol]))  # fmt: skip
            continue
        # a member alone has no embedding to learn, nor other members to pool its scaler with
        alone = dataclasses.replace(cut, symbol_embedding=False, scaling=MEMBER_SCALING)
        for symbol, prices in panel.members.items():
            if progress is not None:
                progress(fold.number, len(chosen), f"{fold.cutoff:%Y-%m-%d}", symbol)
            try:
                model, scaler, manifest = fit(prices, alone, market=market)
            except StockRNNError as exc:
                skipped.append(Skipped(symbol, prices.source, f"fold {fold.number}: {exc}"))
                continue
            epochs.append(manifest.training.epochs_run)
            frames.append(member_losses(Member(model), scaler, alone, symbol, prices.frame, prices.source,
                                        fold.days, fold.number, market, fold.cutoff,
                                        None if labelled is None else labelled[symbol]))  # fmt: skip
    if not frames:
        raise DataError("no member of the panel could train at any cut-off: " + "; ".join(s.line() for s in skipped))
    losses = pd.concat(frames, ignore_index=True)
    return PanelBacktest(config, side, chosen, losses, tuple(skipped), tuple(epochs))
