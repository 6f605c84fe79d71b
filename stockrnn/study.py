"""Study stage: Fischer and Krauss's (2018) rolling study periods on a panel. No I/O.

Input: a `Panel` (panel.py), a `TrainConfig` with the rank target (targets/rank.py), a `StudySpec` (training days :
trading days, e.g. 750:250), the portfolio rules to trade (rules.PortfolioRule, one per fill) and optionally an
index's closes. Output: a `StudyReport`: for each period the global model trained on the training days before it
(panel_train.fit_panel, its validation tail the last `val_fraction` of them), its out-of-sample P(above median) for
every member and trading day, their Brier score and accuracy, and the long-short portfolio of each rule beside the
equal-weighted panel and the index (portfolio.trade); then all periods pooled (one portfolio over every period's
scores, the model changing at each period's start), and the pooled portfolios split by era (eras.py).
Several rules of different k trade the same scores: the network is trained once per period whatever the k.

No leakage by construction: the trading periods are consecutive and never overlap; a period's model is trained on
the `train_days` calendar days before its first trading day and no later one (fit_panel cuts the panel there, and
the rank labels of its last training day, which would need the first trading day's close, are NaN). A score made at
the close of day t reads the member's prices up to t only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import eras as eras_
from . import shapes, targets, trend
from .config import EPOCH, POOLED, RANGES, TrainConfig
from .crosssection import RANKED_ACCURACY, next_returns, rank_labels
from .errors import DataError, UsageError
from .panel import Panel, Skipped
from .panel_train import PanelFit, fit_panel, pooled
from .portfolio import PortfolioReport, trade
from .rules import PortfolioRule
from .targets import scale, scaler_from_dict

# Named network specifications (--spec): TrainConfig fields set before the options given, which override them.
SPECS: dict[str, dict[str, Any]] = {
    # Fischer and Krauss (2018), section 3.3: 240-day windows of one-day returns, one LSTM layer of 25 cells, dropout
    # 0.1, RMSprop, early stopping with patience 10 and at most 1000 epochs. Their returns are total returns (the
    # adjusted close here), and a fifth of the training windows is held out for early stopping. Their batch size is
    # not given here: stockrnn's (64) is kept. They count epochs: a validation check after every pass over all the
    # training windows, whatever stockrnn's default. Section 3.2: each return standardised by the mean and deviation
    # of all stocks' returns on the training days (--scaling pooled; runs before it scaled each member on its own).
    "fischer-krauss": {
        "target": "rank", "window": 240, "layers": 1, "units": 25, "dropout": 0.1, "optimizer": "rmsprop",
        "patience": 10, "epochs": 1000, "val_fraction": 0.2, "column": "adj_close", "validate_every": EPOCH,
        "scaling": POOLED,
    },
    # stockrnn's own training defaults (config.py) on the rank target: a check after each member's worth of windows.
    "stockrnn": {"target": "rank"},
}  # fmt: skip


def study_config(spec: str | None, given: dict[str, Any]) -> TrainConfig:
    """The config of a study: the named `spec`'s fields (SPECS; None: stockrnn's defaults), then the options
    `given` on top, the target rank unless given. A `UsageError` naming --spec for an unknown name."""
    if spec is not None and spec not in SPECS:
        raise UsageError(f"--spec must be one of {', '.join(SPECS)}, not {spec!r}")
    return TrainConfig(**{**SPECS[spec or "stockrnn"], **given})


SCALED = "scaled"  # --top-k scaled: k as the paper's 10 of about 500 constituents (scaled_k)
PAPER_K, PAPER_MEMBERS = 10, 500  # Fischer and Krauss: the top and bottom 10 of the S&P 500's about 500 members


def scaled_k(members: int) -> int:
    """k scaled to a panel of `members` as Fischer and Krauss's 10 of about 500: max(1, round(10 x members / 500))
    (61 members: 1)."""
    return max(1, round(PAPER_K * members / PAPER_MEMBERS))


@dataclass(frozen=True)
class Trading:
    """How a study's scores are traded: each k of `tops` (a number of names a side, or `SCALED`) under each fill
    of `fills`, long-only or long-short, at `cost_bps` a half-turn. The rules need the panel's size for a scaled
    k (`rules`)."""

    tops: tuple[int | str, ...] = (PAPER_K,)
    long_only: bool = False
    cost_bps: float = 5.0
    fills: tuple[str, ...] = ("close", "same-close")

    @classmethod
    def parse(cls, tops: list[str], long_only: bool, cost_bps: float, fills: tuple[str, ...]) -> Trading:
        """`--top-k` values as given (each a whole number or "scaled"; repeats dropped, the order kept); a
        `UsageError` naming --top-k and its range for anything else, and as `PortfolioRule.check` for the rest."""
        allowed, found = RANGES["top_k"], []
        for text in tops:
            word = str(text).strip().lower()
            value: int | str = SCALED if word == SCALED else int(word) if word.isdigit() else -1
            if value != SCALED and not allowed.holds(int(value)):
                raise UsageError(f"--top-k must be a whole number of names a side, {allowed} ({allowed.why}), or "
                                 f"{SCALED} (10 of 500 members, scaled to the panel), not {text!r}")  # fmt: skip
            if value not in found:
                found.append(value)
        made = cls(tuple(found) or (PAPER_K,), long_only, cost_bps, fills)
        made.rules(PAPER_MEMBERS)  # checked now, before minutes of reading and training
        return made

    def rules(self, members: int) -> list[PortfolioRule]:
        """The portfolio rules on a panel of `members`: for each k in order, each fill (checked: a `UsageError`);
        a k over members // 2 is traded as members // 2, once (`plan`)."""
        return self.plan(members)[0]

    def plan(self, members: int) -> tuple[list[PortfolioRule], list[str]]:
        """The rules on a panel of `members` and a note for each k it cannot trade as asked: a portfolio trades at
        most members // 2 names a side (portfolio.weights), so a larger k is traded as that (its rule names the k
        asked), and k's that come to the same are traded once."""
        most = max(1, members // 2)
        asked_for: dict[int, list[int]] = {}  # the k traded -> the k's asked that trade as it, in order
        for top in self.tops:
            one = scaled_k(members) if top == SCALED else int(top)
            same = asked_for.setdefault(min(one, most), [])
            if one not in same:
                same.append(one)
        found: list[PortfolioRule] = []
        notes: list[str] = []
        side = "long" if self.long_only else "a side"
        for k, asked in asked_for.items():
            over = tuple(a for a in asked if a > k)
            capped = over if over and k not in asked else ()
            found += [PortfolioRule(k, self.long_only, self.cost_bps, fill, capped, members if capped else None)
                      for fill in self.fills]  # fmt: skip
            listed = ", ".join(map(str, asked))
            if len(asked) > 1:
                notes.append(f"--top-k {listed} all trade k = {k} on {members} members (at most {most} names {side}): "
                             "traded once")  # fmt: skip
            elif over:
                notes.append(f"--top-k {listed}: {members} members allow at most {most} names {side}; trading k = {k}")
        for rule in found:
            rule.check()
        return found, notes


def by_k(rules: list[PortfolioRule], traded: list[PortfolioReport]) -> dict[int, dict[str, PortfolioReport]]:
    """The portfolios of `rules` (in order, one each in `traded`) grouped as k -> fill -> report."""
    found: dict[int, dict[str, PortfolioReport]] = {}
    for rule, report in zip(rules, traded, strict=True):
        found.setdefault(rule.top, {})[rule.fill] = report
    return found


def _by_k_json(portfolios: dict[int, dict[str, PortfolioReport]]) -> dict[str, Any]:
    """The first k's portfolios by fill (`portfolios`, as a study of one k has them) and the other k's (`other_k`:
    k -> fill -> portfolio)."""
    ks = list(portfolios)
    return {"top_k": ks, "portfolios": {fill: r.to_json() for fill, r in portfolios[ks[0]].items()},
            "other_k": {str(k): {fill: r.to_json() for fill, r in portfolios[k].items()} for k in ks[1:]}}  # fmt: skip


@dataclass(frozen=True)
class StudySpec:
    """`train_days` calendar days of training before each trading period of `trade_days` (Fischer and Krauss:
    750 and 250); `periods`: only the first so many (None: all); `first`: no trading period starts before it."""

    train_days: int = 750
    trade_days: int = 250
    periods: int | None = None
    first: pd.Timestamp | None = None

    @classmethod
    def parse(cls, text: str, periods: int | None = None, first: pd.Timestamp | None = None) -> StudySpec:
        """`750:250` -> StudySpec(750, 250); a `UsageError` naming --study for anything else."""
        parts = str(text).split(":")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise UsageError(f"--study must be TRAINING:TRADING trading days, e.g. 750:250, not {text!r}")
        train, trade_ = (int(p) for p in parts)
        if train < 1 or trade_ < 1:
            raise UsageError(f"--study needs at least 1 training and 1 trading day, not {text!r}")
        if periods is not None and periods < 1:
            raise UsageError(f"--periods must be 1 or more, not {periods}")
        return cls(train, trade_, periods, first)


@dataclass(frozen=True)
class Period:
    """One study period: its training days `train_start`..`train_end` and its trading days `trade_start`..
    `trade_end` (`trade_days` of them; the last period may be shorter), on the panel's calendar."""

    number: int  # from 1
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    trade_start: pd.Timestamp
    trade_end: pd.Timestamp
    trade_days: int

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "train_start": f"{self.train_start:%Y-%m-%d}",
                "train_end": f"{self.train_end:%Y-%m-%d}", "trade_start": f"{self.trade_start:%Y-%m-%d}",
                "trade_end": f"{self.trade_end:%Y-%m-%d}", "trade_days": self.trade_days}  # fmt: skip


def periods(calendar: pd.DatetimeIndex, spec: StudySpec) -> list[Period]:
    """The study periods on `calendar` (sorted trading days): consecutive, non-overlapping trading periods of
    `spec.trade_days` days, the first starting at the first day with `spec.train_days` days before it (and not
    before `spec.first`), each trained on the `spec.train_days` days just before it; the last one may be shorter
    (at least one day). A `DataError` when the calendar is too short for one period; a `UsageError` naming --first
    when `spec.first` is after the calendar's last day."""
    start = spec.train_days
    if spec.first is not None and len(calendar) and spec.first > calendar[-1]:
        raise UsageError(f"--first {spec.first:%Y-%m-%d} is after the panel's last day {calendar[-1]:%Y-%m-%d}")
    if spec.first is not None:
        start = max(start, int(calendar.searchsorted(spec.first)))
    if start >= len(calendar):
        span = f" ({calendar[0]:%Y-%m-%d}..{calendar[-1]:%Y-%m-%d})" if len(calendar) else ""
        raise DataError(
            f"the panel has {len(calendar)} trading days{span}; --study {spec.train_days}:{spec.trade_days} needs "
            f"more than {start} for one trading period"
        )
    found = []
    for number, at in enumerate(range(start, len(calendar), spec.trade_days), start=1):
        days = calendar[at : at + spec.trade_days]
        found.append(Period(number, calendar[at - spec.train_days], calendar[at - 1], days[0], days[-1], len(days)))
        if spec.periods is not None and len(found) == spec.periods:
            break
    return found


def period_config(config: TrainConfig, period: Period) -> TrainConfig:
    """The config that trains `period`'s model: its training days only."""
    return dataclasses.replace(
        config, train_start=f"{period.train_start:%Y-%m-%d}", train_end=f"{period.train_end:%Y-%m-%d}"
    )


def scores(fit: PanelFit, panel: Panel, config: TrainConfig, period: Period) -> pd.DataFrame:
    """The period's model's calibrated P(above median) made at the close of each trading day t for each member it
    trained on: (trading days, members), from the member's window of scaled returns ending at t (its own prices up
    to t only, scaled by its training scaler); NaN where the member has no row on t or too few days before it."""
    window, target = config.window, targets.get(config.target)
    records = (fit.manifest.data.panel or {})["members"]
    days = panel.calendar[(panel.calendar >= period.trade_start) & (panel.calendar <= period.trade_end)]
    found = pd.DataFrame(np.nan, index=days, columns=list(panel.members))
    inputs, where = [], []
    for symbol, stored in fit.scaler["members"].items():
        prices = panel.members[symbol].frame[config.column].loc[: period.trade_end].to_numpy()
        dates = panel.members[symbol].frame.index[: len(prices)]
        scaled = scale(scaler_from_dict(stored), target.encode(prices))  # (n,): NaN on the first day
        ends = np.flatnonzero((dates >= period.trade_start) & (np.arange(len(dates)) >= window))
        if not len(ends):
            continue
        x = np.stack([scaled[e - window + 1 : e + 1] for e in ends])[..., None]  # (n_m, window, 1)
        if config.symbol_embedding:
            x = np.concatenate([x, np.full((*x.shape[:2], 1), records[symbol]["index"])], axis=2)
        inputs.append(x.astype("float32"))
        where.append((symbol, dates[ends], stored["calibrator"]))
    if not inputs:
        return found
    raw = shapes.of(config).one_step(fit.model, np.concatenate(inputs))  # one prediction call for every member
    at = 0
    for symbol, dates, calibrator in where:
        found.loc[dates, symbol] = trend.calibrated(calibrator, raw[at : at + len(dates)])
        at += len(dates)
    return found


@dataclass(frozen=True)
class PeriodResult:
    """One period: its model's training (members, epochs, seconds, validation verdicts), its scores, their Brier
    score against the classes, and each rule's portfolio (by fill)."""

    period: Period
    scores: pd.DataFrame  # (trading days, members) P(above median); NaN: unscored
    chances: trend.Chances | None  # Brier score, log loss, P >= 0.5 accuracy (not the ranked one) over scored cells
    by_k: dict[int, dict[str, PortfolioReport]]  # k -> fill -> the period's portfolio
    members: int  # trained on
    left_out: tuple[Skipped, ...]
    epochs: int  # validation checks run (`unit`s)
    best_epoch: int
    seconds: float
    validation: str  # the members' validation verdicts counted (panel_train.pooled)
    unit: str = "epoch"  # what epochs counts: "epoch", or "check" (a member's worth of windows: --validate-every)

    @property
    def portfolios(self) -> dict[str, PortfolioReport]:
        """The first k's portfolios, by fill."""
        return next(iter(self.by_k.values()))

    def line(self) -> str:
        """The period in one line, as it ends (study_views.period_line)."""
        from .study_views import period_line

        return period_line(self)

    def to_json(self) -> dict[str, Any]:
        return {**self.period.to_json(), "members": self.members, "left_out": [s.line() for s in self.left_out],
                "training": {"epochs": self.epochs, "best_epoch": self.best_epoch, "seconds": round(self.seconds, 1),
                             "validation": self.validation, "unit": self.unit},
                "brier": chances_json(self.chances), **_by_k_json(self.by_k)}  # fmt: skip


@dataclass(frozen=True)
class StudyReport:
    """Every period's result, and all of them pooled: one portfolio per rule over every period's scores (by k, then
    fill), each split by era."""

    spec: StudySpec
    config: TrainConfig
    periods: list[PeriodResult]
    chances: trend.Chances | None  # pooled over every period's scored cells
    by_k: dict[int, dict[str, PortfolioReport]]  # k -> fill -> the pooled portfolio
    index_name: str | None
    plot: str | None = None  # the image written (the application layer's), None: none
    eras: dict[int, dict[str, list[eras_.Era]]] = dataclasses.field(default_factory=dict)  # k -> fill -> eras

    @property
    def portfolios(self) -> dict[str, PortfolioReport]:
        """The first k's pooled portfolios, by fill (the plot draws these)."""
        return next(iter(self.by_k.values()))

    @property
    def left_out(self) -> list[str]:
        """Every member left out of a period's model (a file that cannot be read, a member too short or failing
        validation), each line once, in the order met."""
        return list(dict.fromkeys(s.line() for p in self.periods for s in p.left_out))

    @property
    def exit_code(self) -> int:
        """1 when a member was left out (as `train --panel`: the rest were studied), else 0."""
        return 1 if self.left_out else 0

    figure_size = (11, 6)  # inches

    def render(self) -> list[Any]:
        from .study_views import study_view

        return study_view(self)

    def draw(self, figure: Any) -> None:
        from .study_views import draw_study

        draw_study(self, figure)

    def to_json(self) -> dict[str, Any]:
        return {
            "study": {"train_days": self.spec.train_days, "trade_days": self.spec.trade_days},
            "config": self.config.to_dict(),
            "labels": "1 when the member's next-day return is above the median of the members present that day",
            "accuracies": {"ranked_accuracy": RANKED_ACCURACY, "p_half_accuracy": P_HALF_ACCURACY},
            "periods": [p.to_json() for p in self.periods],
            "plot": self.plot,
            "left_out": self.left_out,
            "pooled": {"brier": chances_json(self.chances), **_by_k_json(self.by_k),
                       "eras": {str(k): {fill: [e.to_json() for e in found] for fill, found in fills.items()}
                                for k, fills in self.eras.items()}},
        }  # fmt: skip


# What the "brier" block's accuracy measures: a threshold on the calibrated P, not the day's ranks (RANKED_ACCURACY).
P_HALF_ACCURACY = (
    "a member-day called class 1 when its calibrated P(above the day's median) is 0.5 or more, against its class, "
    "over every scored member-day with a class: it depends on the calibration (P all below 0.5: every call class 0)"
)


def chances_json(found: trend.Chances | None) -> dict[str, Any] | None:
    """The "brier" block of the study's JSON: the Brier score, the log loss, the P >= 0.5 accuracy (as
    `p_half_accuracy`, never a bare "accuracy": the portfolios' is the ranked one) and the member-days scored."""
    if found is None:
        return None
    data = found.to_dict()
    return {"brier": data["brier"], "log_loss": data["log_loss"], "p_half_accuracy": data["accuracy"],
            **({"days": data["days"]} if "days" in data else {})}  # fmt: skip


def chances(found: pd.DataFrame, closes: pd.DataFrame) -> trend.Chances | None:
    """Brier score, log loss and P >= 0.5 accuracy of the scores `found` (days, members) against each cell's class
    (rank_labels of the next-day returns of `closes`, all members present that day); None without a scored cell."""
    classes = rank_labels(next_returns(closes)).reindex(index=found.index, columns=found.columns)
    p, y = found.to_numpy(dtype="float64"), classes.to_numpy(dtype="float64")
    both = np.isfinite(p) & np.isfinite(y)
    return dataclasses.replace(trend.scores(p[both], y[both]), days=int(both.sum())) if both.any() else None


def run(
    panel: Panel, config: TrainConfig, spec: StudySpec, rules: list[PortfolioRule], index: pd.Series | None = None,
    index_name: str = "the index", on_period: Callable[[PeriodResult], None] | None = None,
    fit: Callable[..., PanelFit] = fit_panel, eras: tuple[pd.Timestamp, ...] = (),
) -> StudyReport:  # fmt: skip
    """The whole study (module docstring). `config.target` must be a cross-sectional one (rank): a `UsageError`
    otherwise, and for --features (a study's windows are the members' own returns). `rules`: one portfolio each,
    grouped by k then fill (several k trade the same scores). `on_period` is called with each period's result as
    soon as it is done. `eras`: the days the pooled portfolios are cut at (eras.split; none: one era). Errors:
    `DataError` (too short a calendar, no member can train),
    `UsageError` (a bad rule)."""
    if config.target != "rank":
        raise UsageError(f"a study ranks the panel's members: --target rank, not {config.target}")
    if config.feature_names:
        raise UsageError("a study's windows are each member's own returns: leave out --features")
    for rule in rules:
        rule.check()
    closes = panel.matrix(config.column)
    done = []
    for period in periods(panel.calendar, spec):
        fitted = fit(panel, period_config(config, period))
        found = scores(fitted, panel.until(period.trade_end), config, period)
        if found.isna().all().all():
            raise DataError(f"period {period.number}: no member has a score from {period.trade_start:%Y-%m-%d}")
        portfolios = by_k(rules, [trade(found, closes, r, index, index_name, last=period.trade_end) for r in rules])
        t = fitted.manifest.training
        result = PeriodResult(
            period, found, chances(found, closes), portfolios, len(fitted.windows), fitted.skipped, t.epochs_run,
            t.best_epoch, t.seconds, pooled(fitted.verdicts), t.unit,
        )  # fmt: skip
        done.append(result)
        if on_period is not None:
            on_period(result)
    every = pd.concat([r.scores for r in done])
    last = done[-1].period.trade_end
    pooled_portfolios = by_k(rules, [trade(every, closes, r, index, index_name, last=last) for r in rules])
    split = {k: {fill: eras_.split(r, every, closes, eras) for fill, r in fills.items()}
             for k, fills in pooled_portfolios.items()}  # fmt: skip
    return StudyReport(spec, config, done, chances(every, closes), pooled_portfolios, index_name, eras=split)
