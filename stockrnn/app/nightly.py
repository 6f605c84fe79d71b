"""Application layer, the nightly retrain (for cron): per symbol, under its lock, read the champion and the data,
run the contest (contest.py: here, in worker processes or on a Dask cluster), then store the challenger, promote it
unless the rule keeps the champion (contest.decide), prune old versions, record the champion's next forecast in the
ledger and the attempt in models/<SYMBOL>/retrains.jsonl.

Three steps, so that the training can run anywhere: `prepare` (here, under the symbol's lock: read the champion and
the data) -> `contest.compute` (pure; any process may run it) -> `commit` (here again, still under the lock: save,
promote, prune, record). Only this process ever writes the home folder.

Input: watchlist entries (`watchlist.Entry`: a symbol, optionally a CSV file and training options). Output: one
`Outcome` per symbol.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from .. import ledger, parallel, registry
from ..checks import checked
from ..config import KEEP, MARGIN, MAX_AGE, RANGES, TrainConfig, check_range
from ..contest import (
    CHALLENGER,
    CHAMPION,
    HOLDOUT_DAYS,
    Champion,
    Computed,
    Contest,
    Outcome,
    check_options,
    compute,
    compute_or_fail,
    failure,
    judge,
)
from ..errors import DataError, LockedError, LostTaskError, MissingInputError, UsageError
from ..manifest import Manifest
from ..paths import check_symbol
from ..price_source import PriceSource
from ..provenance import own_source
from ..watchlist import Entry
from .panel import market_of
from .panel_forecast import global_model
from .panel_retrain import retrain_global
from .prices import load, model_prices

log = logging.getLogger("stockrnn")

RETRAINS_FILE = "retrains.jsonl"


def prepare(
    entry: Entry, force: bool = False, holdout: int = HOLDOUT_DAYS, offline: bool = False, strict: bool = False
) -> Contest | Outcome:
    """The caller's first step, under the symbol's lock: the champion, the config and the data; an `Outcome` at once
    when there is nothing to train: "up to date" when the data is the data of the last version trained (the last
    attempt, champion or not: a kept challenger is not trained again on the same days) and that version was trained
    up to the day a challenger would be. `strict` refuses prices that
    would stand in for those asked for (stored days when the download fails) and data that looks wrong (checks.py).
    Raises `StockRNNError` on failure."""
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
    csv = Path(entry.csv) if entry.csv else None
    source = PriceSource(
        symbol, csv, entry.date_format, ticker=entry.ticker, adjusted=config.adjusted, offline=offline, strict=strict
    )
    if manifest is None:
        prices = load(source, config.column, config.calendar)  # looked at (checks.py): warned about, or refused
    else:
        prices = model_prices(symbol, manifest, source)
        if strict:  # what --strict refuses in a first model's data, it refuses in a champion's too
            prices = checked(prices, config.column, True, config.calendar)

    # Up to date only for a usable champion: one that fails its checks is replaced however old the data.
    last = registry.last_attempt(symbol, manifest) if champion is not None and manifest is not None else None
    days = prices.frame.index
    # A challenger would train up to the day before the holdout: a last attempt trained on the same data but to an
    # earlier day (train --train-end 2016-12-30 on a file that reaches 2018) is not up to date.
    through = f"{days[-holdout - 1]:%Y-%m-%d}" if len(days) > holdout else None
    covered = last is not None and through is not None and last.data.train_end >= through
    if last is not None and manifest is not None and not force and prices.sha256 == last.data.sha256 and covered:
        said = f"no new data since {last.data.last_day}"
        if last.version != manifest.version:
            said += f": {last.version} was trained on it and kept out"
        return Outcome(symbol, "up to date", said, champion=manifest.version, substitute=prices.substitute)

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
        champion=(
            None if champion is None else Champion(champion.model_path.read_bytes(), champion.scaler, champion.manifest)
        ),
        problem=problem,
        # the source the challenger read: a file named now, else the champion's as it recorded it
        source=source.to_json() if entry.csv or manifest is None else manifest.data.price_source,
        market=market_of(manifest, offline) if manifest is not None and "market" in config.feature_names else None,
        market_at=manifest.data.market if manifest is not None else None,
    )


def commit(
    contest: Contest, computed: Computed, keep: int = KEEP, margin: float | None = MARGIN, max_age: int = MAX_AGE
) -> Outcome:
    """The caller's last step, under the symbol's lock: store the challenger, promote it if the rule says so, prune."""
    symbol = contest.symbol
    started = time.perf_counter()
    manifest = computed.manifest
    data = dataclasses.replace(manifest.data, price_source=contest.source, market=contest.market_at)
    manifest = dataclasses.replace(manifest, data=data)
    folder = registry.save_version(symbol, computed.model, computed.scaler, manifest, promote=False)
    promote, reason = judge(contest, computed, margin, max_age)
    if promote:
        registry.promote_version(symbol, folder.name, reason)
    # The champion's next forecast goes into the ledger: a nightly cron job builds the track record by itself.
    if promote:
        ledger.remember(
            dataclasses.replace(computed.forecasts[CHALLENGER], version=folder.name),
            computed.manifest.config, contest.prices, "retrain",
        )  # fmt: skip
    elif CHAMPION in computed.forecasts:
        assert contest.champion is not None  # contest.compute forecasts a champion only when the contest has one
        champion = contest.champion.manifest
        if own_source(champion, contest.prices):  # another file's forecast is not its track record
            ledger.remember(computed.forecasts[CHAMPION], champion.config, contest.prices, "retrain")
        else:
            log.warning(
                "%s %s: its forecast from %s is not recorded in the forecast ledger: it was trained on other data",
                symbol, champion.version, contest.prices.source,
            )  # fmt: skip
    days = contest.prices.frame.index
    return Outcome(
        symbol=symbol,
        status="promoted" if promote else "kept champion",
        message=reason,
        champion=registry.champion(symbol),
        challenger=folder.name,
        metrics=computed.metrics,
        comparison=computed.comparison,
        holdout={"start": contest.holdout_start, "end": f"{days[-1]:%Y-%m-%d}", "days": contest.holdout},
        pruned=registry.prune(symbol, keep),
        seconds=round(computed.seconds + time.perf_counter() - started, 1),
        target=contest.config.target,
        substitute=contest.prices.substitute,
    )


def retrain(
    entry: Entry,
    force: bool = False,
    keep: int = KEEP,
    holdout: int = HOLDOUT_DAYS,
    margin: float | None = MARGIN,
    offline: bool = False,
    max_age: int = MAX_AGE,
    strict: bool = False,
) -> Outcome:
    """Retrain one symbol in this process, under its lock (see the module's docstring); raises `StockRNNError` on
    failure, `TemporaryError` at once when another run holds the lock."""
    check_options(keep, holdout, margin, max_age)
    warn_margin(margin)
    symbol = check_symbol(entry.symbol)
    with registry.lock(symbol):
        stored = global_model(symbol)
        if stored is not None:
            return retrain_global(stored, dict(entry.options), force, keep, holdout, margin, offline, max_age, strict)
        contest = prepare(entry, force, holdout, offline, strict)
        if isinstance(contest, Outcome):
            return contest
        return commit(contest, compute(contest), keep, margin, max_age)


def _global(
    stored: registry.StoredModel, entry: Entry, force: bool, keep: int, holdout: int, margin: float | None,
    offline: bool, max_age: int, strict: bool,
) -> Outcome:  # fmt: skip
    """A global model's retrain as an `Outcome`, its failure too (one model's failure never stops the others)."""
    try:
        return retrain_global(stored, dict(entry.options), force, keep, holdout, margin, offline, max_age, strict)
    except Exception as exc:
        return failure(entry.symbol, exc)


def warn_margin(margin: float | None) -> None:
    """A warning in the log for a command line that still passes --margin: it is obeyed, and it says what it costs."""
    if margin is not None:
        log.warning(
            "--margin %s: the older promotion rule (beat the champion by %.0f%%), obeyed; a month's holdout rarely "
            "tells two models apart, so it can keep one champion for a year (docs/track.md). Without --margin, a "
            "newer challenger is promoted unless the champion is significantly better",
            margin, margin * 100,
        )  # fmt: skip


def _champion(symbol: str) -> tuple[registry.StoredModel | None, Manifest | None, str | None]:
    """(the champion, its manifest, None), or (None, its manifest if readable, why it cannot be used): a champion
    whose files fail their checksums cannot compete, but its config and data source still guide the challenger."""
    try:
        champion = registry.load_current(symbol)
        return champion, champion.manifest, None
    except MissingInputError:
        return None, None, None
    except DataError as exc:
        log.warning("%s: the champion is unusable: %s", symbol, exc)
        try:
            manifest = registry.read_manifest(symbol, registry.champion(symbol) or "")
        except DataError:  # the pointer itself is bad: the challenger starts from the defaults
            manifest = None
        return None, manifest, str(exc)


def record(outcome: Outcome) -> None:
    """Append the attempt to the symbol's retrain log (one JSON line, flushed to disk); readers skip a torn line."""
    line = json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **outcome.to_json()})
    folder = registry.models_dir(outcome.symbol)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / RETRAINS_FILE, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        log.error("%s: cannot record the retrain attempt in %s: %s", outcome.symbol, folder, exc)


def retrain_all(
    entries: list[Entry],
    jobs: int,
    log_file: Path | None = None,
    force: bool = False,
    keep: int = KEEP,
    holdout: int = HOLDOUT_DAYS,
    margin: float | None = MARGIN,
    offline: bool = False,
    cluster: str | None = None,
    done: parallel.Done | None = None,
    timeout: float | None = None,
    max_age: int = MAX_AGE,
    strict: bool = False,
    quiet: bool = False,
) -> list[Outcome]:
    """Retrain every entry: prepare each under its lock here, compute the contests `jobs` at a time (0: one a core)
    here or as tasks on the Dask `cluster` (`parallel`), then commit each here; every attempt is recorded. Results in
    the entries' order. A contest the cluster lost (`timeout`: seconds a task may run there) fails with exit code 75.
    `strict`: a symbol whose prices would stand in for those asked for fails instead (see `prepare`); `quiet`: the
    worker processes, like this one, say only warnings and errors on stderr."""
    check_range("--jobs", jobs, RANGES["retrain_jobs"])
    check_options(keep, holdout, margin, max_age)  # before any symbol is locked or read
    warn_margin(margin)
    jobs = jobs or os.cpu_count() or 1
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
                held.enter_context(registry.lock(check_symbol(entry.symbol)))
                stored = global_model(entry.symbol)
                if stored is not None:  # a global model: its own contest, here (app/panel_retrain.py)
                    with held:
                        finish(number, _global(stored, entry, force, keep, holdout, margin, offline, max_age, strict))
                    continue
                prepared = prepare(entry, force, holdout, offline, strict)
            except Exception as exc:
                held.close()
                # a locked symbol belongs to another run, which records its own attempt
                finish(number, failure(entry.symbol, exc), recorded=not isinstance(exc, LockedError))
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
            quiet=quiet,
        )
        for (number, contest, held), result in zip(contests, results, strict=True):
            with held:
                if isinstance(result, parallel.Lost):
                    result = Outcome(contest.symbol, "failed", result.reason, exit_code=LostTaskError.exit_code)
                if isinstance(result, Computed):
                    try:
                        result = commit(contest, result, keep, margin, max_age)
                    except Exception as exc:
                        result = failure(contest.symbol, exc)
                finish(number, result)
    finally:
        for _, _, held in contests:
            held.close()  # a second close does nothing
    return [outcome for outcome in outcomes if outcome is not None]


def plan(symbols: list[str], watchlist: Path | None, every: bool, overrides: dict) -> list[Entry]:
    """The entries of one retrain run (watchlist.plan), `every` meaning each symbol the registry has a model of."""
    from ..watchlist import plan as entries

    if every and symbols:
        raise UsageError(f"--all retrains every symbol with a model; name SYMBOLs ({' '.join(symbols)}) or --all")

    return entries(symbols, watchlist, every, overrides, registry.symbols() if every else [])
