"""`stockrnn plot`: a stored model's forecast as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import app
from ..config import HORIZON, LEVEL
from ..price_source import PriceSource
from .common import BackendOpt, DaysOpt, JsonOpt, LevelOpt, StartOpt, fail, print_json, say
from .options import source_options
from .predict import model_name


@source_options(model=True)
def plot(
    start: StartOpt = None,
    days: DaysOpt = HORIZON,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Image to write, in the format its name asks for (.png, .pdf, .svg, ...); default: "
            "plots/<SYMBOL>_<day>.png in the home folder.",
        ),
    ] = None,
    level: LevelOpt = LEVEL,
    member: Annotated[
        list[str] | None,
        typer.Option("--member", help="With a global model's name: the member whose forecast to draw (one)."),
    ] = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    source: PriceSource,
) -> None:
    """Write an image (PNG unless --out names another format): recent history, the forecast, the one-step line
    and the actual prices where known.

    Example: stockrnn plot ^GSPC --start 2017-01-03 --days 20 --out jan2017.png
    """
    if member is not None and len({m.upper() for m in member}) > 1:  # one image, one member: never the last alone
        fail(f"--member {', '.join(member)}: plot draws one member's forecast; run it once for each")
    one = member[0] if member else None
    app.use_backend(backend)
    result, path = app.plot(model_name(source), source, start, days, out_file, level, member=one)
    if as_json:
        print_json({"plot": str(path), **result.to_json()})
    else:
        say(f"plot written to {path.resolve()}")
