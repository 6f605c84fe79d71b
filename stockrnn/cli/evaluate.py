"""`stockrnn backtest`: walk-forward evaluation over many cut-offs, per fold and in aggregate."""

from __future__ import annotations

import logging
import statistics
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..config import HORIZON, LEVEL, TrainConfig
from .common import (
    BackendOpt,
    CsvOpt,
    DaskOpt,
    DateFormatOpt,
    JsonOpt,
    LevelOpt,
    NoiseOpt,
    OfflineOpt,
    RawOpt,
    StrictOpt,
    SymbolArg,
    SymbolOpt,
    SyntheticOpt,
    TimeoutOpt,
    completion,
    fmt,
    one_symbol,
    out,
    print_json,
    run,
    say,
    use_backend,
)
from .options import training_options

log = logging.getLogger("stockrnn")


def _progress(fold: int, folds: int, cutoff: str) -> None:
    log.info("fold %d/%d: cut-off %s", fold, folds, cutoff)


@training_options(skip=("train_end",))
def backtest(
    symbol_arg: SymbolArg = None,
    csv: CsvOpt = None,
    symbol: SymbolOpt = None,
    date_format: DateFormatOpt = None,
    strict: StrictOpt = False,
    folds: Annotated[int, typer.Option(help="Cut-off dates (each fold re-fits scaler and model).")] = 10,
    horizon: Annotated[int, typer.Option(help="Trading days scored after each cut-off.")] = HORIZON,
    step: Annotated[int, typer.Option(help="Trading days between cut-offs.")] = HORIZON,
    end: Annotated[
        str | None, typer.Option(help="Last day scored (YYYY-MM-DD), e.g. 2009-03-31; default: the data's last day.")
    ] = None,
    level: LevelOpt = LEVEL,
    jobs: Annotated[int, typer.Option(help="Folds trained at once on this machine, each in its own process.")] = 1,
    dask: DaskOpt = None,
    timeout: TimeoutOpt = 3600.0,
    plot_file: Annotated[Path | None, typer.Option("--plot", help="Also write a PNG of the folds' scores.")] = None,
    offline: OfflineOpt = False,
    raw: RawOpt = False,
    synthetic: SyntheticOpt = False,
    noise: NoiseOpt = 0.0,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    training: dict[str, Any],
) -> None:
    """Walk-forward evaluation: train up to each cut-off, score the days after it, beside the naive baselines.

    Example: stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01 --folds 5 --layers 1
    """
    use_backend(backend)
    from .. import parallel
    from ..backtest import backtest as run_backtest
    from ..paths import check_output
    from ..prices import SYNTHETIC, source_prices

    name = one_symbol(symbol_arg, symbol, csv)
    if plot_file is not None:
        run(lambda: check_output(plot_file))
    config = run(lambda: TrainConfig(**training, adjusted=not raw))
    generated = {"noise": noise, "seed": config.seed} if synthetic else None
    source = None if csv else name  # with --csv the symbol only names the report
    prices = run(
        lambda: source_prices(source, csv, config.column, offline, config.adjusted, generated, date_format, strict)
    )
    if dask:
        run(lambda: parallel.connect(dask).close())  # exit 69 before any fold trains
    with completion("backtest", enabled=(jobs > 1 or bool(dask)) and not as_json) as done:
        report = run(lambda: run_backtest(prices, config, folds, horizon, step, _progress, level, jobs, end, dask, done,
                                          timeout if dask else None))  # fmt: skip
    report = {"symbol": SYNTHETIC if synthetic and not name else name, **report}
    if plot_file is not None:
        from ..plot import plot_backtest

        report["plot"] = str(run(lambda: plot_backtest(report, plot_file)).resolve())
    if as_json:
        print_json(report)
        return
    if plot_file is not None:
        say(f"plot written to {report['plot']}")
    if "reliability" in report["pooled"]:
        _print_direction(report)
        return
    from ..metrics import ALWAYS_UP, FORECAST, NAIVE, ONE_STEP, PERSISTENCE  # numpy: not for `--help`

    out.print("RMSE per fold: one step ahead vs persistence, and the recursive path vs naive (flat)")
    table = Table("fold", "cut-off", "1-step", "persist.", "skill", "path", "naive", "echo")
    for f in report["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]), f["cutoff"], fmt(m[ONE_STEP]["rmse"]), fmt(m[PERSISTENCE]["rmse"]),
            fmt(m[ONE_STEP]["skill"], "+.2f"), fmt(m[FORECAST]["rmse"]), fmt(m[NAIVE]["rmse"]),
            fmt(f["closer_to_yesterday"], ".0%"),
        )  # fmt: skip
    out.print(table)
    s = report["summary"]
    skill = s[ONE_STEP]["skill"]
    say(
        f"median (quartiles) across folds: one-step skill {fmt(skill['median'], '+.2f')} "
        f"({fmt(skill['q25'], '+.2f')} to {fmt(skill['q75'], '+.2f')}); "
        f"direction: model {fmt(s[ONE_STEP]['direction_accuracy']['median'], '.0%')}, always-up "
        f"{fmt(s[ALWAYS_UP]['direction_accuracy']['median'], '.0%')}; echo (closer to yesterday's price than to "
        f"today's) {fmt(s['closer_to_yesterday']['median'], '.0%')}"
    )
    bands = report["pooled"]["interval"]
    for method, what in ((FORECAST, "forecast fixed at the origin"), (ONE_STEP, "one step, made the evening before")):
        band = bands[method]
        if band is not None:
            found = [c for c in band["fold_coverage"] if c is not None]
            say(
                f"{level:.0%} band of the {what}: pooled coverage {band['coverage']:.0%} of "
                f"{report['pooled']['days']} days; per fold median {statistics.median(found):.0%}, worst "
                f"{min(found):.0%}; interval score {band['winkler']:.4g}"
            )
    for line in report["verdict"]:
        say(line)


def _print_direction(report: dict[str, Any]) -> None:
    """A direction model's backtest: per fold its Brier score beside the base rate's and accuracy beside always-up;
    the pooled scores, their reliability and verdicts."""
    out.print("Per fold: Brier score of P(up) vs the base rate's, and accuracy vs always up")
    table = Table("fold", "cut-off", "Brier", "base rate", "skill", "hits", "always up", "rises")
    for f in report["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]), f["cutoff"], fmt(m["p_up"]["brier"], ".4f"), fmt(m["base_rate"]["brier"], ".4f"),
            fmt(m["p_up"]["brier_skill"], "+.3f"), fmt(m["p_up"]["accuracy"], ".0%"),
            fmt(m["always_up"]["accuracy"], ".0%"), fmt(m["p_up"]["ups"], ".0%"),
        )  # fmt: skip
    out.print(table)
    s, pooled = report["summary"]["p_up"], report["pooled"]
    skill = s["brier_skill"]
    say(
        f"median (quartiles) across folds: Brier skill {fmt(skill['median'], '+.3f')} ({fmt(skill['q25'], '+.3f')} "
        f"to {fmt(skill['q75'], '+.3f')}); accuracy {fmt(s['accuracy']['median'], '.0%')}, always up "
        f"{fmt(report['summary']['always_up']['accuracy']['median'], '.0%')}"
    )
    bins = ", ".join(f"{b['predicted']:.2f} -> {b['observed']:.2f} ({b['count']})" for b in pooled["reliability"])
    say(f"reliability, pooled over {pooled['days']} days (mean P(up) -> observed share of rises (days)): {bins}")
    for line in report["verdict"]:
        say(line)
