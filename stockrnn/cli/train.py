"""`stockrnn train`: validate, window, scale, train; store a new version; print its validation tail's scores."""

from __future__ import annotations

import logging
import sys
from typing import Any

from ..config import TrainConfig
from .common import (
    BackendOpt,
    CsvOpt,
    DateFormatOpt,
    JsonOpt,
    NoiseOpt,
    OfflineOpt,
    RawOpt,
    StrictOpt,
    SymbolArg,
    SymbolOpt,
    SyntheticOpt,
    err,
    one_symbol,
    print_json,
    print_metrics,
    run,
    say,
    use_backend,
)
from .options import training_options

log = logging.getLogger("stockrnn")


@training_options()
def train(
    symbol_arg: SymbolArg = None,
    csv: CsvOpt = None,
    symbol: SymbolOpt = None,
    date_format: DateFormatOpt = None,
    strict: StrictOpt = False,
    offline: OfflineOpt = False,
    raw: RawOpt = False,
    synthetic: SyntheticOpt = False,
    noise: NoiseOpt = 0.0,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    training: dict[str, Any],
) -> None:
    """Train a model on a symbol's prices or a price file; store it as the symbol's new current version.

    Example: stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-start 2012-01-01 --train-end 2016-12-30
    """
    use_backend(backend)
    from ..train import train_source

    name = one_symbol(symbol_arg, symbol)  # checked before any I/O; train_source names a file's model itself
    config = run(lambda: TrainConfig(**training, adjusted=not raw))
    with Progress(enabled=not as_json) as progress:
        generated = {"noise": noise, "seed": config.seed} if synthetic else None
        result = run(lambda: train_source(name, csv, config, progress, offline, generated, date_format, strict))
    if as_json:
        print_json({"symbol": result.symbol, "folder": str(result.folder), "verdict": result.verdict,
                    "comparison": result.comparison.to_dict(),
                    "comparisons": [c.to_dict() for c in result.comparisons], **result.manifest.to_dict()})  # fmt: skip
        return
    m = result.manifest
    t, d = m.training, m.data
    stopped = " (stopped early)" if t.stopped_early else ""
    say(
        f"trained [bold]{result.symbol}[/] {m.version} on {d.train_start} to {d.train_end} ({d.train_rows} days) "
        f"in {t.seconds:.1f} s on {t.device}: {t.epochs_run} epochs, best {t.best_epoch}{stopped}"
    )
    ahead = "one step ahead" if m.config.horizon_days is None else f"{m.config.horizon} days ahead, P(up)"
    print_metrics(f"Validation tail, {ahead}: {t.val_start} to {t.val_end} ({t.val_windows} days)", m.metrics)
    for comparison in result.comparisons:
        say(comparison.line())
    say(f"model saved in {result.folder}")


class Progress:
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

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
