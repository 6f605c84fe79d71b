"""Contest stage: a challenger trained on a symbol's data, scored beside its champion on the same holdout. Pure.

Input: a `Contest` (the data, the config, the holdout, the champion's model as bytes). Output: `Computed` (the
challenger's model bytes, scaler and manifest, both contestants' holdout scores and their comparison, their next
forecasts for the ledger) and, with `decide`, the promotion rule's answer in words: on the same holdout (the last
`holdout` trading days of the data, which the challenger never trains on), the newer challenger is promoted unless
the champion is significantly better (the Diebold-Mariano test of the two, at 5%, on the target's promotion metric:
RMSE, or Brier for probabilities), and always once the champion's training ended more than `max_age` trading days
before the data's last day. `margin` (a fraction: 0.01 = 1%) is the older rule, for command lines that still pass
it: the challenger must beat the champion by more than that. A symbol with no usable champion takes the challenger.
No file of the home folder is read or written here, so any process or cluster worker may run `compute`: the nightly
run around it is app/nightly.py.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import backend, targets
from .config import HORIZON, MARGIN, MAX_AGE, TrainConfig, check_range
from .errors import DataError, StockRNNError
from .forecast import forecast_model, load_model, reach
from .formatting import fmt
from .manifest import Manifest
from .panel import Membership
from .significance import ALPHA, Comparison
from .targets import Result
from .train import fit
from .validate import Prices

log = logging.getLogger("stockrnn")

HOLDOUT_DAYS = HORIZON  # about a month of trading days
CHALLENGER, CHAMPION = "challenger", "champion"


@dataclass
class Outcome:
    symbol: str
    status: str  # "promoted", "kept champion", "up to date" or "failed"
    message: str
    exit_code: int = 0
    champion: str | None = None  # the champion after this run
    challenger: str | None = None  # the version this run trained, if any
    # On the holdout, per contestant (CHALLENGER, CHAMPION): its one-step scores beside persistence, as train reports
    # its validation tail ({ONE_STEP: ..., PERSISTENCE: ...}); the champion's is None when it could not compete.
    metrics: dict[str, Any] = field(default_factory=dict)
    # The challenger against the champion on the holdout, with the Diebold-Mariano test (significance.Comparison).
    comparison: Comparison | None = None
    holdout: dict[str, Any] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    target: str | None = None  # what the contestants learned (targets.get: how their scores read)
    # What stood in for the prices asked for (validate.Prices.substitute: a failed download, the stored days used),
    # said as a WARNING; None: the run read the prices it was asked to.
    substitute: str | None = None
    # A global model's members against its champion's (dropped, left out, added); None: a symbol's model. A member
    # dropped or left out is said as a WARNING and sets `exit_code` to 1 however the contest went.
    membership: Membership | None = None
    # A global model's: its score's first baseline (persistence, the base rate) pooled over the holdout member-days
    # of `comparison` (the challenger against the champion, pooled); None: a symbol's model, or no baseline.
    pooled_baseline: float | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def warnings(self) -> list[str]:
        """Lines said as WARNING beside the outcome (the members that no longer train)."""
        return self.membership.warnings() if self.membership else []

    @property
    def notes(self) -> list[str]:
        """Lines said as INFO beside the outcome (the members added)."""
        return self.membership.notes() if self.membership else []

    def contest_cell(self) -> str:
        """The holdout scores in one cell (its target's words); empty when nothing competed."""
        if self.metrics and self.target:
            return targets.get(self.target).contest_cell(self.metrics)
        c = self.comparison
        if c is None or self.membership is None:  # a global model's contest is its pooled comparison
            return ""
        scores = (c.model_rmse, c.baseline_rmse, self.pooled_baseline)
        return f"{c.score} " + " / ".join("-" if x is None else fmt(x, ".4g") for x in scores)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, for --json and the retrain log: the scores and the comparison as their `to_dict` say."""
        metrics = {
            who: None if scores is None else {name: s.to_dict() for name, s in scores.items()}
            for who, scores in self.metrics.items()
        }
        comparison = None if self.comparison is None else self.comparison.to_dict()
        membership = None if self.membership is None else self.membership.to_json()
        return {**self.__dict__, "metrics": metrics, "comparison": comparison, "membership": membership}


@dataclass(frozen=True)
class Contest:
    """One symbol's retraining as values: what `compute` needs, wherever it runs."""

    symbol: str
    prices: Prices
    config: TrainConfig  # train_end is the day before the holdout
    holdout_start: str  # ISO date of the first holdout day
    holdout: int  # trading days
    champion: Champion | None  # None: no usable champion (see `problem`)
    problem: str | None = None  # why the champion cannot compete
    source: dict[str, Any] | None = None  # the price source as recorded in the challenger's manifest
    market: pd.Series | None = None  # the market's closes, for a model with the `market` feature
    market_at: str | None = None  # where they are read again (the champion's data.market), for the challenger's


@dataclass(frozen=True)
class Champion:
    model: bytes  # the .keras file
    scaler: dict
    manifest: Manifest


@dataclass(frozen=True)
class Computed:
    """What `compute` returns: the challenger, ready to store, and the holdout scores of both contestants."""

    model: bytes
    scaler: dict
    manifest: Manifest
    metrics: dict[str, Any]  # see Outcome.metrics
    comparison: Comparison | None  # see Outcome.comparison
    problem: str | None  # why the champion could not compete, if it could not
    seconds: float
    # Per contestant that could compete: its real forecast after the data's last day, for the ledger (the
    # challenger's is labelled with its version when it is stored).
    forecasts: dict[str, Result] = field(default_factory=dict)


def check_options(keep: int, holdout: int, margin: float | None, max_age: int = MAX_AGE) -> None:
    """A `UsageError` for options no retrain can run with (outside their config.RANGES)."""
    for flag, value in (("--keep", keep), ("--holdout", holdout), ("--margin", margin), ("--max-age", max_age)):
        check_range(flag, value)


def compute(contest: Contest) -> Computed:
    """Train the challenger and score both contestants on the holdout, one step ahead. Pure: no file of the home
    folder is read or written, so any process may run it. Raises `StockRNNError` on failure."""
    started = time.perf_counter()
    log.info("%s: training a challenger up to %s", contest.symbol, contest.config.train_end)
    model, scaler, manifest = fit(contest.prices, contest.config, market=contest.market)
    target = targets.get(contest.config.target)
    challenger = _holdout(contest, model, scaler, manifest.config)
    metrics: dict[str, Any] = {CHALLENGER: target.contest_scores(challenger), CHAMPION: None}
    forecasts = {CHALLENGER: _next(contest, model, scaler, manifest, "")}
    comparison, problem = None, contest.problem
    if contest.champion is not None:
        champion = contest.champion
        try:
            loaded = load_model(champion.manifest, champion.model)
            held = _holdout(contest, loaded, champion.scaler, champion.manifest.config)
            if not target.can_replace(targets.get(champion.manifest.config.target)):
                raise DataError(f"the champion learned {champion.manifest.config.target}, the challenger {target.name}")
            metrics[CHAMPION] = target.contest_scores(held)
            forecasts[CHAMPION] = _next(contest, loaded, champion.scaler, champion.manifest, champion.manifest.version)
            comparison = target.versus(challenger, held)
        except StockRNNError as exc:  # e.g. saved by an incompatible Keras: it cannot compete
            problem = str(exc)
    model_bytes = backend.model_to_bytes(model)
    seconds = round(time.perf_counter() - started, 1)
    return Computed(model_bytes, scaler, manifest, metrics, comparison, problem, seconds, forecasts)


def _holdout(contest: Contest, model: Any, scaler: dict, config: TrainConfig) -> Result:
    return forecast_model(
        model, scaler, config, contest.prices, contest.holdout_start, contest.holdout, ("", ""), market=contest.market,
        whole_path=False,  # scored one step ahead: a covariates model's path stops where its head's outputs do
    )  # fmt: skip


def _next(contest: Contest, model: Any, scaler: dict, manifest: Manifest, version: str) -> Result:
    """The contestant's real forecast of the HORIZON trading days after the data's last day (what predict makes;
    a covariates model's: as many as its head outputs, `reach`)."""
    label, days = (contest.symbol, version), min(HORIZON, reach(manifest.config) or HORIZON)
    return forecast_model(
        model, scaler, manifest.config, contest.prices, None, days, label, manifest.interval, market=contest.market
    )


def judge(
    contest: Contest, computed: Computed, margin: float | None = MARGIN, max_age: int = MAX_AGE
) -> tuple[bool, str]:
    """The promotion rule (`decide`) on the contest's target's promotion metric: (promote?, the reason)."""
    target = targets.get(contest.config.target)
    metric, champion = target.promotion_metric, computed.metrics[CHAMPION]
    return decide(
        getattr(computed.metrics[CHALLENGER][target.scored], metric),
        None if champion is None else getattr(champion[target.scored], metric),
        margin,
        computed.problem,
        metric,
        computed.comparison,
        champion_age(contest),
        max_age,
    )


def champion_age(contest: Contest) -> int | None:
    """Trading days of the data after the champion's last training day (None: no usable champion): how much newer
    data the challenger may know that the champion does not."""
    if contest.champion is None:
        return None
    days = contest.prices.frame.index
    return int((days > pd.Timestamp(contest.champion.manifest.data.train_end)).sum())


def rule(margin: float | None = MARGIN, max_age: int = MAX_AGE) -> str:
    """The promotion rule in words, as retrain states it beside each decision."""
    if margin is None:
        words = f"a newer challenger is promoted unless the champion is significantly better (DM, {ALPHA:.0%})"
    else:
        words = f"--margin {margin:.0%}: the challenger must beat the champion by more than {margin:.0%}"
    return f"{words}; a champion older than {max_age} trading days gives way" if max_age else words


def decide(
    challenger: float,
    champion: float | None,
    margin: float | None,
    problem: str | None,
    metric: str = "rmse",
    comparison: Comparison | None = None,
    age: int | None = None,
    max_age: int = MAX_AGE,
) -> tuple[bool, str]:
    """The promotion rule on a lower-is-better `metric`: (promote?, the reason in words, the rule's included).
    `challenger`, `champion`: their scores on the holdout (None: no usable champion); `comparison`: the two on the
    holdout with their Diebold-Mariano test; `age`: trading days of the data after the champion's training ended.

    A month's holdout rarely separates two models of one recipe (docs/significance.md, docs/track.md): with
    `margin` None the challenger, which has seen the newer days, is promoted unless the champion is significantly
    better; with a `margin` (the older rule) it must beat the champion by more than that fraction. Either way a
    champion older than `max_age` trading days (0: no limit) gives way."""
    if champion is None:
        return True, f"no usable champion ({problem})" if problem else "first model"
    name, said = metric.upper(), f"rule: {rule(margin, max_age)}"
    scores = f"challenger {name} {challenger:.4g}, champion {champion:.4g}"
    test = None if comparison is None else comparison.test
    evidence = ""
    if test is not None and test.p_value is not None:
        difference = "significant" if comparison is not None and comparison.significant else "not significant"
        evidence = f" ({difference}: DM p = {test.p_value:.2f}, {test.count})"
    if test is not None and test.p_value is not None:
        scores += f"; {evidence.strip(' ()')}"
    elif test is not None:
        scores += f"; not tested: {test.why_untested}"  # plain words; the technical reason stays in the JSON
    if age is not None and max_age and age > max_age:
        return True, f"the champion is {age} trading days old, over {max_age} ({scores}); {said}"
    if margin is not None:
        if challenger < champion * (1 - margin):
            beats = f"challenger {name} {challenger:.4g} < champion {champion:.4g} - {margin:.0%}"
            return True, f"{beats}{evidence}; {said}"
        beaten = f"challenger {name} {challenger:.4g} does not beat champion {champion:.4g} by {margin:.0%}"
        return False, f"{beaten}{evidence}; {said}"
    if comparison is not None and comparison.significant and comparison.outcome == "lost":
        return False, f"the champion is significantly better ({scores}); {said}"
    if comparison is not None and comparison.significant and comparison.outcome == "beat":
        return True, f"the challenger is significantly better ({scores}); {said}"
    tested = "not tested" if test is None or test.untested else "no significant difference"
    return True, f"{tested}, the newer data decides ({scores}); {said}"


def failure(symbol: str, exc: Exception) -> Outcome:
    """A failure as an `Outcome`: one symbol's failure never stops the others."""
    if isinstance(exc, StockRNNError):
        return Outcome(symbol, "failed", str(exc), exit_code=exc.exit_code)
    # A bug must not cost the rest of the watchlist its night.
    log.error("%s: unexpected %s\n%s", symbol, type(exc).__name__, "".join(traceback.format_exception(exc)))
    return Outcome(symbol, "failed", f"unexpected {type(exc).__name__}: {exc}", exit_code=70)


def compute_or_fail(contest: Contest) -> Computed | Outcome:
    """`compute`, with a failure returned as an `Outcome` instead of raised (what a worker sends back)."""
    try:
        return compute(contest)
    except Exception as exc:
        return failure(contest.symbol, exc)


def exit_code(outcomes: list[Outcome]) -> int:
    """0: every symbol succeeded; 1: some failed, or succeeded with a warning that asks for one (a global model's
    member left out: `Outcome.exit_code`); none succeeded: their common exit code, or 3 when they differ."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return 1 if any(o.exit_code for o in outcomes) else 0
    if len(failed) < len(outcomes):
        return 1
    codes = {o.exit_code for o in failed}
    return codes.pop() if len(codes) == 1 else 3
