"""`stockrnn study`: Fischer and Krauss's rolling study periods on a panel: one rank model per period, its
out-of-sample scores traded long-short each day, per period and pooled."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import app
from ..config import COST_BPS
from .common import (
    BackendOpt,
    CostOpt,
    ErasOpt,
    FirstOpt,
    JsonOpt,
    LongOnlyOpt,
    MarketOpt,
    OfflineOpt,
    PeriodsOpt,
    RawOpt,
    SpecOpt,
    StrictOpt,
    StudyFillOpt,
    StudyOpt,
    TopKOpt,
    err,
    print_json,
    say,
    show,
)
from .options import training_options
from .train import PANEL

log = logging.getLogger("stockrnn")

FILLS = {"both": ("close", "same-close"), "close": ("close",), "same-close": ("same-close",)}
# The training options a study does not take: its periods set the training days, its target is rank, its windows
# are the members' own returns of one step (backtest --study refuses them by these names).
NOT_A_STUDYS = ("train_start", "train_end", "target", "horizon_days", "features", "output", "output_days",
                "sequence_loss")  # fmt: skip
DEFAULT_STUDY = "750:250"  # Fischer and Krauss's 750 training days : 250 trading days


@training_options(skip=NOT_A_STUDYS, overrides=True, overriding="the --spec")
def study(
    panel: Annotated[
        Path | None,
        typer.Option("--panel", metavar="DIR", rich_help_panel=PANEL, help="The members: every price file here."),
    ] = None,
    watchlist: Annotated[
        Path | None,
        typer.Option(
            "--watchlist",
            metavar="FILE",
            rich_help_panel=PANEL,
            help="The members: the symbols of this watchlist (SYMBOL, or SYMBOL csv=FILE a line).",
        ),
    ] = None,  # fmt: skip
    market: MarketOpt = None,
    offline: OfflineOpt = False,
    strict: StrictOpt = False,
    raw: RawOpt = False,
    periods_spec: StudyOpt = None,
    periods: PeriodsOpt = None,
    first: FirstOpt = None,
    spec: SpecOpt = None,
    top_k: TopKOpt = None,
    eras: ErasOpt = None,
    long_only: LongOnlyOpt = False,
    cost_bps: CostOpt = COST_BPS,
    fill: StudyFillOpt = None,
    plot_file: Annotated[
        Path | None, typer.Option("--plot", metavar="FILE", help="Also write the pooled equity curves to FILE.")
    ] = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    overrides: dict[str, Any],
) -> None:
    """Fischer and Krauss's study periods: a rank model (P(next-day return above the panel's median)) trained on the
    days before each trading period, its scores traded long the top k and short the bottom k each day, beside the
    equal-weighted panel and the index; every number per period and pooled. The same as backtest --panel DIR
    --study TRAIN:TRADE.

    Example: stockrnn study --panel prices/ --market GSPC --study 750:250 --spec fischer-krauss --top-k scaled
    --top-k 10 --eras 2010-01-01
    """
    run_study(panel, watchlist, market, offline, strict, raw, periods_spec or DEFAULT_STUDY, periods, first, spec,
              top_k, eras, long_only, cost_bps, fill, plot_file, backend, as_json, overrides)  # fmt: skip


def run_study(
    panel: Path | None, watchlist: Path | None, market: str | None, offline: bool, strict: bool, raw: bool,
    periods_spec: str, periods: int | None, first: str | None, spec: str | None, top_k: list[str] | None,
    eras: list[str] | None, long_only: bool, cost_bps: float, fill: str | None, plot_file: Path | None, backend: str,
    as_json: bool, overrides: dict[str, Any],
) -> None:  # fmt: skip
    """`stockrnn study` and `stockrnn backtest --study`: the options parsed, the study run (app.study), printed."""
    import pandas as pd

    from ..errors import UsageError

    if (panel is None) == (watchlist is None):
        raise UsageError("study: give the panel's members with --panel DIR or --watchlist FILE (one of them)")
    fill = fill or "both"
    if fill not in FILLS:
        raise UsageError(f"--fill must be one of {', '.join(FILLS)}, not {fill!r}")
    config = app.study_config(spec, {**overrides, "adjusted": not raw})
    try:
        start = None if first is None else pd.Timestamp(first)
    except ValueError:
        raise UsageError(f"--first {first!r} is not a date; use YYYY-MM-DD") from None
    plan = app.StudySpec.parse(periods_spec, periods, start)
    trading = app.Trading.parse(top_k or ["10"], long_only, cost_bps, FILLS[fill])
    cuts = app.parse_eras(eras or [])
    source = app.PanelSource(panel, watchlist, not raw, offline, strict)
    app.use_backend(backend)

    def done(result: Any) -> None:
        line = result.line()
        err.print(line, soft_wrap=True, highlight=False) if as_json else say(line)

    report = app.study(source, config, plan, trading, market, done, plot_file, cuts)
    if as_json:
        print_json(report.to_json())
    else:
        show(report.render())
        if report.plot is not None:
            say(f"plot written to {report.plot}")
    if report.exit_code:  # a member was left out (said in a warning and under the tables): as train --panel
        raise typer.Exit(report.exit_code)
