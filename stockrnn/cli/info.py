"""`stockrnn info`: what this installation is and runs on."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from .. import app
from .common import BackendOpt, JsonOpt, out, print_json


def info(backend: BackendOpt = "auto", as_json: JsonOpt = False) -> None:
    """Show the version, the home folder, the Keras backend (and why), its versions, the devices it sees and those
    each installed backend sees.

    Example: stockrnn info --json
    """
    app.use_backend(backend)
    data = app.info()
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False)
    for key, value in data.items():
        table.add_row(key, escape(_text(value)))  # a library's message may hold [brackets]: text, not markup
    out.print(table)


def _text(value: object) -> str:
    """A value of `info` as a table cell: lists joined, mappings as `key: value; ...`."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(item)}" for key, item in value.items())
    return str(value)
