"""What every command shares: the consoles, the one error handler, JSON and printed items, common options.

Errors from the core (`StockRNNError`) become one line on stderr and their exit code (`Commands`); never a
traceback. With --log-file, every error line is appended to the log file too, even one raised before the command
set its logs up (a missing watchlist, a bad option): a cron job never fails with its reason on stderr alone.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup

from ..config import RANGES, Range, check_range
from ..errors import StockRNNError
from ..formatting import fmt, price, significant

if TYPE_CHECKING:
    # The Context that TyperGroup's methods take: Typer vendors Click since 0.26 and exports only its subclass
    # typer.Context, which an override may not narrow to. Only the checker reads this private path.
    from typer._click import Context

    from ..price_source import PriceSource

# The base of Click's errors of the command line itself (no such option, a value of the wrong type): Typer vendors
# Click and exports only one of them, BadParameter, so its base is found among BadParameter's, by name.
ClickError: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

DASK_ENV = "STOCKRNN_DASK"  # the scheduler's address --dask defaults to (parallel.ENV: tested equal)
BACKEND_ENV = "STOCKRNN_BACKEND"  # the backend --backend defaults to (backend's ENV: tested equal)
SOURCE, TRAINING, RUN = "Price source", "Training", "Where it runs"  # the help's panels
# emoji=False: rich would turn text such as "250:100:3" in a message (a row, a path) into an emoji.
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)
__all__ = ["fmt", "price", "significant"]  # re-exported: the commands format numbers as the targets' views do


def ranged(name: str, help: str, allowed: Range | None = None, **settings: Any) -> Any:
    """A `typer.Option` for the numeric option `name` whose range (config.RANGES[name], unless `allowed`) follows
    its help and is checked as the command line is read, before any work: a value outside is a usage error (exit 2)
    that names the option and its range."""
    allowed = allowed or RANGES[name]

    def check(param: typer.CallbackParam, value: Any) -> Any:
        for one in value if isinstance(value, list) else [value]:  # an option given several times: each
            check_range(param.opts[0], one, allowed)  # a UsageError: one line and exit 2, from Commands.invoke
        return value

    return typer.Option(help=f"{help} {allowed.help()}", callback=check, **settings)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts instead of tables.")]
# One option, one meaning: every command that takes --csv takes --symbol (or a SYMBOL argument) the same way.
SymbolArg = Annotated[str | None, typer.Argument(metavar="SYMBOL", help="A symbol, e.g. ^GSPC or AAPL.")]
SymbolsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="[SYMBOL]...", help="One or more symbols, e.g. ^GSPC AAPL, each forecast by its model."),
]
SymbolOpt = Annotated[
    str | None,
    typer.Option(
        "--symbol",
        help="The symbol, as the SYMBOL argument; with --csv the default is the file's name (sp500.csv: SP500).",
        rich_help_panel=SOURCE,
    ),
]
CsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--csv",
        help="A price file (CSV with Date and price columns) instead of the symbol's downloaded prices; "
        "predict and plot default to the file the model was trained on.",
        rich_help_panel=SOURCE,
    ),
]
StartOpt = Annotated[
    str | None,
    typer.Option(help="A day inside the data (YYYY-MM-DD): forecast from the day before it, against actual prices."),
]
DaysOpt = Annotated[int, ranged("days", "Trading days to forecast (21 is about a month).")]
SyntheticOpt = Annotated[
    bool,
    typer.Option(
        "--synthetic",
        help="Use the lecture's generated series t*sin(t)/3 + 2*sin(5t) (a control).",
        rich_help_panel=SOURCE,
    ),
]
NoiseOpt = Annotated[
    float, ranged("noise", "With --synthetic: standard deviation of seeded noise added.", rich_help_panel=SOURCE)
]
LevelOpt = Annotated[float, ranged("level", "Coverage of the forecast's prediction interval (0.8 = 80%).")]
# The trading rule (strategy.py), one meaning wherever a command trades: backtest --strategy, signal.
PANEL = "Panel (one global model)"
PanelOpt = Annotated[
    Path | None,
    typer.Option(
        "--panel", metavar="DIR", rich_help_panel=PANEL,
        help="Every price file in this folder: the members of one global model (train: needs --name).",
    ),
]  # fmt: skip
PanelListOpt = Annotated[
    Path | None,
    typer.Option(
        "--watchlist", metavar="FILE", rich_help_panel=PANEL,
        help="The symbols of this watchlist (SYMBOL, or SYMBOL csv=FILE a line): the members of one global model "
        "(train: needs --name).",
    ),
]  # fmt: skip
MarketOpt = Annotated[
    str | None,
    typer.Option(
        "--market", metavar="FILE|SYMBOL",
        help="The market's prices for --features ...,market, or a study's index beside its portfolio (a member's "
        "symbol then leaves the members): a price file, a member's symbol or a symbol.",
        rich_help_panel=SOURCE,
    ),
]  # fmt: skip
STRATEGY = "Strategy"
ThresholdOpt = Annotated[
    list[float] | None,
    ranged(
        "threshold", "Go long when the model's expected return (a fraction: 0.002 = 0.2%) or P(up) is above X; "
        "several --threshold: each is a rule tried, and the verdict allows for the tries. Default: a value model's "
        "round-trip cost, a direction model's 0.5.", metavar="X", rich_help_panel=STRATEGY,
    ),
]  # fmt: skip
CostOpt = Annotated[
    float,
    ranged("cost_bps", "Cost of trading, basis points of the amount traded per side (spread, fees, slippage).",
           metavar="B", rich_help_panel=STRATEGY),
]  # fmt: skip
FillOpt = Annotated[
    str,
    typer.Option("--fill", metavar="close|open", rich_help_panel=STRATEGY,
                 help="Fill each signal at the next trading day's close or open (open needs an Open column)."),
]  # fmt: skip
# A study's options (study, and backtest --study), declared once: Fischer and Krauss's rolling study periods.
STUDY = "Study"
StudyOpt = Annotated[
    str | None,
    typer.Option(
        "--study", metavar="TRAIN:TRADE", rich_help_panel=STUDY,
        help="Fischer and Krauss's study periods (backtest: instead of the walk-forward, on --panel or --watchlist): "
        "training days before each trading period : trading days in it, e.g. their 750:250 (study's default); the "
        "trading periods follow one another and never overlap.",
    ),
]  # fmt: skip
PeriodsOpt = Annotated[
    int | None, ranged("periods", "With a study: only the first N periods (default: all).", rich_help_panel=STUDY)
]
FirstOpt = Annotated[
    str | None,
    typer.Option(
        "--first", metavar="YYYY-MM-DD", rich_help_panel=STUDY,
        help="With a study: no trading period starts before this day (default: the first with enough days before).",
    ),
]  # fmt: skip
SpecOpt = Annotated[
    str | None,
    typer.Option(
        "--spec", metavar="fischer-krauss|stockrnn", rich_help_panel=STUDY,
        help="With a study, the network: fischer-krauss (240-day windows, LSTM 25, dropout 0.1, RMSprop, patience "
        "10, the adjusted close) or stockrnn (its defaults; the default); the training options given override it.",
    ),
]  # fmt: skip
TopKOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--top-k", metavar="K|scaled", rich_help_panel=STRATEGY,
        help="With a study: names long (and short) each day; several times: each k traded on the same scores (the "
        "plot draws the first). scaled: 10 of 500 members, scaled to the panel (max(1, round(10 x members / 500))). "
        "Default 10.",
    ),
]  # fmt: skip
ErasOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--eras", metavar="YYYY-MM-DD", rich_help_panel=STUDY,
        help="With a study: also split the pooled portfolios at this day (several times: several cuts), e.g. "
        "2010-01-01.",
    ),
]  # fmt: skip
LongOnlyOpt = Annotated[
    bool,
    typer.Option("--long-only", rich_help_panel=STRATEGY, help="With a study: only the top k, long: no short leg."),
]
STUDY_FILL_HELP = (
    "close: at the next close (executable); same-close: at the close the scores are made at (Fischer and Krauss's "
    "convention, optimistic); both (the default): each beside the other"
)
StudyFillOpt = Annotated[
    str | None,
    typer.Option("--fill", metavar="both|close|same-close", rich_help_panel=STRATEGY, help=f"{STUDY_FILL_HELP}."),
]
BacktestFillOpt = Annotated[
    str | None,
    typer.Option(
        "--fill", metavar="close|open|same-close|both", rich_help_panel=STRATEGY,
        help="Fill each signal at the next trading day's close (the default) or open (open needs an Open column). "
        f"With --study: {STUDY_FILL_HELP}.",
    ),
]  # fmt: skip
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Never download: use the stored prices only.", rich_help_panel=SOURCE)
]
RawOpt = Annotated[
    bool,
    typer.Option(
        "--raw",
        help="Yahoo prices as traded, not adjusted for splits and dividends (symbols only).",
        rich_help_panel=SOURCE,
    ),
]


BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        envvar=BACKEND_ENV,
        metavar="[auto|jax|tensorflow|torch]",
        help="Keras backend: auto (on an NVIDIA GPU the first of TensorFlow, JAX and PyTorch that sees it, else JAX "
        "on the CPU), jax, tensorflow or torch (pip install 'stockrnn\\[torch]').",  # \\[: a bracket, not rich markup
        rich_help_panel=RUN,
    ),
]


DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        envvar=DASK_ENV,
        help="Run the work as tasks on the Dask cluster whose scheduler is at this address (tcp://HOST:8786); "
        "needs stockrnn\\[dask] here and on every worker.",
        rich_help_panel=RUN,
    ),
]
TimeoutOpt = Annotated[
    float,
    ranged(
        "timeout",
        "With --dask: seconds one task may run before it is cancelled and reported as lost.",
        rich_help_panel=RUN,
    ),
]
MembersOpt = Annotated[
    list[str] | None,
    typer.Option("--member", help="With a global model's name (train --panel): this member only; repeat for more."),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Refuse, instead of warning, data that looks wrong (a split-like jump, a gap, ...) or that stands in "
        "for the prices asked for (stored days when the download fails, the bundled sample).",
        rich_help_panel=SOURCE,
    ),
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        help="How --csv writes its dates, in strftime codes (e.g. %d/%m/%Y), when the file cannot show it.",
        rich_help_panel=SOURCE,
    ),
]
TickerOpt = Annotated[
    str | None,
    typer.Option(
        help="The ticker to read of a --csv file that holds several (a Symbol or Ticker column, or quantmod's "
        "AAPL.Close beside MSFT.Close); the symbol defaults to it.",
        rich_help_panel=SOURCE,
    ),
]


@contextmanager
def completion(what: str, enabled: bool = True) -> Iterator[Any]:
    """A `parallel.Done` callback for tasks completing: a progress bar on a terminal, else one timestamped log line
    per task; None when not `enabled`."""
    if not enabled:
        yield None
        return
    if not err.is_terminal:

        def line(completed: int, total: int, name: str, ok: bool) -> None:
            logging.getLogger("stockrnn").info(
                "%s %d/%d: %s %s", what, completed, total, name, "done" if ok else "LOST"
            )

        yield line
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:  # fmt: skip
        task = bar.add_task(what, total=None)

        def move(completed: int, total: int, name: str, ok: bool) -> None:
            bar.update(task, completed=completed, total=total, description=f"{what}: {name} {'done' if ok else 'LOST'}")

        yield move


def one_symbol(argument: str | None, option: str | None, csv: Path | None = None) -> str | None:
    """The symbol a command names by argument or --symbol (the same, if both), else the name of its --csv file."""
    from .. import app

    if argument and option and argument.upper() != option.upper():
        fail(f"two names for one symbol: {argument} and --symbol {option}; give one")
    if argument:
        return checked_symbol(argument)
    if option:
        return app.check_symbol(option)
    return app.symbol_from_path(csv) if csv is not None else None


def refuse_one_symbol(source: PriceSource) -> None:
    """A usage error (exit 2) when a panel's command (--panel, --watchlist) is given options of one symbol's prices,
    naming them: a member's file or watchlist line says its own (date_format=, ticker=)."""
    given = source.one_symbols()
    if given:
        fail(f"--panel and --watchlist give the members' prices: leave out {', '.join(given)} (a watchlist line "
             "sets a member's file, date format and ticker: SYM csv=FILE date_format=... ticker=...)")  # fmt: skip


def checked_symbol(name: str, hint: str | None = None) -> str:
    """`name` as a symbol (upper case), or a usage error (exit 2): one that looks like a file (it ends in .csv,
    holds a path separator, or is a file here) names the --csv option instead of going to Yahoo for AAPL.CSV."""
    from .. import app

    if app.looks_like_file(name) or Path(name).is_file():
        fail(f"{name!r} looks like a file, not a symbol: {hint or 'to read prices from a file use --csv'} {name}")
    return app.check_symbol(name)


_given_log_file: list[Path] = []  # the --log-file of the command line being run, as typed: see Commands


class Commands(TyperGroup):
    """The command group that turns the core's typed errors (`StockRNNError`) into one line on stderr and the
    error's exit code, for every command: the one error handler. With --log-file the line is appended there too,
    and so is an error of the command line itself (Click's: no such option, a value of the wrong type)."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if ctx.parent is None:  # the whole command line: remembered before any of it can fail
            _given_log_file[:] = log_file_in(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except StockRNNError as exc:
            say_error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except ClickError as exc:  # Click says it on stderr itself, with the usage; the log file gets the line
            _to_log_file(exc.format_message())  # type: ignore[attr-defined]
            raise


def log_file_in(args: list[str]) -> list[Path]:
    """The --log-file named in raw command-line `args` (`--log-file F` or `--log-file=F`), as a list of 0 or 1."""
    for number, word in enumerate(args):
        if word == "--":
            break
        if word == "--log-file" and number + 1 < len(args):
            return [Path(args[number + 1])]
        if word.startswith("--log-file="):
            return [Path(word.partition("=")[2])]
    return []


def fail(message: str, code: int = 2) -> NoReturn:
    say_error(message)
    raise typer.Exit(code)


def say_error(message: str) -> None:
    """`message` as one error line on stderr, and in the log file when the command line names one."""
    from rich.markup import escape  # a message's brackets (pip install 'stockrnn[dask]') are text, not markup

    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    _to_log_file(message)


def _to_log_file(message: str) -> None:
    from .. import app

    app.record_error(message, _given_log_file[0] if _given_log_file else None)


def say(text: str) -> None:
    """One line of plain text on stdout, wrapped by the terminal rather than by rich."""
    out.print(text, soft_wrap=True, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def show(items: list[Any]) -> None:
    """Print a result's items (its `render()`): a str as one line of plain text, anything else as rich renders it."""
    for item in items:
        if isinstance(item, str):
            say(item)
        else:
            out.print(item)
