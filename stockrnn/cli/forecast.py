"""`stockrnn predict` and `stockrnn plot`: a stored model's forecast as a table, JSON or a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..config import HORIZON, LEVEL
from .common import (
    BackendOpt,
    CsvOpt,
    DateFormatOpt,
    DaysOpt,
    JsonOpt,
    LevelOpt,
    OfflineOpt,
    StartOpt,
    SymbolArg,
    SymbolOpt,
    fail,
    fmt,
    one_symbol,
    out,
    print_json,
    print_metrics,
    run,
    say,
    use_backend,
)


def predict(
    symbol_arg: SymbolArg = None,
    csv: CsvOpt = None,
    symbol: SymbolOpt = None,
    date_format: DateFormatOpt = None,
    start: StartOpt = None,
    days: DaysOpt = HORIZON,
    level: LevelOpt = LEVEL,
    offline: OfflineOpt = False,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Forecast the next trading days from the last known day, or from --start against the actual prices.

    Example: stockrnn predict ^GSPC --start 2017-01-03 --days 20
    """
    use_backend(backend)
    from ..forecast import predict as run_predict

    name = _model_name(symbol_arg, symbol, csv)
    result = run(lambda: run_predict(name, csv, start, days, offline, level, date_format))
    if as_json:
        print_json(result.to_json())
    else:
        _print_forecast(result.to_json())


def plot(
    symbol_arg: SymbolArg = None,
    csv: CsvOpt = None,
    symbol: SymbolOpt = None,
    date_format: DateFormatOpt = None,
    start: StartOpt = None,
    days: DaysOpt = HORIZON,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="PNG to write; default: plots/<SYMBOL>_<day>.png in the home folder.")
    ] = None,
    level: LevelOpt = LEVEL,
    offline: OfflineOpt = False,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Write a PNG: recent history, the forecast, the one-step line and the actual prices where known.

    Example: stockrnn plot ^GSPC --start 2017-01-03 --days 20 --out jan2017.png
    """
    use_backend(backend)
    from ..plot import predict_and_plot

    name = _model_name(symbol_arg, symbol, csv)
    result, path = run(lambda: predict_and_plot(name, csv, start, days, out_file, offline, level, date_format))
    if as_json:
        print_json({"plot": str(path), **result.to_json()})
    else:
        say(f"plot written to {path.resolve()}")


def _model_name(argument: str | None, option: str | None, csv: Path | None) -> str:
    name = one_symbol(argument, option, csv)
    if name is None:
        fail("name the SYMBOL whose model to use (e.g. stockrnn predict ^GSPC), or a price file with --csv FILE")
    return name


def _print_forecast(data: dict[str, Any]) -> None:
    if data.get("target") == "direction":
        _print_trend(data)
        return
    table = Table(title=f"{data['symbol']} {data['column']}: from {data['origin']} (model {data['model_version']})")
    table.add_column("date")
    table.add_column("forecast\n(real, recursive)", justify="right")
    if data["interval"]:
        table.add_column(f"{data['interval']['level']:.0%}\ninterval", justify="right")
    table.add_column("one step\n(used actual prices)", justify="right")
    table.add_column("actual", justify="right")
    for row in data["rows"]:
        cells = [row["date"], fmt(row["forecast"])]
        if data["interval"]:
            digits = 0 if abs(row["upper"]) >= 100 else 1 if abs(row["upper"]) >= 10 else 2  # 2202..2288, 89.4..89.5
            cells.append(f"{row['lower']:.{digits}f}..{row['upper']:.{digits}f}")
        cells += ["" if row[k] is None else f"{row[k]:.2f}" for k in ("one_step", "actual")]
        table.add_row(*cells)
    out.print(table)
    _print_scores(
        data, "Against the actual prices", "no actual prices for these days yet: a pure forecast, nothing to score"
    )


def _print_trend(data: dict[str, Any]) -> None:
    """A direction model's forecast: per date, P(price higher than on the day `horizon_days` before)."""
    h = data["horizon_days"]
    table = Table(title=f"{data['symbol']} {data['column']}: P(higher than {h} trading days before) "
                        f"(model {data['model_version']})")  # fmt: skip
    for name in ("date", "from", "P(up)", "base rate", "actual", "outcome"):
        table.add_column(name, justify="left" if name in ("date", "from") else "right")
    for row in data["rows"]:
        outcome = {None: "", 1.0: "up", 0.0: "down"}[row["outcome"]]
        table.add_row(row["date"], row["origin"], f"{row['p_up']:.1%}", f"{data['base_rate']:.1%}",
                      "" if row["actual"] is None else f"{row['actual']:.2f}", outcome)  # fmt: skip
    out.print(table)
    nothing = (f"no outcomes known for these days yet: a pure forecast (a date's P(up) is made {h} trading days "
               f"before it, so a forecast after the last day reaches {h} days)")  # fmt: skip
    _print_scores(data, "Against the outcomes", nothing)


def _print_scores(data: dict[str, Any], title: str, nothing: str) -> None:
    """The forecast's metrics table and verdicts where something is known; otherwise why there are none."""
    if not data["metrics"]:
        say(nothing)
        return
    print_metrics(title, data["metrics"])
    for line in data["verdict"]:
        say(line)
