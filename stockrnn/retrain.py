"""Retrain stage, for cron: update a symbol's data, train a challenger, promote it only if it beats the champion.

Input: watchlist entries (`watchlist.Entry`: a symbol, optionally a CSV file and training options). Output: one
`Outcome` per symbol, also appended to models/<SYMBOL>/retrains.jsonl. The promotion rule: on the same holdout (the last
`holdout` trading days of the data, which the challenger never trains on), the challenger's one-step score (the
target's promotion metric: RMSE) must be below the champion's by more than `margin` (a fraction: 0.01 = 1%). A
symbol with no usable champion (none yet, or its files fail their checksums or no longer load) takes the challenger.

Three steps, so that the training can run anywhere: `prepare` (the caller, under the symbol's lock: read the
champion and the data) -> `compute` (pure: a `Contest` in, the challenger's model bytes, scaler, manifest and the
holdout scores out; any process may run it) -> `commit` (the caller again, still under the lock: save, promote,
prune, record). Only the caller ever writes the home folder.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
import traceback
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import backend, ledger, parallel, store, targets
from .config import HORIZON, KEEP, MARGIN, TrainConfig
from .direction import TrendForecast
from .errors import DataError, LockedError, LostTaskError, MissingInputError, StockRNNError, UsageError
from .forecast import Forecast, forecast_model, load_model
from .manifest import Manifest
from .paths import check_symbol
from .prices import model_prices, source_prices
from .significance import compare
from .train import fit
from .validate import Prices
from .watchlist import Entry

log = logging.getLogger("stockrnn")

HOLDOUT_DAYS = HORIZON  # about a month of trading days
RETRAINS_FILE = "retrains.jsonl"
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
    comparison: dict[str, Any] | None = None
    holdout: dict[str, Any] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


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
    comparison: dict[str, Any] | None  # see Outcome.comparison
    problem: str | None  # why the champion could not compete, if it could not
    seconds: float
    # Per contestant that could compete: its real forecast after the data's last day, for the ledger (the
    # challenger's is labelled with its version when it is stored).
    forecasts: dict[str, Forecast] = field(default_factory=dict)


def check_options(keep: int, holdout: int, margin: float) -> None:
    if holdout < 1 or keep < 1 or not 0 <= margin < 1:
        raise UsageError(f"--holdout ({holdout}) and --keep ({keep}) must be at least 1, --margin ({margin}) in [0, 1)")


def prepare(entry: Entry, force: bool = False, holdout: int = HOLDOUT_DAYS, offline: bool = False) -> Contest | Outcome:
    """The caller's first step, under the symbol's lock: the champion, the config and the data; an `Outcome` at once
    when there is nothing to train. Raises `StockRNNError` on failure."""
    symbol = check_symbol(entry.symbol)
    champion, manifest, problem = _champion(symbol)
    base = manifest.config if manifest else TrainConfig()
    options = dict(entry.options)
    if options.get("target", base.target) != base.target:  # another target: the champion's horizon is not its
        options.setdefault("horizon_days", None)
    try:
        config = dataclasses.replace(base, **options)
    except TypeError as exc:
        raise UsageError(f"{symbol}: {exc}") from None
    if manifest is not None:
        prices = model_prices(symbol, manifest, entry.csv, offline)
    else:
        prices = source_prices(symbol, entry.csv, config.column, offline, config.adjusted)

    if manifest is not None and not force and prices.sha256 == manifest.data.sha256:
        return Outcome(symbol, "up to date", f"no new data since {manifest.data.last_day}", champion=manifest.version)

    days = prices.frame.index
    if len(days) < config.min_train_rows + holdout:
        raise DataError(
            f"{prices.source}: {len(days)} rows; retraining needs {config.min_train_rows} for training "
            f"and {holdout} more for the holdout"
        )
    return Contest(
        symbol=symbol,
        prices=prices,
        config=dataclasses.replace(config, train_end=f"{days[-holdout - 1]:%Y-%m-%d}"),
        holdout_start=f"{days[-holdout]:%Y-%m-%d}",
        holdout=holdout,
        champion=None if champion is None else Champion(champion.model_path.read_bytes(), champion.scaler, manifest),
        problem=problem,
    )


def compute(contest: Contest) -> Computed:
    """Train the challenger and score both contestants on the holdout, one step ahead. Pure: no file of the home
    folder is read or written, so any process may run it. Raises `StockRNNError` on failure."""
    started = time.perf_counter()
    log.info("%s: training a challenger up to %s", contest.symbol, contest.config.train_end)
    model, scaler, manifest = fit(contest.prices, contest.config)
    target = targets.get(contest.config.target)
    challenger = _holdout(contest, model, scaler, manifest.config)
    metrics: dict[str, Any] = {CHALLENGER: _scores(target, challenger), CHAMPION: None}
    forecasts = {CHALLENGER: _next(contest, model, scaler, manifest, "")}
    comparison, problem = None, contest.problem
    if contest.champion is not None:
        champion = contest.champion
        try:
            loaded = load_model(champion.manifest, champion.model)
            held = _holdout(contest, loaded, champion.scaler, champion.manifest.config)
            if targets.get(champion.manifest.config.target).probability != target.probability:
                raise DataError(f"the champion learned {champion.manifest.config.target}, the challenger {target.name}")
            metrics[CHAMPION] = _scores(target, held)
            forecasts[CHAMPION] = _next(contest, loaded, champion.scaler, champion.manifest, champion.manifest.version)
            comparison = _versus(challenger, held).to_dict()
        except StockRNNError as exc:  # e.g. saved by an incompatible Keras: it cannot compete
            problem = str(exc)
    model_bytes = backend.model_to_bytes(model)
    seconds = round(time.perf_counter() - started, 1)
    return Computed(model_bytes, scaler, manifest, metrics, comparison, problem, seconds, forecasts)


def _holdout(contest: Contest, model: Any, scaler: dict, config: TrainConfig) -> Forecast | TrendForecast:
    return forecast_model(model, scaler, config, contest.prices, contest.holdout_start, contest.holdout, ("", ""))


def _versus(challenger: Forecast | TrendForecast, champion: Forecast | TrendForecast) -> Any:
    """The challenger against the champion on the holdout, with the DM test: one-step predictions by squared error,
    probabilities by Brier score (horizon - 1 lags: their labels overlap)."""
    rows = challenger.rows
    if isinstance(challenger, TrendForecast):
        known = rows["outcome"].notna()
        window = f"the holdout {rows.index[known][0]:%Y-%m-%d}..{rows.index[known][-1]:%Y-%m-%d}, P(up)"
        found = rows["outcome"][known], rows["p_up"][known], champion.rows["p_up"][known]
        return compare(*found, "the champion", window, challenger.horizon, "the challenger", score="Brier")
    window = f"the holdout {rows.index[0]:%Y-%m-%d}..{rows.index[-1]:%Y-%m-%d}, one step ahead"
    return compare(rows["actual"], rows["one_step"], champion.rows["one_step"], "the champion", window, 1,
                   "the challenger")  # fmt: skip


def _next(contest: Contest, model: Any, scaler: dict, manifest: Manifest, version: str) -> Forecast:
    """The contestant's real forecast of the HORIZON trading days after the data's last day (what predict makes)."""
    return forecast_model(
        model, scaler, manifest.config, contest.prices, None, HORIZON, (contest.symbol, version), manifest.interval
    )


def _scores(target: targets.Target, result: Forecast | TrendForecast) -> dict[str, dict]:
    """The contestant's holdout scores: the target's scored method beside its baseline."""
    return {target.scored: result.metrics[target.scored], target.baseline: result.metrics[target.baseline]}


def commit(contest: Contest, computed: Computed, keep: int = KEEP, margin: float = MARGIN) -> Outcome:
    """The caller's last step, under the symbol's lock: store the challenger, promote it if it won, prune."""
    symbol = contest.symbol
    started = time.perf_counter()
    folder = store.save_version(symbol, computed.model, computed.scaler, computed.manifest, promote=False)
    target = targets.get(contest.config.target)
    metric, champion = target.promotion_metric, computed.metrics[CHAMPION]
    promote, reason = decide(
        computed.metrics[CHALLENGER][target.scored][metric],
        None if champion is None else champion[target.scored],
        margin,
        computed.problem,
        metric,
        computed.comparison,
    )
    if promote:
        store.promote_version(symbol, folder.name, reason)
    # The champion's next forecast goes into the ledger: a nightly cron job builds the track record by itself.
    if promote:
        ledger.remember(
            dataclasses.replace(computed.forecasts[CHALLENGER], version=folder.name),
            computed.manifest.config, contest.prices, "retrain",
        )  # fmt: skip
    elif CHAMPION in computed.forecasts:
        ledger.remember(computed.forecasts[CHAMPION], contest.champion.manifest.config, contest.prices, "retrain")
    days = contest.prices.frame.index
    return Outcome(
        symbol=symbol,
        status="promoted" if promote else "kept champion",
        message=reason,
        champion=store.champion(symbol),
        challenger=folder.name,
        metrics=computed.metrics,
        comparison=computed.comparison,
        holdout={"start": contest.holdout_start, "end": f"{days[-1]:%Y-%m-%d}", "days": contest.holdout},
        pruned=store.prune(symbol, keep),
        seconds=round(computed.seconds + time.perf_counter() - started, 1),
    )


def retrain(
    entry: Entry,
    force: bool = False,
    keep: int = KEEP,
    holdout: int = HOLDOUT_DAYS,
    margin: float = MARGIN,
    offline: bool = False,
) -> Outcome:
    """Retrain one symbol in this process, under its lock (see the module's docstring); raises `StockRNNError` on
    failure, `TemporaryError` at once when another run holds the lock."""
    check_options(keep, holdout, margin)
    symbol = check_symbol(entry.symbol)
    with store.lock(symbol):
        contest = prepare(entry, force, holdout, offline)
        if isinstance(contest, Outcome):
            return contest
        return commit(contest, compute(contest), keep, margin)


def decide(
    challenger: float,
    champion: dict | None,
    margin: float,
    problem: str | None,
    metric: str = "rmse",
    comparison: dict | None = None,
) -> tuple[bool, str]:
    """The promotion rule on a lower-is-better `metric`: (promote?, the reason in words). `champion`: its scores;
    `comparison`: the two on the holdout with their Diebold-Mariano test, whose evidence the reason states. The
    rule itself needs no significance: the challenger has seen the newer days, and a month's holdout rarely
    separates two models (docs/significance.md)."""
    if champion is None:
        return True, f"no usable champion ({problem})" if problem else "first model"
    best, name = champion[metric], metric.upper()
    evidence = ""
    if comparison is not None:
        p = comparison["p_value"]
        difference = "significant" if comparison["significant"] else "not significant"
        evidence = f" ({difference}: DM p = {p:.2f}, {comparison['n']} days)" if p is not None else ""
    if challenger < best * (1 - margin):
        return True, f"challenger {name} {challenger:.4g} < champion {best:.4g} - {margin:.0%}{evidence}"
    return False, f"challenger {name} {challenger:.4g} does not beat champion {best:.4g} by {margin:.0%}{evidence}"


def _champion(symbol: str) -> tuple[store.StoredModel | None, Manifest | None, str | None]:
    """(the champion, its manifest, None), or (None, its manifest if readable, why it cannot be used): a champion
    whose files fail their checksums cannot compete, but its config and data source still guide the challenger."""
    try:
        champion = store.load_current(symbol)
        return champion, champion.manifest, None
    except MissingInputError:
        return None, None, None
    except DataError as exc:
        log.warning("%s: the champion is unusable: %s", symbol, exc)
        try:
            manifest = store.read_manifest(symbol, store.champion(symbol) or "")
        except DataError:  # the pointer itself is bad: the challenger starts from the defaults
            manifest = None
        return None, manifest, str(exc)


def record(outcome: Outcome) -> None:
    """Append the attempt to the symbol's retrain log (one JSON line, flushed to disk); readers skip a torn line."""
    line = json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **dataclasses.asdict(outcome)})
    folder = store.models_dir(outcome.symbol)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / RETRAINS_FILE, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        log.error("%s: cannot record the retrain attempt in %s: %s", outcome.symbol, folder, exc)


def _failed(symbol: str, exc: Exception) -> Outcome:
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
        return _failed(contest.symbol, exc)


def retrain_all(
    entries: list[Entry],
    jobs: int,
    log_file: Path | None = None,
    force: bool = False,
    keep: int = KEEP,
    holdout: int = HOLDOUT_DAYS,
    margin: float = MARGIN,
    offline: bool = False,
    cluster: str | None = None,
    done: parallel.Done | None = None,
    timeout: float | None = None,
) -> list[Outcome]:
    """Retrain every entry: prepare each under its lock here, compute the contests `jobs` at a time here or as tasks
    on the Dask `cluster` (`parallel`), then commit each here; every attempt is recorded. Results in the entries'
    order. A contest the cluster lost (`timeout`: seconds a task may run there) fails with exit code 75."""
    outcomes: list[Outcome | None] = [None] * len(entries)
    contests: list[tuple[int, Contest, ExitStack]] = []

    def finish(number: int, outcome: Outcome, recorded: bool = True) -> None:
        outcomes[number] = outcome
        if recorded:
            record(outcome)

    try:
        for number, entry in enumerate(entries):
            held = ExitStack()
            try:
                check_options(keep, holdout, margin)
                held.enter_context(store.lock(check_symbol(entry.symbol)))
                prepared = prepare(entry, force, holdout, offline)
            except Exception as exc:
                held.close()
                # a locked symbol belongs to another run, which records its own attempt
                finish(number, _failed(entry.symbol, exc), recorded=not isinstance(exc, LockedError))
                continue
            if isinstance(prepared, Outcome):
                held.close()
                finish(number, prepared)
            else:
                contests.append((number, prepared, held))
        results = parallel.run(
            compute_or_fail,
            [c for _, c, _ in contests],
            jobs,
            str(log_file) if log_file else None,
            cluster=cluster,
            names=[c.symbol for _, c, _ in contests],
            done=done,
            timeout=timeout,
        )
        for (number, contest, held), result in zip(contests, results, strict=True):
            with held:
                if isinstance(result, parallel.Lost):
                    result = Outcome(contest.symbol, "failed", result.reason, exit_code=LostTaskError.exit_code)
                if isinstance(result, Computed):
                    try:
                        result = commit(contest, result, keep, margin)
                    except Exception as exc:
                        result = _failed(contest.symbol, exc)
                finish(number, result)
    finally:
        for _, _, held in contests:
            held.close()  # a second close does nothing
    return [outcome for outcome in outcomes if outcome is not None]


def exit_code(outcomes: list[Outcome]) -> int:
    """0: every symbol succeeded; 1: some failed; none succeeded: their common exit code, or 3 when they differ."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return 0
    if len(failed) < len(outcomes):
        return 1
    codes = {o.exit_code for o in failed}
    return codes.pop() if len(codes) == 1 else 3
