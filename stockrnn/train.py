"""Train stage: fit the network on the training period and evaluate its validation tail. No I/O.

Input: validated `Prices` and a `TrainConfig`. Output: the Keras model, its scaler's parameters (plain JSON) and
its `Manifest` (config, data, training history, the validation tail's metrics beside the target's baselines,
library versions). Storing it is the application layer's (app/training.py).
"""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any

import numpy as np
import pandas as pd

from . import __version__, backend, backend_choice, shapes, targets
from .config import EPOCH, MEMBER, TrainConfig
from .errors import UsageError
from .manifest import DataInfo, Manifest, TrainingInfo
from .model import build
from .targets import scaler_to_dict
from .validate import Prices
from .windows import training_set

# progress(check, checks, logs, unit): called after every validation check, e.g. to move a progress bar; unit is
# "epoch" when a check comes after every pass over the training windows, else "check" (--validate-every).
EpochProgress = Callable[[int, int, dict[str, float], str], None]


def _cross_entropy(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)  # Keras' epsilon
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# The targets' Keras losses on NumPy arrays: actual and predicted, (n,) or (n, k) -> their mean, as Keras reports it.
LOSSES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mean_squared_error": lambda y, p: float(np.mean((y - p) ** 2)),
    "binary_crossentropy": _cross_entropy,
}


@dataclass(frozen=True)
class Run:
    """What one training run measured: its losses per validation check (an epoch unless --validate-every makes
    checks more often), the best check, its wall seconds and the training windows between two checks (None: a
    pass over all of them, an epoch)."""

    loss: list[float]
    val_loss: list[float]
    best_epoch: int
    seconds: float
    check_windows: int | None = None

    def info(
        self, config: TrainConfig, train_windows: int, val_windows: int, val_days: pd.DatetimeIndex
    ) -> TrainingInfo:
        """The manifest's record of it."""
        return TrainingInfo(
            device=backend.training_device(),
            backend=backend_choice.name(),
            epochs_run=len(self.val_loss),
            best_epoch=self.best_epoch,
            stopped_early=len(self.val_loss) < config.epochs,
            seconds=round(self.seconds, 2),
            train_windows=train_windows,
            val_windows=val_windows,
            val_start=f"{val_days.min():%Y-%m-%d}",
            val_end=f"{val_days.max():%Y-%m-%d}",
            loss=self.loss,
            val_loss=self.val_loss,
            check_windows=self.check_windows,
        )


def check_steps(config: TrainConfig, windows: int, series: int = 1) -> int:
    """Training steps (batches of min(batch_size, windows)) between two validation checks, for `windows` training
    windows pooled from `series` series (a panel's members): a pass over all of them (`epoch`; `member` for one
    series), the mean windows of a series (`member`) or `validate_every` windows (N), rounded to whole batches, at
    least one and at most a pass."""
    size = min(config.batch_size, windows)
    per_pass = -(-windows // size)
    every = config.validate_every
    if every == EPOCH or (every == MEMBER and series <= 1):
        return per_pass
    wanted = windows / series if every == MEMBER else int(every)
    return min(per_pass, max(1, math.floor(wanted / size + 0.5)))


class Stream:
    """The order in which training windows are read: passes over all `n` windows, each a new seeded permutation
    completed to whole batches of `size` with its own first windows (one batch shape: one compiled training step),
    read `steps` batches at a time, one validation check each: a pass may span several checks. `begin()` starts
    the next check (Keras' epoch); `rows(i)`: the window indices of its batch i, (size,). A permutation is drawn
    before the first check (the batches Keras reads to learn their shapes), then one as each pass begins: with
    `steps` a pass, the draws of one shuffle per epoch."""

    def __init__(self, n: int, size: int, steps: int, seed: int) -> None:
        self.n, self.size, self.steps = n, size, steps
        self.per_pass = -(-n // size)
        self.shuffle = np.random.default_rng(seed)
        self.orders = {-1: self._order()}  # pass -> its order; pass -1: before the first check
        self.first = -steps  # the batch (counted over all passes) at which the current check begins

    def _order(self) -> np.ndarray:
        order = self.shuffle.permutation(self.n)
        return np.concatenate([order, order[: self.per_pass * self.size - self.n]])  # (per_pass * size,)

    def begin(self) -> None:
        self.first += self.steps
        passes = range(self.first // self.per_pass, (self.first + self.steps - 1) // self.per_pass + 1)
        for p in passes:
            if p not in self.orders:
                self.orders[p] = self._order()
        for p in [p for p in self.orders if p < passes.start]:
            del self.orders[p]

    def rows(self, i: int) -> np.ndarray:
        at = self.first + i
        j = at % self.per_pass
        return self.orders[at // self.per_pass][j * self.size : (j + 1) * self.size]


def train_network(
    config: TrainConfig,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    progress: EpochProgress | None = None,
    callbacks: tuple = (),
    members: int = 0,
    series: int = 1,
) -> tuple[Any, Run]:
    """Build the config's network for inputs (n, window, channels) and fit it on (x_train, y_train), early-stopped
    on the loss of (x_val, y_val), checked as often as `config.validate_every` says (`check_steps`: the training
    windows come from `series` series, a panel's members); `members` > 0: the inputs' last channel is a member index
    for the symbol embedding (model.build). y: (n,) or (n, outputs), the shape's labels. No I/O."""
    target, shape = targets.get(config.target), shapes.of(config)
    k = backend.keras()
    # Keras' base classes as names: mypy takes no base class from an attribute of a local (Keras is untyped: Any).
    PyDataset: Any = k.utils.PyDataset
    Callback: Any = k.callbacks.Callback
    with backend.seeded(config.seed):  # the same seed, the same model, in any process or thread
        model = build(config, channels=x_train.shape[2] - (1 if members else 0), members=members)

        n = len(y_train)
        steps = check_steps(config, n, series)
        stream = Stream(n, min(config.batch_size, n), steps, config.seed)

        class Batches(PyDataset):
            """One validation check's batches of the seeded stream of passes (Stream): Keras' epoch is a check,
            a pass over every training window when --validate-every is `epoch`, less for a panel's `member`."""

            def __len__(self) -> int:
                return steps

            def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
                rows = stream.rows(i)
                return x_train[rows], y_train[rows]  # (size, window, channels), (size,) or (size, outputs)

            def on_epoch_begin(self) -> None:
                stream.begin()

        class Validate(Callback):
            """The validation tail's loss after each check (Keras' epoch) through the one compiled prediction call
            (backend.predict), for early stopping: Keras' own evaluation would compile a step per batch shape. The
            loss the network trains on: over every output of its shape (shapes.py)."""

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                if logs is not None:
                    logs["val_loss"] = LOSSES[target.loss](y_val, shape.outputs(self.model, x_val))

        class Report(Callback):
            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                if progress is not None:
                    progress(epoch + 1, config.epochs, {n: float(v) for n, v in (logs or {}).items()}, unit)

        unit = "epoch" if steps == stream.per_pass else "check"
        stopper = k.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        # Keras hands every callback the same logs: Validate first, so that the others see val_loss.
        every = [Validate(), Report(), *callbacks, *([stopper] if config.patience > 0 else [])]
        started = time.perf_counter()
        # shuffle=False: Batches shuffles, from the seed; Keras would reorder its batches with Python's shared
        # `random`, which other threads draw from too.
        history = model.fit(Batches(), epochs=config.epochs, shuffle=False, callbacks=every, verbose=0)
    seconds = time.perf_counter() - started
    val_loss = [float(v) for v in history.history["val_loss"]]
    best = int(np.argmin(val_loss)) + 1 if config.patience > 0 else len(val_loss)
    between = None if steps == stream.per_pass else steps * stream.size  # windows between checks; None: a pass
    return model, Run([float(v) for v in history.history["loss"]], val_loss, best, seconds, between)


def libraries() -> dict[str, str]:
    """The versions a manifest records."""
    return {
        "stockrnn": __version__,
        "python": platform.python_version(),
        **backend_choice.library_versions(),
        **{name: package_version(name) for name in ("numpy", "pandas", "scipy")},
    }


def fit(
    prices: Prices,
    config: TrainConfig,
    progress: EpochProgress | None = None,
    callbacks: tuple = (),
    market: pd.Series | None = None,
) -> tuple[Any, dict, Manifest]:
    """Train a model on `prices` (no I/O): the Keras model, its scaler's parameters, and its manifest (config,
    data, training history, validation metrics, library versions; symbol and version are the registry's).
    `callbacks`: extra Keras callbacks (the benchmark's per-epoch clock); `market`: the market's closes by date, for
    the `market` feature. A `UsageError` for --symbol-embedding, which is a panel's."""
    if config.symbol_embedding:
        raise UsageError("--symbol-embedding learns one vector per member of a panel; train with --panel DIR")
    data = training_set(prices.frame, config, prices.source, market=market)
    target, shape = targets.get(config.target), shapes.of(config)
    x_train, x_val = data.inputs_train, data.inputs_val  # (n_train, window, 1 + k), (n_val, window, 1 + k)
    model, run = train_network(config, x_train, data.learn_train, x_val, data.learn_val, progress, callbacks)
    outputs = shape.one_step(model, x_val)  # (n_val,): the next value's, whatever the shape
    # A direct head's paths on the tail calibrate its band step by step (None for recursive paths).
    metrics, interval, calibrator = target.validate(config, data, outputs, shape.paths(model, x_val))
    manifest = Manifest(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        config=config,
        data=DataInfo(
            source=prices.source,
            kind=prices.kind,
            sha256=prices.sha256,
            first_day=f"{prices.frame.index[0]:%Y-%m-%d}",
            last_day=f"{prices.frame.index[-1]:%Y-%m-%d}",
            train_start=f"{data.start:%Y-%m-%d}",
            train_end=f"{data.end:%Y-%m-%d}",
            train_rows=len(data.prices),
            repairs=prices.repairs,
            synthetic=prices.params or None,
            date_format=prices.date_format,
            warnings=[*prices.warnings, *([prices.substitute] if prices.substitute else [])],
            ticker=prices.ticker,
            headers=dict(prices.headers) if prices.kind == "csv" and prices.headers else None,
        ),
        training=run.info(config, len(data.y_train), len(data.y_val), data.val_dates),
        metrics=metrics,
        interval=interval,
        libraries=libraries(),
    )
    # The direction target's calibrator is plain JSON beside the scaler's parameters: the output's transform
    # next to the input's.
    scaler = {**scaler_to_dict(data.scaler), **({"calibrator": calibrator} if calibrator else {})}
    if data.feature_scaler is not None:  # the covariates' scaling beside the target's
        scaler["features"] = data.feature_scaler.to_json()
    return model, scaler, manifest
