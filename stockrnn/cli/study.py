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
    SOURCE,
    STRATEGY,
    BackendOpt,
    CostOpt,
    JsonOpt,
    OfflineOpt,
    RawOpt,
    StrictOpt,
    err,
    print_json,
    ranged,
    say,
    show,
)
from .options import training_options
from .train import PANEL

log = logging.getLogger("stockrnn")

STUDY = "Study"
FILLS = {"both": ("close", "same-close"), "close": ("close",), "same-close": ("same-close",)}


@training_options(
    skip=("train_start", "train_end", "target", "horizon_days", "features", "output", "output_days", "sequence_loss"),
    overrides=True,
    overriding="the --spec",
)
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
    market: Annotated[
        str | None,
        typer.Option(
            "--market",
            metavar="FILE|SYMBOL",
            rich_help_panel=SOURCE,
            help="The index beside the portfolio: a member's symbol (then not a member), a file or a symbol.",
        ),
    ] = None,  # fmt: skip
    offline: OfflineOpt = False,
    strict: StrictOpt = False,
    raw: RawOpt = False,
    periods_spec: Annotated[
        str,
        typer.Option(
            "--study",
            metavar="TRAIN:TRADE",
            rich_help_panel=STUDY,
            help="Training days before each trading period : trading days in it (Fischer and Krauss: "
            "750:250); the trading periods follow one another and never overlap.",
        ),
    ] = "750:250",  # fmt: skip
    periods: Annotated[
        int | None, ranged("periods", "Only the first N periods (default: all).", rich_help_panel=STUDY)
    ] = None,
    first: Annotated[
        str | None,
        typer.Option(
            "--first",
            metavar="YYYY-MM-DD",
            rich_help_panel=STUDY,
            help="No trading period starts before this day (default: the first with enough days before).",
        ),
    ] = None,  # fmt: skip
    spec: Annotated[
        str | None,
        typer.Option(
            "--spec",
            metavar="fischer-krauss|stockrnn",
            rich_help_panel=STUDY,
            help="The network: fischer-krauss (240-day windows, LSTM 25, dropout 0.1, RMSprop, patience 10, "
            "the adjusted close) or stockrnn (its defaults; the default); the training options override it.",
        ),
    ] = None,  # fmt: skip
    top_k: Annotated[
        list[str] | None,
        typer.Option(
            "--top-k",
            metavar="K|scaled",
            rich_help_panel=STRATEGY,
            help="Names long (and short) each day; several times: each k traded on the same scores (the plot draws "
            "the first). scaled: 10 of 500 members, scaled to the panel (max(1, round(10 x members / 500))). "
            "Default 10.",
        ),
    ] = None,  # fmt: skip
    eras: Annotated[
        list[str] | None,
        typer.Option(
            "--eras",
            metavar="YYYY-MM-DD",
            rich_help_panel=STUDY,
            help="Also split the pooled portfolios at this day (several times: several cuts), e.g. 2010-01-01.",
        ),
    ] = None,  # fmt: skip
    long_only: Annotated[
        bool, typer.Option("--long-only", rich_help_panel=STRATEGY, help="Only the top k, long: no short leg.")
    ] = False,
    cost_bps: CostOpt = COST_BPS,
    fill: Annotated[
        str,
        typer.Option(
            "--fill",
            metavar="both|close|same-close",
            rich_help_panel=STRATEGY,
            help="close: at the next close (executable); same-close: at the close the scores are made at "
            "(Fischer and Krauss's convention, optimistic); both (the default): each beside the other.",
        ),
    ] = "both",  # fmt: skip
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
    equal-weighted panel and the index; every number per period and pooled.

    Example: stockrnn study --panel prices/ --market GSPC --study 750:250 --spec fischer-krauss --top-k scaled
    --top-k 10 --eras 2010-01-01
    """
    import pandas as pd

    from ..errors import UsageError

    if (panel is None) == (watchlist is None):
        raise UsageError("study: give the panel's members with --panel DIR or --watchlist FILE (one of them)")
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
        return
    show(report.render())
    if report.plot is not None:
        say(f"plot written to {report.plot}")
