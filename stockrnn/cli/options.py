"""The command line's training options, declared once: from `TrainConfig`'s fields and their help.

`train`, `backtest` and `retrain` take them through `training_options`; the watchlist parser reads the same fields.
A command receives them as one dict, `training`, that becomes a `TrainConfig` (or, for retrain, the overrides of a
saved one), so that a renamed field can never silently fall back to its default.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ..config import TrainConfig

FIELDS = [f for f in dataclasses.fields(TrainConfig) if f.metadata.get("cli")]


def training_options(skip: tuple[str, ...] = (), overrides: bool = False) -> Callable:
    """Give a command one option per command-line field of `TrainConfig` (but `skip`), placed before its `--json`.

    The command declares `training: dict` and gets {field: value}. With `overrides`, every option defaults to None
    (not given) and `training` holds only the options given: they override a saved config.
    """
    hints = typing.get_type_hints(TrainConfig)
    fields = [f for f in FIELDS if f.name not in skip]

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        added = [_parameter(f, hints[f.name], overrides) for f in fields]
        own = [p for p in signature.parameters.values() if p.name != "training"]
        cut = next((i for i, p in enumerate(own) if p.name == "as_json"), len(own))

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            training = {f.name: kwargs.pop(f.name) for f in fields}
            if overrides:
                training = {name: value for name, value in training.items() if value is not None}
            return command(**kwargs, training=training)

        wrapper.__signature__ = signature.replace(parameters=[*own[:cut], *added, *own[cut:]])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {}  # Typer reads the signature above, not the wrapped command's annotations
        return wrapper

    return decorate


def _parameter(field: dataclasses.Field, kind: Any, overrides: bool) -> inspect.Parameter:
    flag = f"--{field.name.replace('_', '-')}"
    if overrides:
        option = typer.Option(help=f"Override the saved config: {field.metadata['help']}")
        return inspect.Parameter(
            field.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=Annotated[kind | None, option]
        )
    # A boolean that is off by default is a plain flag (--mixed-precision), without a --no- twin.
    option = (
        typer.Option(flag, help=field.metadata["help"]) if kind is bool else typer.Option(help=field.metadata["help"])
    )
    return inspect.Parameter(
        field.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=field.default, annotation=Annotated[kind, option]
    )
