"""`stockrnn train`: validate, window, scale, train; store a new version; print its validation tail's scores."""

from __future__ import annotations

import dataclasses
import logging
import sys

from .. import app
from ..config import TrainConfig
from ..price_source import PriceSource
from .common import BackendOpt, JsonOpt, err, print_json, say, show
from .options import source_options, training_options

log = logging.getLogger("stockrnn")


@training_options()
@source_options()
def train(backend: BackendOpt = "auto", as_json: JsonOpt = False, *, source: PriceSource, config: TrainConfig) -> None:
    """Train a model on a symbol's prices or a price file; store it as the symbol's new current version.

    Example: stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-start 2012-01-01 --train-end 2016-12-30
    """
    app.use_backend(backend)
    config = dataclasses.replace(config, adjusted=source.adjusted)
    with EpochBar(enabled=not as_json) as progress:
        result = app.train(source, config, progress)
    if as_json:
        print_json({"symbol": result.symbol, "folder": str(result.folder), "verdict": result.verdict,
                    "comparisons": [c.to_dict() for c in result.comparisons], "warnings": result.warnings,
                    **result.manifest.to_dict()})  # fmt: skip
        _warn(result.warnings)
        return
    m = result.manifest
    t, d = m.training, m.data
    stopped = " (stopped early)" if t.stopped_early else ""
    say(
        f"trained [bold]{result.symbol}[/] {m.version} on {d.train_start} to {d.train_end} ({d.train_rows} days) "
        f"in {t.seconds:.1f} s on {t.device}: {t.epochs_run} epoch{'s' * (t.epochs_run != 1)}, best {t.best_epoch}"
        f"{stopped}"
    )
    if result.column_line:
        say(result.column_line)
    ahead = "one step ahead" if m.config.horizon_days is None else f"{m.config.horizon} days ahead, P(up)"
    show(result.scores_view(f"Validation tail, {ahead}: {t.val_start} to {t.val_end} ({t.val_windows} days)"))
    for comparison in result.comparisons:
        say(comparison.line())
    say(f"model saved in {result.folder}")
    _warn(result.warnings)


def _warn(warnings: list[str]) -> None:
    """After the results, where they are read: what changed with this promotion, and the way back."""
    for warning in warnings:
        log.warning("%s", warning)


class EpochBar:
    """Epoch progress: a rich bar on a terminal, one timestamped log line per epoch without one."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("training"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[loss]}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self.task = self.bar.add_task("train", total=None, loss="")

    def __call__(self, epoch: int, epochs: int, logs: dict[str, float]) -> None:
        losses = f"loss {logs.get('loss', float('nan')):.5f} val_loss {logs.get('val_loss', float('nan')):.5f}"
        if self.bar is not None:
            self.bar.update(self.task, completed=epoch, total=epochs, loss=losses)
        else:
            log.info("epoch %d/%d %s", epoch, epochs, losses)

    def __enter__(self) -> EpochBar:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
