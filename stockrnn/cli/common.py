"""What every command shares: the consoles, turning core errors into exit codes, JSON and tables, common options.

Errors from the core (`StockRNNError`) become one line on stderr and their exit code; never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ..errors import StockRNNError
from ..parallel import ENV as DASK_ENV

out = Console()
err = Console(stderr=True)
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts instead of tables.")]
# One option, one meaning: every command that takes --csv takes --symbol (or a SYMBOL argument) the same way.
SymbolArg = Annotated[str | None, typer.Argument(metavar="[SYMBOL]", help="A symbol, e.g. ^GSPC or AAPL.")]
SymbolOpt = Annotated[
    str | None,
    typer.Option(
        "--symbol",
        help="The symbol, as the SYMBOL argument; with --csv the default is the file's name (sp500.csv: SP500).",
    ),
]
CsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--csv",
        help="A price file (CSV with Date and price columns) instead of the symbol's downloaded prices; "
        "predict and plot default to the file the model was trained on.",
    ),
]
StartOpt = Annotated[
    str | None,
    typer.Option(help="A day inside the data (YYYY-MM-DD): forecast from the day before it, against actual prices."),
]
DaysOpt = Annotated[int, typer.Option(help="Trading days to forecast (21 is about a month).")]
SyntheticOpt = Annotated[
    bool, typer.Option("--synthetic", help="Use the lecture's generated series t*sin(t)/3 + 2*sin(5t) (a control).")
]
NoiseOpt = Annotated[float, typer.Option(help="With --synthetic: standard deviation of seeded noise added.")]
LevelOpt = Annotated[float, typer.Option(help="Coverage of the forecast's prediction interval (0.8 = 80%).")]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Never download: use the stored prices only.")]
RawOpt = Annotated[
    bool, typer.Option("--raw", help="Yahoo prices as traded, not adjusted for splits and dividends (symbols only).")
]


BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        envvar="STOCKRNN_BACKEND",
        help="Keras backend: auto (JAX on a CPU, TensorFlow where an NVIDIA GPU is visible), jax, tensorflow or "
        "torch (pip install 'stockrnn\\[torch]').",  # \\[: a bracket, not rich markup
    ),
]


def use_backend(name: str) -> None:
    """Run Keras on the backend `name` in this process and the workers it starts (backend_choice.use)."""
    from ..backend_choice import use

    run(lambda: use(name))


DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        envvar=DASK_ENV,
        help="Run the work as tasks on the Dask cluster whose scheduler is at this address (tcp://HOST:8786); "
        "needs stockrnn\\[dask] here and on every worker.",
    ),
]
TimeoutOpt = Annotated[
    float, typer.Option(help="With --dask: seconds one task may run before it is cancelled and reported as lost.")
]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="Refuse data that looks wrong (a split-like jump, a gap, ...) instead of warning."),
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(help="How --csv writes its dates, in strftime codes (e.g. %d/%m/%Y), when the file cannot show it."),
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
    from ..paths import check_symbol, symbol_from_path

    if argument and option and argument.upper() != option.upper():
        fail(f"two names for one symbol: {argument} and --symbol {option}; give one")
    name = argument or option
    if name:
        return run(lambda: check_symbol(name))
    return run(lambda: symbol_from_path(csv)) if csv is not None else None


def run(job: Callable[[], T]) -> T:
    """Run a core call; turn its typed errors into a message on stderr and the error's exit code."""
    try:
        return job()
    except StockRNNError as exc:
        fail(str(exc), exc.exit_code)


def fail(message: str, code: int = 2) -> NoReturn:
    say_error(message)
    raise typer.Exit(code)


def say_error(message: str) -> None:
    from rich.markup import escape  # a message's brackets (pip install 'stockrnn[dask]') are text, not markup

    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def say(text: str) -> None:
    """One line of plain text on stdout, wrapped by the terminal rather than by rich."""
    out.print(text, soft_wrap=True, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def metrics_table(metrics: dict[str, dict]) -> Table:
    """One row per method; what each method is follows the table, so that the table fits 80 columns."""
    table = Table()
    for name in ("method", "RMSE", "MAE", "MAPE %", "direction", "skill", "DM p", "in band"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for name, m in metrics.items():
        table.add_row(
            name,
            fmt(m["rmse"]),
            fmt(m["mae"]),
            fmt(m["mape"]),
            fmt(m["direction_accuracy"], ".0%"),
            fmt(m.get("skill"), "+.3f"),
            fmt((m.get("test") or {}).get("p_value"), ".2f"),  # against the method's baseline (significance.py)
            fmt(m.get("interval_coverage"), ".0%"),  # share of actual prices inside the method's band
        )
    return table


def probability_table(metrics: dict[str, dict]) -> Table:
    """One row per method of a direction model's scores (trend.report)."""
    table = Table()
    for name in ("method", "Brier", "skill", "log loss", "accuracy", "DM p"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for name, m in metrics.items():
        table.add_row(
            name, fmt(m["brier"], ".4f"), fmt(m.get("brier_skill"), "+.3f"), fmt(m["log_loss"], ".4f"),
            fmt(m["accuracy"], ".0%"), fmt((m.get("test") or {}).get("p_value"), ".2f"),  # against the base rate
        )  # fmt: skip
    return table


def print_metrics(title: str, metrics: dict[str, dict]) -> None:
    """A metrics table under `title` (prices' errors, or a direction model's probability scores), then what each
    method is."""
    from ..metrics import METHODS
    from ..trend import METHODS as CHANCES

    say(title)
    probabilities = "brier" in next(iter(metrics.values()))
    out.print(probability_table(metrics) if probabilities else metrics_table(metrics))
    for name in metrics:
        out.print(f"  {name}: {(CHANCES if probabilities else METHODS)[name]}", highlight=False)
