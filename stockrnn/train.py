"""Train stage: fit the network on the training period, evaluate its validation tail, store a new version.

Input: validated `Prices`, a symbol and a `TrainConfig`. Output: `TrainResult` (the stored version's folder,
its manifest and the validation metrics of the model beside persistence).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, backend, store, targets
from .config import TrainConfig
from .manifest import DataInfo, Manifest, TrainingInfo
from .model import build
from .paths import check_symbol, symbol_from_path
from .prices import SYNTHETIC, source_prices
from .significance import Comparison
from .targets import scaler_to_dict
from .validate import Prices
from .windows import training_period, training_set

# progress(epoch, epochs, logs): called after every epoch, e.g. to move a progress bar.
Progress = Callable[[int, int, dict[str, float]], None]


@dataclass(frozen=True)
class TrainResult:
    symbol: str
    folder: Path  # models/<SYMBOL>/v<N>
    manifest: Manifest

    @property
    def metrics(self) -> dict[str, dict]:
        return self.manifest.metrics

    @property
    def comparisons(self) -> list[Comparison]:
        t, config = self.manifest.training, self.manifest.config
        return targets.get(config.target).comparisons(
            self.metrics, f"its validation tail {t.val_start}..{t.val_end}", config
        )

    @property
    def comparison(self) -> Comparison:
        return self.comparisons[0]

    @property
    def verdict(self) -> str:
        return self.comparison.line()


def fit(
    prices: Prices, config: TrainConfig, progress: Progress | None = None, callbacks: tuple = ()
) -> tuple[Any, dict, Manifest]:
    """Train a model on `prices` (no I/O): the Keras model, its scaler's parameters, and its manifest (config,
    data, training history, validation metrics, library versions; symbol and version are the registry's).
    `callbacks`: extra Keras callbacks (the benchmark's per-epoch clock)."""
    data = training_set(prices.frame, config, prices.source)
    target = targets.get(config.target)
    k = backend.keras()
    with backend.seeded(config.seed):  # the same seed, the same model, in any process or thread
        model = build(config)

        class Report(k.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                if progress is not None:
                    progress(epoch + 1, config.epochs, {n: float(v) for n, v in (logs or {}).items()})

        stopper = k.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        callbacks = [Report(), *callbacks, *([stopper] if config.patience > 0 else [])]
        started = time.perf_counter()
        history = model.fit(
            data.x_train[..., None],  # (n_train, window, 1)
            data.y_train,
            validation_data=(data.x_val[..., None], data.y_val),
            epochs=config.epochs,
            batch_size=config.batch_size,
            shuffle=True,  # shuffles training windows only; validation stays the chronological tail
            callbacks=callbacks,
            verbose=0,
        )
    seconds = time.perf_counter() - started
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss)) + 1 if config.patience > 0 else len(val_loss)

    outputs = model.predict(data.x_val[..., None], verbose=0).ravel()  # (n_val,)
    metrics, interval, calibrator = target.validate(config, data, outputs)
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
            warnings=prices.warnings,
        ),
        training=TrainingInfo(
            device=backend.training_device(),
            epochs_run=len(val_loss),
            best_epoch=best,
            stopped_early=len(val_loss) < config.epochs,
            seconds=round(seconds, 2),
            train_windows=len(data.y_train),
            val_windows=len(data.y_val),
            val_start=f"{data.val_dates[0]:%Y-%m-%d}",
            val_end=f"{data.val_dates[-1]:%Y-%m-%d}",
            loss=[float(v) for v in history.history["loss"]],
            val_loss=[float(v) for v in val_loss],
        ),
        metrics=metrics,
        interval=interval,
        libraries={
            "stockrnn": __version__,
            "python": platform.python_version(),
            **backend.versions(),
            **{name: package_version(name) for name in ("numpy", "pandas", "scikit-learn")},
        },
    )
    # The direction target's calibrator is plain JSON beside the scaler's parameters: the output's transform
    # next to the input's.
    return model, {**scaler_to_dict(data.scaler), **({"calibrator": calibrator} if calibrator else {})}, manifest


def train(prices: Prices, symbol: str, config: TrainConfig, progress: Progress | None = None) -> TrainResult:
    """Fit, then store the model as `symbol`'s new champion; one run per symbol at a time (its lock)."""
    symbol = check_symbol(symbol)
    training_period(prices.frame, config, prices.source)  # bad data is refused before anything is written
    with store.lock(symbol):
        model, scaler, manifest = fit(prices, config, progress)
        folder = store.save_version(symbol, backend.model_to_bytes(model), scaler, manifest)
        stored = store.load_version(symbol, folder.name).manifest  # with its symbol, version and checksums
    return TrainResult(symbol=symbol, folder=folder, manifest=stored)


def train_source(
    symbol: str | None,
    csv: str | Path | None,
    config: TrainConfig,
    progress: Progress | None = None,
    offline: bool = False,
    synthetic: dict | None = None,
    date_format: str | None = None,
    strict: bool = False,
) -> TrainResult:
    """Train on the synthetic series (stored as SYNTHETIC unless named), on `csv` (the symbol defaults to the
    file's name) or on `symbol`'s stored and fetched prices."""
    name = check_symbol(symbol) if symbol else None  # before any I/O
    prices = source_prices(name, csv, config.column, offline, config.adjusted, synthetic, date_format, strict)
    default = SYNTHETIC if synthetic is not None else (symbol_from_path(csv) if csv else None)
    return train(prices, name or default, config, progress)
