"""Command line: parses options, calls the application layer (stockrnn.app), prints. No pandas or numpy logic here.

One module per command, named after it (`models` holds its sub-commands); `common` holds what they share and
`options` the option groups declared once (the training options from `TrainConfig`, the price source's). Errors
from the core become one line on stderr and their exit code, in one place (`common.Commands`).
"""

from __future__ import annotations

import signal as signals
from typing import Annotated

import typer

from .. import __version__
from .. import app as application
from . import backtest, fetch, info, latest, models, plot, predict, retrain, schedule, signal, study, track, train
from .common import Commands, err, out

app = typer.Typer(
    cls=Commands,
    help="Stock trend forecasting with stacked recurrent networks, honest about its skill.\n\n"
    "Example: stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-end 2016-12-30",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command's context inherits it
)


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
    application.start()


for command in (fetch.fetch, train.train, backtest.backtest, predict.predict, plot.plot, info.info, retrain.retrain,
                track.track, latest.latest, signal.signal, study.study):  # fmt: skip
    app.command()(command)
app.add_typer(models.models, name="models")
app.command()(schedule.schedule)


def _terminated(signum: int, frame: object) -> None:
    """Ctrl-C, or SIGTERM (timeout, systemd, kill), ends a run cleanly with exit 130. Only the first counts: a second
    signal (`timeout` sends one to the process and one to its group) would interrupt the cleanup and its message."""
    signals.signal(signals.SIGINT, signals.SIG_IGN)
    signals.signal(signals.SIGTERM, signals.SIG_IGN)
    raise KeyboardInterrupt


def main() -> None:
    signals.signal(signals.SIGTERM, _terminated)
    signals.signal(signals.SIGINT, _terminated)
    try:
        app()
    except SystemExit as exc:
        if exc.code == 130:  # Typer's exit for KeyboardInterrupt: say so in one line, no traceback
            err.print("interrupted: stopped before finishing; nothing half-written is left", highlight=False)
        raise
