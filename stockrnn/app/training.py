"""Application layer, training: train on a price source and store the model as the symbol's new champion.

Input: a `PriceSource`, a `TrainConfig` and an optional progress callback. Output: `TrainResult` (the stored
version's folder, its manifest and its validation tail's verdicts). One run per symbol at a time (its lock); bad
data is refused before anything is written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import backend, registry, shapes, targets
from ..config import TrainConfig
from ..errors import DataError
from ..features import covers
from ..intervals import thin_steps
from ..manifest import Manifest
from ..paths import check_symbol
from ..price_source import PriceSource
from ..significance import Comparison
from ..train import EpochProgress, fit
from ..validate import Prices, read_from
from ..windows import training_period
from .panel import check_market, market_again, market_needed
from .prices import load


@dataclass(frozen=True)
class TrainResult:
    symbol: str
    folder: Path  # models/<SYMBOL>/v<N>
    manifest: Manifest
    replaced: Manifest | None = None  # the champion this version replaced (None: the first, or an unreadable one)

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
    def shape(self) -> str:
        """The network's output shape in words, as predict's JSON says it: 'many-to-one', 'direct, 5 days', ..."""
        return shapes.of(self.manifest.config).describe()

    @property
    def default_shape(self) -> bool:
        """The shape stockrnn always had (many-to-one, recursive paths), which summaries leave unsaid."""
        return shapes.of(self.manifest.config) == shapes.ManyToOne()

    @property
    def column_line(self) -> str | None:
        """Which of the file's columns the model learned, where the file names it otherwise than the column (e.g.
        quantmod's AAPL.Close); None where its name says it."""
        headers = self.manifest.data.headers
        return read_from(headers, self.manifest.config.column) if headers else None

    @property
    def comparison(self) -> Comparison:
        return self.comparisons[0]

    @property
    def verdict(self) -> str:
        return self.comparison.line()

    @property
    def warnings(self) -> list[str]:
        """What a person must know of this promotion, each with the way back: the new champion significantly lost to
        a baseline on its own validation tail, or it learned another target than the champion it replaced (what
        predict returns changed); and a multi-day head's band calibrated on fewer than `intervals.MIN_ORIGINS`
        validation origins."""
        new, old = self.manifest, self.replaced
        back = (
            f"the way back: stockrnn models rollback {self.symbol} (makes {old.version} the champion again)"
            if old
            else "there is no earlier champion to roll back to"
        )
        found = [
            f"{self.symbol} {new.version} is now the champion, but it significantly lost to {c.baseline} on its own "
            f"validation tail ({c.score} {c.model_rmse:.4g} vs {c.baseline_rmse:.4g}, DM p = {c.test.p_value:.2f}); "
            f"{back}"
            for c in self.comparisons
            if c.significant and c.outcome == "lost" and c.test.p_value is not None
        ]
        thin = thin_steps(new.interval)  # also said by predict, from the same stored calibration
        if thin is not None:
            found.append(f"{self.symbol} {new.version}: {thin}")
        if old is not None and old.config.target != new.config.target:
            was, now = (targets.get(m.config.target) for m in (old, new))
            found.append(
                f"{self.symbol} {new.version} learned {now.name} ({now.help}); the champion it replaced, "
                f"{old.version}, learned {was.name} ({was.help}): stockrnn predict {self.symbol} now returns the "
                f"{now.name} model's forecast; {back}"
            )
        return found

    def scores_view(self, title: str) -> list:
        """The validation tail's scores as printable items (its target's table)."""
        return targets.get(self.manifest.config.target).scores_view(title, self.metrics)


def train_prices(
    prices: Prices,
    symbol: str,
    config: TrainConfig,
    progress: EpochProgress | None = None,
    source: PriceSource | None = None,
    market: pd.Series | None = None,
    market_source: str | None = None,
) -> TrainResult:
    """Fit, then store the model as `symbol`'s new champion; one run per symbol at a time (its lock). A champion
    that significantly lost to a baseline on its validation tail, or of another target than the one it replaced, is
    said with the way back (`TrainResult.warnings`; the command line logs them as WARNING lines). Raises
    `UsageError` for a bad symbol or one whose entry holds a global model, `DataError` for data that cannot train,
    `LockedError` (exit 75) when another run holds the symbol, `CannotWriteError` when the registry cannot be
    written."""
    symbol = check_symbol(symbol)
    config.check_alone()
    registry.refuse_other_kind(symbol, panel=False)  # a global model's entry is not this symbol's
    training_period(prices.frame, config, prices.source)  # bad data is refused before anything is written
    with registry.lock(symbol):
        model, scaler, manifest = fit(prices, config, progress, market=market)
        try:
            current = registry.champion(symbol)
        except DataError:  # a damaged pointer: nothing to compare with, and this version replaces it
            current = None
        replaced = registry.read_manifest(symbol, current) if current else None
        if source is not None:  # recorded as given: where the next retrain and predict read the prices again
            manifest = dataclasses.replace(
                manifest, data=dataclasses.replace(manifest.data, price_source=source.to_json())
            )
        if market_source is not None:  # where predict reads the market's prices again
            manifest = dataclasses.replace(manifest, data=dataclasses.replace(manifest.data, market=market_source))
        folder = registry.save_version(symbol, backend.model_to_bytes(model), scaler, manifest)
        stored = registry.load_version(symbol, folder.name).manifest  # with its symbol, version and checksums
    return TrainResult(symbol=symbol, folder=folder, manifest=stored, replaced=replaced)


def train(
    source: PriceSource, config: TrainConfig, progress: EpochProgress | None = None, market: str | None = None
) -> TrainResult:
    """Train on `source`'s prices: the model is stored as its name (the symbol; SYNTHETIC for the synthetic series
    unless named; a file's name unless named). `market`: a file or a symbol, the market's prices for the `market`
    feature (checked to cover the training period)."""
    name = source.name
    config.check_alone()  # before any I/O: what only a panel learns
    check_market(config, market)
    if name is not None:
        check_symbol(name)  # before any I/O
        registry.refuse_other_kind(name, panel=False)
    if config.mixed_precision:  # refused before the data is read, where this backend cannot train it
        backend.check_mixed_precision(config.cell)
    source = source.seeded(config.seed)
    prices = load(source, config.column, config.calendar)  # without a name: a UsageError saying what is missing
    found = market_needed(config, market, None, source.offline, source.adjusted)
    if found is None or market is None:
        return train_prices(prices, name or "", config, progress, source)
    series, where = found
    period = training_period(prices.frame, config, prices.source)
    covers(series, period.index[0], period.index[-1], where)
    return train_prices(prices, name or "", config, progress, source, series, market_again(market))
