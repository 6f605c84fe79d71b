"""The training options, declared once from TrainConfig: the same set, help and defaults on every command."""

import dataclasses

import pytest
import typer
from typer.testing import CliRunner

from stockrnn import registry
from stockrnn.cli import app
from stockrnn.config import TrainConfig
from stockrnn.watchlist import OPTIONS

from .conftest import price_frame, sine_prices, tiny_config

FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
ON_THE_COMMAND_LINE = {name for name, f in FIELDS.items() if f.metadata["cli"]}


def options(command: str) -> dict:
    return {p.name: p for p in typer.main.get_command(app).commands[command].params}


def test_every_training_command_offers_the_config_fields_with_their_help():
    for command, expected in (
        ("train", ON_THE_COMMAND_LINE),
        ("backtest", ON_THE_COMMAND_LINE - {"train_end"}),  # each fold chooses its own
        ("retrain", ON_THE_COMMAND_LINE - {"train_end"}),  # the day before the holdout
    ):
        found = options(command)
        assert expected <= set(found) and not (ON_THE_COMMAND_LINE - expected) & set(found), command
        for name in expected:
            assert FIELDS[name].metadata["help"] in found[name].help, (command, name)
    assert set(OPTIONS) == set(FIELDS) - {"train_end"}  # a watchlist line may set any field


def test_the_choices_in_help_are_never_broken_inside_a_word_at_80_columns():
    text = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "80", "TERM": "dumb"}).stdout
    assert "encode r-decoder" not in text and "adj\n" not in text
    lines = {line.split("│")[1].split()[0]: line.split("│")[1].split() for line in text.splitlines() if "│ --" in line}
    assert lines["--output"][1] == "OUTPUT" and lines["--column"][1] == "COLUMN"  # the help names their choices
    assert lines["--cell"][1] == "[lstm|gru|rnn]" and lines["--target"][1] == "TARGET"
    for name in ("recursive", "direct", "encoder-decoder"):
        assert name in FIELDS["output"].metadata["help"]
    for name in ("price", "return", "direction", "rank"):
        assert name in FIELDS["target"].metadata["help"]


def test_train_defaults_are_the_config_defaults_and_retrain_overrides_nothing_unless_given():
    train, retrain = options("train"), options("retrain")
    for name in ON_THE_COMMAND_LINE:
        assert train[name].default == FIELDS[name].default, name
    assert {retrain[name].default for name in ON_THE_COMMAND_LINE - {"train_end"}} == {None}


@pytest.mark.slow
def test_a_retrain_override_changes_that_field_only(tmp_path):
    csv = tmp_path / "wave.csv"
    price_frame(sine_prices(300, noise=0.3)).to_csv(csv, index=False)
    from stockrnn.app.training import train_prices as train
    from stockrnn.validate import load_csv

    train(load_csv(csv), "WAVE", tiny_config(epochs=1))
    result = CliRunner().invoke(app, ["retrain", "WAVE", "--force", "--units", "4", "--margin", "0.99"])
    assert result.exit_code == 0, result.output
    challenger = registry.load_version("WAVE", "v2").manifest.config
    assert challenger.units == 4  # given
    assert (challenger.window, challenger.target, challenger.epochs) == (20, "price", 1)  # the champion's
