"""The command line's option groups, declared once: the training options (from `TrainConfig`'s fields and their
help) and the price source's (a `PriceSource`).

`train`, `backtest` and `retrain` take the training options through `training_options`; the watchlist parser reads
the same fields. A command receives them typed: `config`, a `TrainConfig` (or for retrain `overrides`, the options
given, which override a saved config), so that a renamed field can never silently fall back to its default.
`train`, `backtest`, `predict` and `plot` take the price source through `source_options` and receive `source`, a
`PriceSource`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import app
from ..config import CELLS, OPTIMIZERS, OUTPUTS, PRICE_COLUMNS, RANGES, SCALINGS, TrainConfig, option_problems
from .common import (
    TRAINING,
    CsvOpt,
    DateFormatOpt,
    NoiseOpt,
    OfflineOpt,
    RawOpt,
    StrictOpt,
    SymbolArg,
    SymbolOpt,
    SymbolsArg,
    SyntheticOpt,
    TickerOpt,
    fail,
    one_symbol,
)

FIELDS = [f for f in dataclasses.fields(TrainConfig) if f.metadata.get("cli")]
TARGETS = ("price", "return", "direction", "rank")  # config checks the name against targets/ when a config is made
CHOICES = {
    "cell": CELLS, "column": PRICE_COLUMNS, "target": TARGETS, "output": OUTPUTS, "optimizer": OPTIMIZERS,
    "scaling": SCALINGS,
}  # fmt: skip  # shown in --help as [a|b|c]
METAVARS = {"validate_every": "[epoch|member|N]"}  # a choice or a number: checked by the config (every_problem)


def _insert(
    command: Callable, added: list[inspect.Parameter], before: str | None, drop: tuple[str, ...]
) -> inspect.Signature:
    """`command`'s signature with `added` placed before its parameter `before` (None: first), without `drop`."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name not in drop]
    cut = 0 if before is None else next((i for i, p in enumerate(own) if p.name == before), len(own))
    return signature.replace(parameters=[*own[:cut], *added, *own[cut:]])


def training_options(
    skip: tuple[str, ...] = (), overrides: bool = False, overriding: str = "the saved config"
) -> Callable:
    """Give a command one option per command-line field of `TrainConfig` (but `skip`), placed before its `--json`.

    The command declares `config: TrainConfig` and gets it built from the options (a `UsageError` for bad values);
    with `overrides`, it declares `overrides: dict` instead: every option defaults to None (not given) and it gets
    only the options given, which override a saved config (`overriding` says what, in --help).
    """
    hints = typing.get_type_hints(TrainConfig)
    fields = [f for f in FIELDS if f.name not in skip]
    receives = "overrides" if overrides else "config"

    def decorate(command: Callable) -> Callable:
        added = [_parameter(f, hints[f.name], overrides, overriding) for f in fields]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            given = {f.name: kwargs.pop(f.name) for f in fields}
            if overrides:
                given = {k: v for k, v in given.items() if v is not None}
                problems = option_problems(given)  # now: before the command writes a log line or reads a file
                if problems:
                    fail("; ".join(problems))
                return command(**kwargs, overrides=given)
            return command(**kwargs, config=TrainConfig(**given))

        # inspect.signature, so Typer, reads a function's __signature__ first; typeshed declares no such attribute.
        wrapper.__signature__ = _insert(command, added, "as_json", (receives,))  # type: ignore[attr-defined]
        wrapper.__annotations__ = {}  # Typer reads the signature above, not the wrapped command's annotations
        return wrapper

    return decorate


def _canonical(value: Any) -> Any:
    """A choice in any case (--cell LSTM, --cell Gru) as its canonical, lower-case name; None (not given) as is."""
    return value.lower() if isinstance(value, str) else value


METAVAR_WIDTH = 24  # the widest [a|b|c] that --help keeps whole at 80 columns ([price|return|direction])


def _choices_metavar(name: str, choices: tuple[str, ...]) -> str:
    """`[a|b|c]` for --help; where that is wider than its column at 80 columns (Rich would break it inside a word,
    `[recursive|direct|encode r-decoder]`), the option's name in capitals: its help names the choices."""
    listed = f"[{'|'.join(choices)}]"
    return listed if len(listed) <= METAVAR_WIDTH else name.upper()


def _parameter(
    field: dataclasses.Field, kind: Any, overrides: bool, overriding: str = "the saved config"
) -> inspect.Parameter:
    flag = f"--{field.name.replace('_', '-')}"
    choices = CHOICES.get(field.name)
    metavar = _choices_metavar(field.name, choices) if choices else METAVARS.get(field.name)  # None: Typer's own
    callback = _canonical if choices else None
    text = field.metadata["help"] + (f" {RANGES[field.name].help()}" if field.name in RANGES else "")
    if overrides:
        option = typer.Option(help=f"Override {overriding}: {text}", rich_help_panel=TRAINING,
                              metavar=metavar, callback=callback)  # fmt: skip
        return inspect.Parameter(
            field.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=Annotated[kind | None, option]
        )
    # A boolean that is off by default is a plain flag (--mixed-precision), without a --no- twin.
    names = (flag,) if kind is bool else ()
    option = typer.Option(*names, help=text, rich_help_panel=TRAINING, metavar=metavar, callback=callback)
    return inspect.Parameter(
        field.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=field.default, annotation=Annotated[kind, option]
    )


# The price source's options: (name, annotation, default); a model's source (predict, plot) takes the first six.
SOURCE = [
    ("symbol_arg", SymbolArg, None), ("csv", CsvOpt, None), ("symbol", SymbolOpt, None),
    ("date_format", DateFormatOpt, None), ("ticker", TickerOpt, None), ("offline", OfflineOpt, False),
    ("strict", StrictOpt, False),
    ("raw", RawOpt, False), ("synthetic", SyntheticOpt, False), ("noise", NoiseOpt, 0.0),
]  # fmt: skip


def source_options(model: bool = False, many: bool = False) -> Callable:
    """Give a command the price source's options, first; it declares `source: PriceSource` and gets it built from
    them (the symbol checked: argument and --symbol must agree). With `model`, only what reads a stored model's
    prices: the symbol, another --csv file, its --date-format and --ticker, --offline. With `many` (and `model`),
    the SYMBOL argument takes several: the command declares `sources: list[PriceSource]` instead, one per symbol
    (without one: the one source the options give, whose `name` is None when they name no file); a file's options
    (--csv, --symbol, ...) name one model's data, so they are refused beside more than one SYMBOL."""
    options = SOURCE[:6] if model else SOURCE
    if many:
        options = [("symbol_arg", SymbolsArg, None), *options[1:]]
    receives = "sources" if many else "source"

    def decorate(command: Callable) -> Callable:
        added = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d, annotation=a)
                 for n, a, d in options]  # fmt: skip

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name, _, _ in options}
            csv: Path | None = given["csv"]
            _one_source(csv, given.get("synthetic", False), given.get("noise", 0.0), given.get("raw", False))
            if given["ticker"] is not None and csv is None:
                fail("--ticker picks one ticker's prices out of a --csv file; add --csv FILE, or leave --ticker out")
            synthetic = {"noise": given.pop("noise")} if given.pop("synthetic", False) else None

            def source(name: str | None) -> Any:
                return app.PriceSource(
                    name, csv, given["date_format"], given["ticker"], synthetic, adjusted=not given.get("raw", False),
                    offline=given["offline"], strict=given.get("strict", False),
                )  # fmt: skip

            if not many:
                name = one_symbol(given.pop("symbol_arg"), given.pop("symbol"))  # checked before any I/O
                return command(**kwargs, source=source(name))
            names: list[str] = given.pop("symbol_arg") or []
            option = given.pop("symbol")
            if len(names) > 1 and (csv is not None or option is not None):
                fail("--csv and --symbol name one model's data; with several SYMBOLs leave them out")
            named = [one_symbol(n, option) for n in names] or [one_symbol(None, option)]
            return command(**kwargs, sources=[source(n) for n in named])

        # The signature Typer reads, as in training_options; typeshed declares no __signature__ on functions.
        wrapper.__signature__ = _insert(command, added, None, (receives,))  # type: ignore[attr-defined]
        wrapper.__annotations__ = {}
        return wrapper

    return decorate


def _one_source(csv: Path | None, synthetic: bool, noise: float, raw: bool) -> None:
    """Options that name two sources, or set what their source does not have, are refused (exit 2), not ignored."""
    if synthetic and csv is not None:
        fail("--synthetic and --csv name two price sources; give one")
    if noise and not synthetic:
        fail("--noise is for the --synthetic series; leave it out, or add --synthetic")
    if raw and (csv is not None or synthetic):
        fail("--raw is for a symbol's downloaded prices (Yahoo's unadjusted bars), not for --csv or --synthetic")
