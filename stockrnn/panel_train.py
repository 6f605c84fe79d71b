"""Panel training stage: one network trained on the windows of every member of a panel (a global model). No I/O.

Input: a `Panel` (panel.py), a `TrainConfig` and, for the `market` feature, the market's closes by date. Output:
`PanelFit`: the Keras model, every member's scalers (the target's and the covariates', each fitted on that member's
own training rows), the manifest (the members, their data ranges and checksums, each one's validation scores and
intervals, the members left out and why) and each member's validation verdicts. Storing it is the application
layer's (app/panel.py); a walk-forward can call `fit_panel` at any cut-off day.

Leakage is impossible by construction:
- one training end for all: the panel is cut at `train_end` (`Panel.until`) before anything is read, so no member's
  later days can reach another member's training;
- each member is scaled by its own training rows only (windows.training_set, member by member), or with
  `--scaling pooled` by one scaler of all the members' training rows together (`panel_scaler`): still training rows
  only, the panel being cut at the training end first;
- validation is the same last days of the common training period for every member (`validation_start`), never a
  shuffled sample: a window whose label falls on or after that day is validation, for every member.

The windows of all members are concatenated, (n, window, channels), with the member's index as one more channel
when the model learns a symbol embedding (model.build).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from . import shapes, targets
from .config import EMBEDDING, POOLED, TrainConfig
from .errors import DataError
from .manifest import DataInfo, Manifest
from .panel import Panel, Skipped
from .significance import Comparison
from .targets import Scaler, scaler_to_dict
from .train import EpochProgress, libraries, train_network
from .windows import TrainingSet, parse_day, training_set


@dataclass(frozen=True)
class PanelFit:
    """A global model just trained: the model, scaler.json's content (every member's scalers), its manifest, each
    member's validation verdicts, and the members left out (the panel's own and those too short to train)."""

    model: Any
    scaler: dict[str, Any]
    manifest: Manifest
    verdicts: dict[str, list[Comparison]]  # member -> its validation tail's verdicts (the target's comparisons)
    skipped: tuple[Skipped, ...] = ()
    windows: dict[str, int] = field(default_factory=dict)  # member -> its training + validation windows
    pooled: list[Comparison] = field(default_factory=list)  # one test over every member's validation days


def validation_start(panel: Panel, config: TrainConfig) -> pd.Timestamp:
    """The first day of the validation period shared by every member: of the common calendar's days in the training
    period on which a window's label can fall, the last `val_fraction` (at least 2). A `DataError` when the period
    has too few days for one window and a validation tail."""
    start = parse_day(config.train_start, "--train-start")
    end = parse_day(config.train_end, "--train-end")
    days = panel.calendar[
        (panel.calendar >= (start or panel.calendar[0])) & (panel.calendar <= (end or panel.calendar[-1]))
    ]
    labelled = days[config.lookback + config.horizon - 1 : len(days) - config.output_reach]
    if len(labelled) < config.min_train_rows - config.lookback:
        raise DataError(
            f"the panel's training period has {len(days)} trading days; a {config.window}-day window needs at least "
            f"{config.min_train_rows}"
        )
    return labelled[-max(2, math.ceil(len(labelled) * config.val_fraction))]


def panel_windows(
    panel: Panel, config: TrainConfig, market: pd.Series | None = None
) -> tuple[dict[str, TrainingSet], tuple[Skipped, ...], pd.Timestamp]:
    """Every member's training set (windows.training_set: its own scalers, or with `--scaling pooled` the one
    scaler of all the members that train, `panel_scaler`; the shared validation period), the members that cannot
    train (too short a history, a covariate it lacks) left out with why, and the validation period's first day. The
    panel is cut at `config.train_end` first. Pure: its inputs are not changed. A `DataError` when no member can
    train."""
    end = parse_day(config.train_end, "--train-end")
    cut = panel.until(end) if end is not None else panel
    val_start = validation_start(cut, config)
    # A cross-sectional target's labels come from the whole (cut) panel, before any member is windowed.
    classes = targets.get(config.target).panel_labels(cut, config)
    sets: dict[str, TrainingSet] = {}
    skipped = list(cut.skipped)
    for symbol, prices in cut.members.items():
        try:
            own = None if classes is None else classes[symbol]
            sets[symbol] = training_set(
                prices.frame, config, prices.source, val_start=val_start, market=market, classes=own
            )
        except DataError as exc:
            skipped.append(Skipped(symbol, prices.source, str(exc)))
    if not sets:
        listed = "; ".join(s.line() for s in skipped[:5])
        raise DataError(f"no member of the panel can train: {listed}")
    if config.scaling == POOLED:  # the same windows again, each member scaled by the one scaler of them all
        one = panel_scaler(sets, config)
        sets = {
            symbol: training_set(
                cut.members[symbol].frame, config, cut.members[symbol].source, val_start=val_start, market=market,
                classes=None if classes is None else classes[symbol], scaler=one,
            )
            for symbol in sets
        }  # fmt: skip
    return sets, tuple(skipped), val_start


def panel_scaler(sets: dict[str, TrainingSet], config: TrainConfig) -> Scaler:
    """`--scaling pooled`: one scaler of the target's encoded values on every member's training rows together (each
    member's training period, `TrainingSet.prices`, nothing after the training end), fitted by the target
    (`Target.fit_pooled_scaler`: for returns, the pooled mean and deviation, Fischer and Krauss's standardisation).
    A member's values start after the target's `extra_days` (a return needs the day before), as its own scaler's
    do."""
    target = targets.get(config.target)
    skip = target.extra_days
    values = np.concatenate([target.encode(d.prices.to_numpy())[skip:] for d in sets.values()])  # (rows,)
    return target.fit_pooled_scaler(values)


def stacked(sets: dict[str, TrainingSet], embedding: bool, part: str) -> np.ndarray:
    """The members' inputs of `part` ("train" or "val") one after the other, in member order: (n, window, channels),
    with the member's index as a last channel when `embedding`."""
    found = []
    for index, data in enumerate(sets.values()):
        x = data.inputs_train if part == "train" else data.inputs_val  # (n_m, window, c)
        if embedding:
            x = np.concatenate([x, np.full((*x.shape[:2], 1), index, dtype="float32")], axis=2)
        found.append(x)
    return np.concatenate(found).astype("float32", copy=False)


def fit_panel(
    panel: Panel,
    config: TrainConfig,
    market: pd.Series | None = None,
    progress: EpochProgress | None = None,
    callbacks: tuple = (),
) -> PanelFit:
    """Train one network on the windows of every member of `panel` up to `config.train_end` (see the module's
    docstring). No I/O. Raises `DataError` when no member can train; members that cannot are left out (with why,
    in `PanelFit.skipped`)."""
    sets, skipped, val_start = panel_windows(panel, config, market)
    target, shape = targets.get(config.target), shapes.of(config)
    embedding = config.symbol_embedding
    x_train, x_val = stacked(sets, embedding, "train"), stacked(sets, embedding, "val")
    y_train = np.concatenate([d.learn_train for d in sets.values()])
    y_val = np.concatenate([d.learn_val for d in sets.values()])
    members = len(sets) if embedding else 0
    # --validate-every member: a check after each member's worth of windows, as one member's model would check
    model, run = train_network(config, x_train, y_train, x_val, y_val, progress, callbacks, members, len(sets))

    # Each member's validation tail, scored as a single symbol's model is (its metrics, intervals, calibrator).
    outputs = shape.one_step(model, x_val)  # (n_val,)
    paths = shape.paths(model, x_val)  # (n_val, H) for a direct head, else None
    records, scalers, verdicts, at = {}, {}, {}, 0
    spans = panel.spans()
    for index, (symbol, data) in enumerate(sets.items()):
        n = len(data.y_val)
        part = slice(at, at + n)
        at += n
        metrics, interval, calibrator = target.validate(
            config, data, outputs[part], None if paths is None else paths[part]
        )
        window = f"its validation tail {data.val_dates.min():%Y-%m-%d}..{data.val_dates.max():%Y-%m-%d}"
        verdicts[symbol] = target.comparisons(metrics, window, config)
        scaler = {**scaler_to_dict(data.scaler), **({"calibrator": calibrator} if calibrator else {})}
        if data.feature_scaler is not None:
            scaler["features"] = data.feature_scaler.to_json()
        scalers[symbol] = scaler
        prices = panel.members[symbol]
        records[symbol] = {
            "index": index,
            **spans[symbol].to_json(),
            "kind": prices.kind,
            "date_format": prices.date_format,
            "ticker": prices.ticker,
            "train_start": f"{data.start:%Y-%m-%d}",
            "train_end": f"{data.end:%Y-%m-%d}",
            "train_rows": len(data.prices),
            "train_windows": len(data.y_train),
            "val_windows": n,
            "val_start": f"{data.val_dates.min():%Y-%m-%d}",
            "val_end": f"{data.val_dates.max():%Y-%m-%d}",
            "metrics": {name: None if s is None else s.to_dict() for name, s in metrics.items()},
            "interval": interval,
            "warnings": list(prices.warnings),
        }
    indices = {symbol: index for index, symbol in enumerate(sets)} if embedding else {}  # as records say
    tested = pooled_validation(model, scalers, config, sets, panel, indices, market)
    calendar = panel.calendar
    firsts = [d.start for d in sets.values()]
    manifest = Manifest(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        config=config,
        data=DataInfo(
            source=f"a panel of {len(sets)} symbols",
            kind="panel",
            sha256=panel.sha256,
            first_day=f"{calendar[0]:%Y-%m-%d}",
            last_day=f"{calendar[-1]:%Y-%m-%d}",
            train_start=f"{min(firsts):%Y-%m-%d}",
            train_end=f"{max(d.end for d in sets.values()):%Y-%m-%d}",
            train_rows=sum(len(d.prices) for d in sets.values()),
            warnings=[f"{s}: {w}" for s in sets for w in panel.members[s].warnings],
            panel={
                "members": records,
                "left_out": [{"symbol": s.symbol, "where": s.where, "why": s.why} for s in skipped],
                "validation_start": f"{val_start:%Y-%m-%d}",
                "features": list(config.feature_names),
                "embedding": EMBEDDING if embedding else 0,
                "windows": int(len(y_train) + len(y_val)),
                "pooled": [c.to_dict() for c in tested],
            },
        ),
        training=run.info(config, len(y_train), len(y_val), sets_days(sets)),
        metrics={},
        interval=None,
        libraries=libraries(),
    )
    return PanelFit(
        model=model,
        scaler={"members": scalers},
        manifest=manifest,
        verdicts=verdicts,
        skipped=skipped,
        windows={s: len(d.y_train) + len(d.y_val) for s, d in sets.items()},
        pooled=tested,
    )


def pooled_validation(
    model: Any,
    scalers: dict[str, dict],
    config: TrainConfig,
    sets: dict[str, TrainingSet],
    panel: Panel,
    indices: dict[str, int],
    market: pd.Series | None = None,
) -> list[Comparison]:
    """The global model against each of its target's baselines over every member's validation days at once: each
    member-day's one-step loss (`Target.day_losses`: in units that do not depend on the price level), then
    `panel_backtest.pooled_test` (each day's cross-sectional mean loss differential, DM/HLN), as `backtest --panel`
    tests a fold. One `Comparison` per (score, baseline), the target's own score and baseline first; none for a
    panel-only target (rank: `Target.day_losses` scores one member's own outcome, not its rank). `indices`: member
    -> its embedding index (empty without --symbol-embedding)."""
    from .panel_backtest import GLOBAL, PanelBacktest, member_losses

    if targets.get(config.target).panel_only:  # its outcome is the cross-section's: one member's losses miss it
        return []
    frames = [
        member_losses(Member(model, indices.get(symbol)), scalers[symbol], config, symbol, panel.members[symbol].frame,
                      panel.members[symbol].source, data.val_dates, 0, market)
        for symbol, data in sets.items()
    ]  # fmt: skip
    losses = pd.concat(frames, ignore_index=True)
    if losses.empty:
        return []
    days = pd.DatetimeIndex(losses["date"])
    window = f"the members' validation days {days.min():%Y-%m-%d}..{days.max():%Y-%m-%d}, pooled"
    return PanelBacktest(config, GLOBAL, [], losses).comparisons(window)


def sets_days(sets: dict[str, TrainingSet]) -> pd.DatetimeIndex:
    """Every member's validation days, together (sorted, unique)."""
    return pd.DatetimeIndex(np.unique(np.concatenate([d.val_dates.to_numpy() for d in sets.values()])))


def pooled(verdicts: dict[str, list[Comparison]]) -> str:
    """The members' first verdicts (against the target's baseline) counted: how many beat it, lost, or showed no
    significant difference, and the median member's score above or below the baseline's, in one line. Per member,
    not one test on the pooled days: the members' errors are in different units (prices of different levels)."""
    firsts = [v[0] for v in verdicts.values() if v]
    if not firsts:
        return "no validation verdict"
    counts: dict[str, int] = {}
    for c in firsts:
        counts[c.outcome] = counts.get(c.outcome, 0) + 1
    changes = [c.change for c in firsts if c.change is not None]
    # change is 1 - model / baseline (significance.Comparison): above 0 the model's error is the smaller one
    middle = float(np.median(changes)) if changes else None
    median = (
        f"; median {firsts[0].score} {abs(middle):.2%} {'below' if middle > 0 else 'above'} {firsts[0].baseline}'s"
        if middle
        else (f"; median {firsts[0].score} equal to {firsts[0].baseline}'s" if middle == 0 else "")
    )
    said = ", ".join(f"{outcome} on {n}" for outcome, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"each of the {len(firsts)} members' own verdicts against {firsts[0].baseline}: {said}{median}"


@dataclass(frozen=True)
class Member:
    """A global model seen as one member's model: what the targets' forecasts call (`predict_on_batch`, through
    backend.predict) gets the member's windows (batch, window, channels); the member's index is added as the last
    channel when the model learned a symbol embedding (`index` not None)."""

    model: Any
    index: int | None = None

    def predict_on_batch(self, batch: np.ndarray) -> Any:
        if self.index is None:
            return self.model.predict_on_batch(batch)
        ids = np.full((*batch.shape[:2], 1), self.index, dtype="float32")  # (batch, window, 1)
        return self.model.predict_on_batch(np.concatenate([batch, ids], axis=2))


def member_manifest(manifest: Manifest, symbol: str) -> Manifest:
    """A global model's manifest as one member's model would have it: the member's data (source, range, checksum,
    training days), its validation scores and interval, symbol `symbol` and version "NAME:vN": what forecasts,
    provenance, standing and the ledger read. A `KeyError` when `symbol` is no member."""
    import dataclasses

    record = (manifest.data.panel or {})["members"][symbol]
    kind = record["kind"]
    source = {"kind": "store", "symbol": symbol} if kind == "store" else {"kind": kind, "csv": record["source"]}
    data = DataInfo(
        source=record["source"], kind=kind, sha256=record["sha256"], first_day=record["first_day"],
        last_day=record["last_day"], train_start=record["train_start"], train_end=record["train_end"],
        train_rows=record["train_rows"], date_format=record.get("date_format"), ticker=record.get("ticker"),
        warnings=list(record.get("warnings", [])), price_source={**source, "adjusted": manifest.config.adjusted},
        market=manifest.data.market,
    )  # fmt: skip
    training = dataclasses.replace(
        manifest.training, train_windows=record["train_windows"], val_windows=record["val_windows"],
        val_start=record["val_start"], val_end=record["val_end"],
    )  # fmt: skip
    return dataclasses.replace(
        manifest, data=data, training=training, interval=record.get("interval"),
        metrics=targets.get(manifest.config.target).read_scores(record["metrics"]),
        symbol=symbol, version=f"{manifest.symbol}:{manifest.version}",
    )  # fmt: skip
