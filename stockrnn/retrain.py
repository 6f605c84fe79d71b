"""Retrain stage, for cron: update a symbol's data, train a challenger, promote it only if it beats the champion.

Input: watchlist entries (a symbol, optionally a CSV file and training options). Output: one `Outcome` per
symbol, also appended to models/<SYMBOL>/retrains.jsonl. The promotion rule: on the same holdout (the last
`holdout` trading days of the data, which the challenger never trains on), the challenger's one-step RMSE must
be below the champion's by more than `margin` (a fraction: 0.01 = 1%). A symbol with no usable champion (none
yet, or its files fail their checksums or no longer load) takes the challenger.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shlex
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import store
from .config import TrainConfig
from .data import model_prices, source_prices
from .errors import DataError, MissingInputError, StockRNNError, UsageError
from .forecast import forecast
from .train import fit

log = logging.getLogger("stockrnn")

HOLDOUT_DAYS = 21  # about a month of trading days
MARGIN = 0.01
KEEP = 5
RETRAINS_FILE = "retrains.jsonl"
# Options a watchlist line may set (retrain chooses train_end itself: the day before the holdout).
OPTIONS = {f.name: f.type for f in dataclasses.fields(TrainConfig) if f.name != "train_end"}


@dataclass(frozen=True)
class Entry:
    symbol: str
    csv: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # TrainConfig fields that override the saved config


@dataclass
class Outcome:
    symbol: str
    status: str  # "promoted", "kept champion", "up to date" or "failed"
    message: str
    exit_code: int = 0
    champion: str | None = None  # the champion after this run
    challenger: str | None = None  # the version this run trained, if any
    metrics: dict[str, Any] = field(default_factory=dict)  # holdout one-step metrics: challenger, champion, persistence
    holdout: dict[str, Any] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def read_watchlist(path: str | Path) -> list[Entry]:
    """One symbol a line, optionally followed by key=value options; `#` starts a comment. For example:

    AAPL
    ^GSPC epochs=50 layers=2
    SP500 csv=sample_data/sp500.csv window=30
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: no such watchlist file")
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        try:
            symbol = store.check_symbol(words[0])
            csv, options = None, {}
            for word in words[1:]:
                key, sep, value = word.partition("=")
                key = key.replace("-", "_")
                if not sep or (key not in OPTIONS and key != "csv"):
                    raise UsageError(f"{word!r} is not an option; use key=value with one of: csv, {', '.join(OPTIONS)}")
                if key == "csv":
                    csv = str((path.parent / value).resolve()) if not Path(value).is_absolute() else value
                else:
                    options[key] = _parse(key, value)
            TrainConfig(**options)  # validates the values now, not half-way through the night
        except UsageError as exc:
            raise UsageError(f"{path}, line {number}: {exc}") from None
        entries.append(Entry(symbol=symbol, csv=csv, options=options))
    if not entries:
        raise UsageError(f"{path}: the watchlist names no symbol")
    return entries


def plan(symbols: list[str], watchlist: Path | None, every: bool, overrides: dict[str, Any]) -> list[Entry]:
    """The entries of one retrain run: the watchlist's, the named symbols, and with `every` each trained symbol;
    `overrides` (training options from the command line) apply to all. Everything is checked before any training."""
    if not symbols and watchlist is None and not every:
        raise UsageError("name SYMBOLs to retrain, a --watchlist FILE, or --all")
    entries = read_watchlist(watchlist) if watchlist else []
    entries += [Entry(store.check_symbol(s)) for s in symbols]
    entries += [Entry(s) for s in (store.symbols() if every else []) if s not in {e.symbol for e in entries}]
    if not entries:
        raise MissingInputError("no symbol to retrain: no model is trained yet")
    entries = [Entry(e.symbol, e.csv, {**e.options, **overrides}) for e in entries]
    for entry in entries:
        TrainConfig(**entry.options)  # bad overrides fail now, not half-way through the night
    return entries


def _parse(key: str, value: str) -> Any:
    kind = OPTIONS[key]
    try:
        if "bool" in str(kind):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return value.lower() in ("true", "1", "yes")
        if "int" in str(kind):
            return int(value)
        if "float" in str(kind):
            return float(value)
        return value
    except ValueError:
        raise UsageError(f"{key}={value!r} is not a valid value") from None


def retrain(
    entry: Entry,
    force: bool = False,
    keep: int = KEEP,
    holdout: int = HOLDOUT_DAYS,
    margin: float = MARGIN,
    offline: bool = False,
) -> Outcome:
    """Retrain one symbol under its lock (see the module's docstring); raises `StockRNNError` on failure."""
    symbol = store.check_symbol(entry.symbol)
    if holdout < 1 or keep < 1 or not 0 <= margin < 1:
        raise UsageError(f"--holdout ({holdout}) and --keep ({keep}) must be at least 1, --margin ({margin}) in [0, 1)")
    started = time.perf_counter()
    with store.lock(symbol):
        champion, manifest, problem = _champion(symbol)
        base = TrainConfig.from_dict(manifest["config"]) if manifest else TrainConfig()
        try:
            config = dataclasses.replace(base, **entry.options)
        except TypeError as exc:
            raise UsageError(f"{symbol}: {exc}") from None
        if manifest is not None:
            prices = model_prices(symbol, manifest, entry.csv, offline)
        else:
            prices = source_prices(symbol, entry.csv, config.column, offline, config.adjusted)

        if manifest is not None and not force and prices.sha256 == manifest["data"]["sha256"]:
            message = f"no new data since {manifest['data']['last_day']}"
            return Outcome(symbol, "up to date", message, champion=manifest["version"])

        days = prices.frame.index
        if len(days) < config.min_train_rows + holdout:
            raise DataError(
                f"{prices.source}: {len(days)} rows; retraining needs {config.min_train_rows} for training "
                f"and {holdout} more for the holdout"
            )
        holdout_start = days[-holdout]
        config = dataclasses.replace(config, train_end=f"{days[-holdout - 1]:%Y-%m-%d}")
        log.info("%s: training a challenger up to %s", symbol, config.train_end)
        model, scaler, summary = fit(prices, config)
        folder = store.save_version(symbol, model, scaler, summary, promote=False)
        challenger = store.load_version(symbol, folder.name)

        start = f"{holdout_start:%Y-%m-%d}"
        scored = forecast(challenger, prices, start, holdout).metrics
        metrics = {"challenger": scored["one_step"], "persistence": scored["persistence"], "champion": None}
        if champion is not None:
            try:
                metrics["champion"] = forecast(champion, prices, start, holdout).metrics["one_step"]
            except StockRNNError as exc:  # e.g. saved by an incompatible Keras: it cannot compete
                problem = str(exc)
        promote, reason = decide(metrics["challenger"]["rmse"], metrics["champion"], margin, problem)
        if promote:
            store.promote_version(symbol, folder.name, reason)
        outcome = Outcome(
            symbol=symbol,
            status="promoted" if promote else "kept champion",
            message=reason,
            champion=store.champion(symbol),
            challenger=folder.name,
            metrics=metrics,
            holdout={"start": start, "end": f"{days[-1]:%Y-%m-%d}", "days": holdout},
            pruned=store.prune(symbol, keep),
            seconds=round(time.perf_counter() - started, 1),
        )
        return outcome


def decide(challenger_rmse: float, champion: dict | None, margin: float, problem: str | None) -> tuple[bool, str]:
    """The promotion rule: (promote?, the reason in words)."""
    if champion is None:
        return True, f"no usable champion ({problem})" if problem else "first model"
    bar = champion["rmse"] * (1 - margin)
    if challenger_rmse < bar:
        return True, f"challenger RMSE {challenger_rmse:.4g} < champion {champion['rmse']:.4g} - {margin:.0%}"
    return False, f"challenger RMSE {challenger_rmse:.4g} does not beat champion {champion['rmse']:.4g} by {margin:.0%}"


def _champion(symbol: str) -> tuple[store.StoredModel | None, dict | None, str | None]:
    """(the champion, its manifest, None), or (None, its manifest if readable, why it cannot be used): a champion
    whose files fail their checksums cannot compete, but its config and data source still guide the challenger."""
    try:
        champion = store.load_current(symbol)
        return champion, champion.manifest, None
    except MissingInputError:
        return None, None, None
    except DataError as exc:
        log.warning("%s: the champion is unusable: %s", symbol, exc)
        return None, store.read_manifest(symbol, store.champion(symbol) or ""), str(exc)


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


def run_entry(entry: Entry, **options: Any) -> Outcome:
    """`retrain`, with every failure turned into a failed `Outcome`, and every attempt recorded: one symbol's
    failure never stops the others."""
    try:
        outcome = retrain(entry, **options)
    except StockRNNError as exc:
        outcome = Outcome(entry.symbol, "failed", str(exc), exit_code=exc.exit_code)
    except Exception as exc:  # a bug must not cost the rest of the watchlist its night
        log.error("%s: unexpected %s\n%s", entry.symbol, type(exc).__name__, traceback.format_exc())
        outcome = Outcome(entry.symbol, "failed", f"unexpected {type(exc).__name__}: {exc}", exit_code=70)
    if outcome.exit_code != 75:  # a locked symbol belongs to another run, which records its own attempt
        record(outcome)
    return outcome


def _worker(entry: Entry, threads: int, log_file: str | None, home: str, options: dict) -> Outcome:
    from . import logs
    from .model import limit_threads

    os.environ["STOCKRNN_HOME"] = home  # joblib reuses worker processes: never trust their inherited setting
    logs.setup(Path(log_file) if log_file else None)
    limit_threads(threads)
    return run_entry(entry, **options)


def retrain_all(entries: list[Entry], jobs: int, log_file: Path | None = None, **options: Any) -> list[Outcome]:
    """Retrain every entry, `jobs` at a time in separate processes (joblib); results in the entries' order."""
    jobs = max(1, min(jobs, len(entries)))
    if jobs == 1:
        return [run_entry(entry, **options) for entry in entries]
    from joblib import Parallel, delayed

    threads = max(1, (os.cpu_count() or 1) // jobs)  # share the cores instead of oversubscribing them
    return Parallel(n_jobs=jobs)(
        delayed(_worker)(entry, threads, str(log_file) if log_file else None, str(store.home()), options)
        for entry in entries
    )


def exit_code(outcomes: list[Outcome]) -> int:
    """0: every symbol succeeded; 1: some failed; none succeeded: their common exit code, or 3 when they differ."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return 0
    if len(failed) < len(outcomes):
        return 1
    codes = {o.exit_code for o in failed}
    return codes.pop() if len(codes) == 1 else 3
