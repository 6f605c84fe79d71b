"""`stockrnn info`: what this installation is and runs on."""

from __future__ import annotations

from rich.table import Table

from .. import app
from .common import BackendOpt, JsonOpt, out, print_json


def info(backend: BackendOpt = "auto", as_json: JsonOpt = False) -> None:
    """Show the version, the home folder, the Keras backend (and why), its versions and the devices it sees.

    Example: stockrnn info --json
    """
    app.use_backend(backend)
    data = app.info()
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False)
    for key, value in data.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    out.print(table)
