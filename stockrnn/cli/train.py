"""`stockrnn train`: validate, window, scale, train; store a new version; print its validation tail's scores."""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from .. import app
from ..config import TrainConfig
from ..price_source import PriceSource
from .common import (
    PANEL,
    BackendOpt,
    JsonOpt,
    MarketOpt,
    PanelListOpt,
    PanelOpt,
    err,
    fail,
    print_json,
    refuse_one_symbol,
    say,
    show,
)
from .options import source_options, training_options

NameOpt = Annotated[
    str | None, typer.Option("--name", help="The global model's name in the registry.", rich_help_panel=PANEL)
]

log = logging.getLogger("stockrnn")


@training_options()
@source_options()
def train(
    panel: PanelOpt = None,
    watchlist: PanelListOpt = None,
    name: NameOpt = None,
    market: MarketOpt = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    source: PriceSource,
    config: TrainConfig,
) -> None:
    """Train a model on a symbol's prices or a price file; store it as the symbol's new current version. With --panel
    or --watchlist: one global model on every member's windows, stored as --name.

    Example: stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-start 2012-01-01 --train-end 2016-12-30
    """
    config = dataclasses.replace(config, adjusted=source.adjusted)
    if panel is not None or watchlist is not None or name is not None:
        _train_panel(panel, watchlist, name, market, backend, as_json, source, config)
        return
    app.use_backend(backend)
    with EpochBar(enabled=not as_json) as progress:
        result = app.train(source, config, progress, market=market)
    if as_json:
        print_json({"symbol": result.symbol, "folder": str(result.folder), "shape": result.shape,
                    "verdict": result.verdict, "comparisons": [c.to_dict() for c in result.comparisons],
                    "warnings": result.warnings,
                    **result.manifest.to_dict()})  # fmt: skip
        _warn(result.warnings)
        return
    m = result.manifest
    t, d = m.training, m.data
    shape = "" if result.default_shape else f" ({result.shape})"
    say(
        f"trained [bold]{result.symbol}[/] {m.version}{shape} on {d.train_start} to {d.train_end} "
        f"({d.train_rows} days) in {t.seconds:.1f} s on {t.device}: {t.run_words()}"
    )
    if result.column_line:
        say(result.column_line)
    ahead = "one step ahead" if m.config.horizon_days is None else f"{m.config.horizon} days ahead, P(up)"
    show(result.scores_view(f"Validation tail, {ahead}: {t.val_start} to {t.val_end} ({t.val_windows} days)"))
    for comparison in result.comparisons:
        say(comparison.line())
    say(f"model saved in {result.folder}")
    _warn(result.warnings)


def _train_panel(
    panel: Path | None, watchlist: Path | None, name: str | None, market: str | None, backend: str, as_json: bool,
    source: PriceSource, config: TrainConfig,
) -> None:  # fmt: skip
    """`train --panel DIR | --watchlist FILE --name NAME`: one global model; exits 1 when a member was left out."""
    if name is None:
        fail("--panel and --watchlist train one model for many symbols: name it with --name NAME")
    if panel is None and watchlist is None:
        fail("--name names a global model: give its members with --panel DIR or --watchlist FILE")
    refuse_one_symbol(source)
    members = app.PanelSource(panel, watchlist, source.adjusted, source.offline, source.strict)
    app.use_backend(backend)
    with EpochBar(enabled=not as_json) as progress:
        result = app.train_panel(members, name, config, market, progress)
    m = result.manifest
    t, d = m.training, m.data
    record = d.panel or {}
    if as_json:
        print_json({"name": result.name, "folder": str(result.folder), "verdict": result.verdict,
                    "pooled": [c.to_dict() for c in result.pooled], "counted": result.counted,
                    "members": {s: [c.to_dict() for c in v] for s, v in result.verdicts.items()},
                    "left_out": record.get("left_out", []), **m.to_dict()})  # fmt: skip
    else:
        say(
            f"trained [bold]{result.name}[/] {m.version}, one model for {len(result.members)} members, on "
            f"{t.train_windows + t.val_windows} windows of {d.train_start} to {d.train_end} (one training end for "
            f"all: {d.train_end}), in {t.seconds:.1f} s on {t.device}: {t.run_words()}"
        )
        say(f"validation: {record.get('validation_start')} to {t.val_end} for every member ({t.val_windows} windows)")
        for comparison in result.pooled:
            say(comparison.line())
        say(result.counted)
        for left in result.skipped:
            said = left.why if left.why.startswith(left.where) else f"{left.where}: {left.why}"  # the file once
            say(f"left out: {said}")
        say(f"model saved in {result.folder}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _warn(warnings: list[str]) -> None:
    """After the results, where they are read: what changed with this promotion, and the way back."""
    for warning in warnings:
        log.warning("%s", warning)


class EpochBar:
    """Training progress by validation check (an epoch, or a member's worth of windows: --validate-every): a rich
    bar on a terminal, one timestamped log line per check without one."""

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

    def __call__(self, epoch: int, epochs: int, logs: dict[str, float], unit: str = "epoch") -> None:
        losses = f"loss {logs.get('loss', float('nan')):.5f} val_loss {logs.get('val_loss', float('nan')):.5f}"
        if self.bar is not None:
            self.bar.update(self.task, completed=epoch, total=epochs, loss=f"{unit}s {losses}")
        else:
            log.info("%s %d/%d %s", unit, epoch, epochs, losses)

    def __enter__(self) -> EpochBar:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
