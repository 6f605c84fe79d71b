"""Command line: parses options, calls one core function, prints. No pandas or numpy logic lives here.

Errors from the core (`StockRNNError`) become one line on stderr and their exit code; never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from . import __version__, logs
from .config import TrainConfig
from .errors import StockRNNError

app = typer.Typer(
    help="Stock trend forecasting with stacked recurrent networks, honest about its skill.\n\n"
    "Example: stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-end 2016-12-30",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
log = logging.getLogger("stockrnn")
T = TypeVar("T")
DEFAULT = TrainConfig()  # the training options' defaults live in one place: TrainConfig

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts instead of tables.")]
CsvOpt = Annotated[
    Path | None, typer.Option("--csv", help="Price file (CSV); default: the file the model was trained on.")
]
StartOpt = Annotated[
    str | None,
    typer.Option(help="A day inside the data (YYYY-MM-DD): forecast from the day before it, against actual prices."),
]
DaysOpt = Annotated[int, typer.Option(help="Trading days to forecast (21 is about a month).")]
# Training options shared by train and backtest.
ColumnOpt = Annotated[str, typer.Option(help="Price column to learn: close, adj_close, open, high or low.")]
TrainStartOpt = Annotated[str | None, typer.Option(help="First training day (YYYY-MM-DD); default: first day.")]
WindowOpt = Annotated[int, typer.Option(help="Trading days in one input window.")]
LayersOpt = Annotated[int, typer.Option(help="Stacked recurrent layers.")]
UnitsOpt = Annotated[int, typer.Option(help="Units per recurrent layer.")]
DropoutOpt = Annotated[float, typer.Option(help="Dropout after each recurrent layer.")]
CellOpt = Annotated[str, typer.Option(help="Recurrent cell: lstm, gru or rnn.")]
MixedOpt = Annotated[
    bool, typer.Option("--mixed-precision", help="float16 compute in the hidden layers (GPUs with tensor cores).")
]
TargetOpt = Annotated[
    str, typer.Option(help="What the model learns: price (scaled levels, the lecture) or return (daily log returns).")
]
EpochsOpt = Annotated[int, typer.Option(help="Most epochs; early stopping usually ends sooner.")]
BatchOpt = Annotated[int, typer.Option(help="Windows per training step.")]
RateOpt = Annotated[float, typer.Option(help="Adam's learning rate.")]
PatienceOpt = Annotated[int, typer.Option(help="Epochs without a better validation loss before stopping; 0: off.")]
SeedOpt = Annotated[int, typer.Option(help="Random seed: the same seed gives the same model on the CPU.")]
CalendarOpt = Annotated[str, typer.Option(help="Exchange calendar for forecast dates (XNYS, XLON, XTKS, ...).")]
SyntheticOpt = Annotated[
    bool, typer.Option("--synthetic", help="Use the lecture's generated series t*sin(t)/3 + 2*sin(5t) (a control).")
]
NoiseOpt = Annotated[float, typer.Option(help="With --synthetic: standard deviation of seeded noise added.")]
LevelOpt = Annotated[float, typer.Option(help="Coverage of the forecast's prediction interval (0.8 = 80%).")]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Never download: use the stored prices only.")]
RawOpt = Annotated[
    bool, typer.Option("--raw", help="Yahoo prices as traded, not adjusted for splits and dividends (symbols only).")
]


def _version(value: bool) -> None:
    if value:
        out.print(f"stockrnn {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    logs.setup()


def _run(job: Callable[[], T]) -> T:
    """Run a core call; turn its typed errors into a message on stderr and the error's exit code."""
    try:
        return job()
    except StockRNNError as exc:
        _fail(str(exc), exc.exit_code)


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _config(options: dict[str, Any], **extra: Any) -> TrainConfig:
    """The TrainConfig of a command's options (its locals()), or exit 2 naming what is wrong."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    return _run(lambda: TrainConfig(**{k: v for k, v in options.items() if k in names}, **extra))


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def _metrics_table(metrics: dict[str, dict]) -> Table:
    """One row per method; what each method is follows the table, so that the table fits 80 columns."""
    table = Table()
    for name in ("method", "RMSE", "MAE", "MAPE %", "direction", "skill"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for name, m in metrics.items():
        table.add_row(
            name,
            _fmt(m["rmse"]),
            _fmt(m["mae"]),
            _fmt(m["mape"]),
            _fmt(m["direction_accuracy"], ".0%"),
            _fmt(m.get("skill"), "+.3f"),
        )
    return table


def _print_metrics(title: str, metrics: dict[str, dict], labels: dict[str, str]) -> None:
    out.print(title, soft_wrap=True, highlight=False)
    out.print(_metrics_table(metrics))
    for name in metrics:
        out.print(f"  {name}: {labels[name]}", highlight=False)


class _Progress:
    """Epoch progress: a rich bar on a terminal, one timestamped log line per epoch without one."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
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

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
def fetch(
    symbols: Annotated[list[str], typer.Argument(metavar="SYMBOL...", help="Yahoo symbols, e.g. AAPL ^GSPC BRK-B.")],
    start: Annotated[
        str | None, typer.Option(help="First day to download (YYYY-MM-DD); default: all, or what is new.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Day after the last one to download (YYYY-MM-DD).")] = None,
    raw: RawOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Download or refresh daily prices from Yahoo into the local store: only the new days after the first time.

    Example: stockrnn fetch AAPL ^GSPC
    """
    from .data import fetch as run_fetch
    from .store import check_symbol

    names = [_run(lambda s=s: check_symbol(s)) for s in symbols]  # every symbol checked before any download
    reports, failed = [], 0
    for name in names:
        try:
            reports.append(run_fetch(name, start, end, adjusted=not raw).to_json())
        except StockRNNError as exc:
            failed = failed or exc.exit_code
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    if as_json:
        _print_json({"fetched": reports})
    else:
        table = Table("symbol", "added", "updated", "stored from", "to", "rows")
        for r in reports:
            table.add_row(
                r["symbol"], str(r["added"]), str(r["updated"]), r["first_day"], r["last_day"], str(r["stored_rows"])
            )
        if reports:
            out.print(table)
    if failed:
        raise typer.Exit(failed)


@app.command()
def train(
    symbol_arg: Annotated[
        str | None,
        typer.Argument(metavar="[SYMBOL]", help="Symbol to train on (its prices are fetched and stored), e.g. AAPL."),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Train on this price file instead (CSV with Date and price columns).")
    ] = None,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="With --csv: the name to store the model under; default: file name.")
    ] = None,
    offline: OfflineOpt = False,
    raw: RawOpt = False,
    synthetic: SyntheticOpt = False,
    noise: NoiseOpt = 0.0,
    column: ColumnOpt = DEFAULT.column,
    target: TargetOpt = DEFAULT.target,
    train_start: TrainStartOpt = None,
    train_end: Annotated[str | None, typer.Option(help="Last training day (YYYY-MM-DD); default: last day.")] = None,
    window: WindowOpt = DEFAULT.window,
    layers: LayersOpt = DEFAULT.layers,
    units: UnitsOpt = DEFAULT.units,
    dropout: DropoutOpt = DEFAULT.dropout,
    cell: CellOpt = DEFAULT.cell,
    epochs: EpochsOpt = DEFAULT.epochs,
    batch_size: BatchOpt = DEFAULT.batch_size,
    learning_rate: RateOpt = DEFAULT.learning_rate,
    patience: PatienceOpt = DEFAULT.patience,
    seed: SeedOpt = DEFAULT.seed,
    calendar: CalendarOpt = DEFAULT.calendar,
    mixed_precision: MixedOpt = DEFAULT.mixed_precision,
    as_json: JsonOpt = False,
) -> None:
    """Train a model on a symbol's prices or a price file; store it as the symbol's new current version.

    Example: stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-start 2012-01-01 --train-end 2016-12-30
    """
    from .train import train_source

    if symbol_arg and symbol and symbol_arg.upper() != symbol.upper():
        _fail(f"two names for one model: {symbol_arg} and --symbol {symbol}; give one")
    config = _config(locals(), adjusted=not raw)
    with _Progress(enabled=not as_json) as progress:
        generated = {"noise": noise, "seed": seed} if synthetic else None
        result = _run(lambda: train_source(symbol_arg or symbol, csv, config, progress, offline, generated))
    if as_json:
        _print_json(
            {"symbol": result.symbol, "folder": str(result.folder), "verdict": result.verdict, **result.manifest}
        )
        return
    t, d = result.manifest["training"], result.manifest["data"]
    stopped = " (stopped early)" if t["stopped_early"] else ""
    out.print(
        f"trained [bold]{result.symbol}[/] {result.manifest['version']} on {d['train_start']} to {d['train_end']} "
        f"({d['train_rows']} days) in {t['seconds']:.1f} s on {t['device']}: {t['epochs_run']} epochs, "
        f"best {t['best_epoch']}{stopped}",
        soft_wrap=True,
        highlight=False,
    )
    _print_metrics(
        f"Validation tail, one step ahead: {t['val_start']} to {t['val_end']} ({t['val_windows']} days)",
        result.metrics,
        {"model": "one step ahead from the actual previous prices", "persistence": "tomorrow = today"},
    )
    out.print(result.verdict, soft_wrap=True, highlight=False)
    out.print(f"model saved in {result.folder}", soft_wrap=True, highlight=False)


@app.command()
def backtest(
    symbol_arg: Annotated[
        str | None, typer.Argument(metavar="[SYMBOL]", help="Symbol to evaluate, e.g. ^GSPC.")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Evaluate on this price file instead.")] = None,
    folds: Annotated[int, typer.Option(help="Cut-off dates (each fold re-fits scaler and model).")] = 10,
    horizon: Annotated[int, typer.Option(help="Trading days scored after each cut-off.")] = 21,
    step: Annotated[int, typer.Option(help="Trading days between cut-offs.")] = 21,
    level: LevelOpt = 0.8,
    plot_file: Annotated[Path | None, typer.Option("--plot", help="Also write a PNG of the folds' scores.")] = None,
    offline: OfflineOpt = False,
    raw: RawOpt = False,
    synthetic: SyntheticOpt = False,
    noise: NoiseOpt = 0.0,
    column: ColumnOpt = DEFAULT.column,
    target: TargetOpt = DEFAULT.target,
    train_start: TrainStartOpt = None,
    window: WindowOpt = DEFAULT.window,
    layers: LayersOpt = DEFAULT.layers,
    units: UnitsOpt = DEFAULT.units,
    dropout: DropoutOpt = DEFAULT.dropout,
    cell: CellOpt = DEFAULT.cell,
    epochs: EpochsOpt = DEFAULT.epochs,
    batch_size: BatchOpt = DEFAULT.batch_size,
    learning_rate: RateOpt = DEFAULT.learning_rate,
    patience: PatienceOpt = DEFAULT.patience,
    seed: SeedOpt = DEFAULT.seed,
    calendar: CalendarOpt = DEFAULT.calendar,
    mixed_precision: MixedOpt = DEFAULT.mixed_precision,
    as_json: JsonOpt = False,
) -> None:
    """Walk-forward evaluation: train up to each cut-off, score the days after it, beside the naive baselines.

    Example: stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01 --folds 5 --layers 1
    """
    from .backtest import backtest as run_backtest
    from .data import source_prices
    from .store import check_symbol

    config = _config(locals(), adjusted=not raw)
    name = _run(lambda: check_symbol(symbol_arg)) if symbol_arg else None
    generated = {"noise": noise, "seed": seed} if synthetic else None
    prices = _run(lambda: source_prices(name, csv, config.column, offline, config.adjusted, generated))
    report = _run(
        lambda: run_backtest(
            prices, config, folds, horizon, step,
            lambda n, total, day: log.info("fold %d/%d: cut-off %s", n, total, day), level,
        )
    )  # fmt: skip
    if plot_file is not None:
        from .plot import plot_backtest

        report["plot"] = str(_run(lambda: plot_backtest(report, plot_file)).resolve())
    if as_json:
        _print_json(report)
        return
    if plot_file is not None:
        out.print(f"plot written to {report['plot']}", soft_wrap=True, highlight=False)
    out.print("RMSE per fold: one step ahead vs persistence, and the recursive path vs naive (flat)")
    table = Table("fold", "cut-off", "1-step", "persist.", "skill", "path", "naive", "echo")
    for f in report["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]), f["cutoff"], _fmt(m["one_step"]["rmse"]), _fmt(m["persistence"]["rmse"]),
            _fmt(m["one_step"]["skill"], "+.2f"), _fmt(m["forecast"]["rmse"]), _fmt(m["naive"]["rmse"]),
            _fmt(f["closer_to_yesterday"], ".0%"),
        )  # fmt: skip
    out.print(table)
    s = report["summary"]
    out.print(
        f"median (quartiles) across folds: one-step skill {_fmt(s['one_step']['skill']['median'], '+.2f')} "
        f"({_fmt(s['one_step']['skill']['q25'], '+.2f')} to {_fmt(s['one_step']['skill']['q75'], '+.2f')}); "
        f"direction: model {_fmt(s['one_step']['direction_accuracy']['median'], '.0%')}, always-up "
        f"{_fmt(s['always_up']['direction_accuracy']['median'], '.0%')}; echo (closer to yesterday's price than to "
        f"today's) {_fmt(s['closer_to_yesterday']['median'], '.0%')}; {level:.0%} interval coverage "
        f"{_fmt((s['forecast'].get('interval_coverage') or {}).get('median'), '.0%')}",
        soft_wrap=True,
        highlight=False,
    )
    for line in report["verdict"]:
        out.print(line, soft_wrap=True, highlight=False)


def _print_forecast(result: Any) -> None:
    from .forecast import METHODS

    data = result.to_json()
    table = Table(title=f"{data['symbol']} {data['column']}: from {data['origin']} (model {data['model_version']})")
    table.add_column("date")
    table.add_column("forecast\n(real, recursive)", justify="right")
    if data["interval"]:
        table.add_column(f"{data['interval']['level']:.0%}\ninterval", justify="right")
    table.add_column("one step\n(used actual prices)", justify="right")
    table.add_column("actual", justify="right")
    for row in data["rows"]:
        cells = [row["date"], _fmt(row["forecast"])]
        if data["interval"]:
            digits = 0 if abs(row["upper"]) >= 100 else 1 if abs(row["upper"]) >= 10 else 2  # 2202..2288, 89.4..89.5
            cells.append(f"{row['lower']:.{digits}f}..{row['upper']:.{digits}f}")
        cells += ["" if row[k] is None else f"{row[k]:.2f}" for k in ("one_step", "actual")]
        table.add_row(*cells)
    out.print(table)
    if data["metrics"]:
        _print_metrics("Against the actual prices", data["metrics"], METHODS)
        for line in data["verdict"]:
            out.print(line, soft_wrap=True, highlight=False)
    else:
        out.print("no actual prices for these days yet: a pure forecast, nothing to score")


@app.command()
def predict(
    symbol: Annotated[str, typer.Argument(help="The symbol a model was trained for, e.g. ^GSPC.")],
    csv: CsvOpt = None,
    start: StartOpt = None,
    days: DaysOpt = 21,
    level: LevelOpt = 0.8,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Forecast the next trading days from the last known day, or from --start against the actual prices.

    Example: stockrnn predict ^GSPC --start 2017-01-03 --days 20
    """
    from .forecast import predict as run_predict

    result = _run(lambda: run_predict(symbol, csv, start, days, offline, level))
    if as_json:
        _print_json(result.to_json())
    else:
        _print_forecast(result)


@app.command()
def plot(
    symbol: Annotated[str, typer.Argument(help="The symbol a model was trained for, e.g. ^GSPC.")],
    csv: CsvOpt = None,
    start: StartOpt = None,
    days: DaysOpt = 21,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="PNG to write; default: plots/<SYMBOL>_<day>.png in the home folder.")
    ] = None,
    level: LevelOpt = 0.8,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a PNG: recent history, the forecast, the one-step line and the actual prices where known.

    Example: stockrnn plot ^GSPC --start 2017-01-03 --days 20 --out jan2017.png
    """
    from .plot import predict_and_plot

    result, path = _run(lambda: predict_and_plot(symbol, csv, start, days, out_file, offline, level))
    if as_json:
        _print_json({"plot": str(path), **result.to_json()})
    else:
        out.print(f"plot written to {path.resolve()}", soft_wrap=True, highlight=False)


@app.command()
def info(as_json: JsonOpt = False) -> None:
    """Show the version, the home folder, TensorFlow and Keras versions and the devices TensorFlow sees.

    Example: stockrnn info --json
    """
    from .info import info as run_info

    data = _run(run_info)
    if as_json:
        _print_json(data)
        return
    table = Table(show_header=False)
    for key, value in data.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    out.print(table)


def _override(**given: Any) -> dict[str, Any]:
    return {name: value for name, value in given.items() if value is not None}


@app.command()
def retrain(
    symbols: Annotated[
        list[str] | None, typer.Argument(metavar="[SYMBOL...]", help="Symbols to retrain (or use --watchlist).")
    ] = None,
    watchlist: Annotated[
        Path | None, typer.Option(help="File of symbols, one a line, optionally with key=value training options.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Retrain every symbol that has a model.")] = False,
    jobs: Annotated[int, typer.Option(help="Symbols trained at once, each in its own process; default: cores.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Train even when there is no new data.")] = False,
    keep: Annotated[int, typer.Option(help="Versions kept per symbol (the champion is never deleted).")] = 5,
    holdout: Annotated[
        int, typer.Option(help="Most recent trading days on which challenger and champion compete.")
    ] = 21,
    margin: Annotated[float, typer.Option(help="How much lower the challenger's RMSE must be (0.01 = 1%).")] = 0.01,
    offline: OfflineOpt = False,
    log_file: Annotated[Path | None, typer.Option(help="Also append the log lines to this file.")] = None,
    window: Annotated[int | None, typer.Option(help="Override the saved config: window.")] = None,
    layers: Annotated[int | None, typer.Option(help="Override: recurrent layers.")] = None,
    units: Annotated[int | None, typer.Option(help="Override: units per layer.")] = None,
    dropout: Annotated[float | None, typer.Option(help="Override: dropout.")] = None,
    cell: Annotated[str | None, typer.Option(help="Override: lstm, gru or rnn.")] = None,
    target: Annotated[str | None, typer.Option(help="Override: price or return.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Override: most epochs.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Override: batch size.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Override: learning rate.")] = None,
    patience: Annotated[int | None, typer.Option(help="Override: early-stopping patience.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override: random seed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The cron entry: update data, train a challenger, promote it only if it beats the champion on the holdout.

    Exit codes: 0 every symbol succeeded (promoted, kept or up to date); 1 some failed; when all failed, their
    common code (e.g. 75: locked or rate-limited, try later), or 3 when the causes differ.

    Example: stockrnn retrain --watchlist ~/watchlist.txt --log-file ~/stockrnn.log
    """
    import os

    from .retrain import exit_code, plan, retrain_all

    logs.setup(log_file)
    overrides = _override(
        window=window, layers=layers, units=units, dropout=dropout, cell=cell, target=target, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, patience=patience, seed=seed,
    )  # fmt: skip
    entries = _run(lambda: plan(symbols or [], watchlist, every, overrides))
    outcomes = retrain_all(
        entries, jobs or os.cpu_count() or 1, log_file, force=force, keep=keep, holdout=holdout, margin=margin,
        offline=offline,
    )  # fmt: skip
    for o in outcomes:
        level = logging.ERROR if not o.ok else logging.INFO
        log.log(level, "%s: %s (%s)", o.symbol, o.status, o.message)
    if as_json:
        _print_json({"outcomes": [o.__dict__ for o in outcomes], "exit_code": exit_code(outcomes)})
    else:
        table = Table("symbol", "status", "champion", "new", "holdout RMSE: new / champion / persistence")
        for o in outcomes:
            m = o.metrics
            rmse = " / ".join(
                _fmt(m[k]["rmse"]) if m.get(k) else "-" for k in ("challenger", "champion", "persistence")
            )
            table.add_row(o.symbol, o.status, o.champion or "", o.challenger or "", rmse if m else "")
        out.print(table)
        for o in outcomes:
            out.print(f"{o.symbol}: {o.message}", soft_wrap=True, highlight=False, markup=False)
    raise typer.Exit(exit_code(outcomes))


@app.command()
def models(
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="[SYMBOL | promote SYMBOL VERSION | rollback SYMBOL]", help="What to show or do."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List model versions, the champion, metrics and data ranges; promote a version or roll back by hand.

    Example: stockrnn models ^GSPC   (also: stockrnn models promote ^GSPC v2, stockrnn models rollback ^GSPC)
    """
    from . import store

    args = args or []
    action = args[0].lower() if args else ""
    if action in ("promote", "rollback"):
        wanted = 3 if action == "promote" else 2
        if len(args) != wanted:
            _fail(f"usage: stockrnn models {'promote SYMBOL VERSION' if action == 'promote' else 'rollback SYMBOL'}")
        symbol = _run(lambda: store.check_symbol(args[1]))
        version = _run(lambda: store.choose_champion(symbol, args[2] if action == "promote" else None))
        if as_json:
            _print_json({"symbol": symbol, "champion": version})
        else:
            out.print(f"{symbol}: champion is now {version}")
        return
    if len(args) > 1:
        _fail("usage: stockrnn models [SYMBOL]")
    names = [_run(lambda: store.check_symbol(args[0]))] if args else store.symbols()
    listing = {name: store.versions(name) for name in names}
    if as_json:
        _print_json({name: [{"version": v["version"], "champion": v["champion"], **_summary(v["manifest"])}
                            for v in found] for name, found in listing.items()})  # fmt: skip
        return
    table = Table("symbol", "version", "created", "trained on", "val RMSE", "skill")
    for name, found in listing.items():
        for v in found:
            s = _summary(v["manifest"])
            table.add_row(
                name, f"{v['version']}{' *' if v['champion'] else ''}", s["created"][:10],
                f"{s['train_start']}..{s['train_end']}", _fmt(s["val_rmse"]), _fmt(s["skill"], "+.2f"),
            )  # fmt: skip
    table.caption = "* champion: the version predict and plot use"
    out.print(table if any(listing.values()) else "no models yet: train one with stockrnn train SYMBOL")


def _summary(manifest: dict) -> dict[str, Any]:
    d, m = manifest["data"], manifest["metrics"]["model"]
    return {
        "created": manifest["created"], "source": d["source"], "train_start": d["train_start"],
        "train_end": d["train_end"], "last_day": d["last_day"], "val_rmse": m["rmse"], "skill": m["skill"],
        "epochs": manifest["training"]["epochs_run"], "config": manifest["config"],
    }  # fmt: skip


@app.command()
def schedule(
    at: Annotated[str, typer.Option(help="Time of day HH:MM on the exchange's clock (see --timezone).")] = "18:30",
    timezone: Annotated[str, typer.Option(help="The exchange's time zone.")] = "America/New_York",
    watchlist: Annotated[Path | None, typer.Option(help="Watchlist file for the nightly retrain.")] = None,
) -> None:
    """Print a crontab line that retrains after the market closes, with absolute paths to this installation.

    Example: stockrnn schedule --watchlist ~/watchlist.txt   (then add the line with: crontab -e)
    """
    from .schedule import crontab_line

    out.print(_run(lambda: crontab_line(at, timezone, watchlist)), soft_wrap=True, highlight=False, markup=False)


def main() -> None:
    app()
