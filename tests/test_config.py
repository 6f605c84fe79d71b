"""The ranges of the numeric options (config.RANGES): every numeric option of every command has one, says it in its
help, and refuses a value outside it before any work: one line naming the option and its range, exit 2, no
traceback, nothing written."""

from __future__ import annotations

import time
import typing

import pytest
import typer
from typer.testing import CliRunner

from stockrnn.cli import app
from stockrnn.config import RANGES, Range, TrainConfig, check_range, option_problems, out_of_range
from stockrnn.errors import UsageError

runner = CliRunner()
CHECKED_BY_CONFIG = {"dropout", "learning_rate", "seed"}  # TrainConfig's own checks: [0, 1), (0, 1], [0, 2**32)
HUGE = ("1000000000000", "-1000000000000")  # 1e12: above every range (a seed's too); below every one


def commands(group=None, path=()) -> list[tuple[tuple[str, ...], typing.Any]]:
    group = group or typer.main.get_command(app)
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += commands(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


def numeric(parameter) -> bool:
    kind = parameter.type_descriptor.annotation  # int, float, int | None (an override)
    return bool({int, float} & set(typing.get_args(kind) or (kind,)))


NUMERIC = [
    (path, p.opts[0], p.name)
    for path, command in commands()
    for p in command.params
    if p.param_type_name == "option" and numeric(p)
]


def test_the_commands_have_numeric_options_to_check():
    flags = {flag for _, flag, _ in NUMERIC}
    assert {"--days", "--level", "--folds", "--horizon", "--step", "--jobs", "--keep", "--holdout"} <= flags
    assert {"--window", "--epochs", "--units", "--layers", "--batch-size", "--timeout", "--noise"} <= flags


@pytest.mark.parametrize(("path", "flag", "name"), NUMERIC, ids=[f"{' '.join(p)} {f}" for p, f, _ in NUMERIC])
def test_every_numeric_option_has_a_range_in_its_help(path, flag, name):
    assert name in RANGES or name in CHECKED_BY_CONFIG, f"{' '.join(path)} {flag} has no range"
    if name in RANGES:
        help_text = next(p.help for p in dict(commands())[path].params if p.name == name)
        assert "Range: " in help_text and f"{RANGES[name].high:g}" in help_text, help_text  # retrain's --jobs: from 0


@pytest.mark.parametrize(("path", "flag", "name"), NUMERIC, ids=[f"{' '.join(p)} {f}" for p, f, _ in NUMERIC])
def test_a_value_outside_the_range_is_refused_before_any_work(home, path, flag, name):
    for value in (*HUGE, *(("nan", "inf") if name in ("level", "margin", "timeout", "noise", "dropout") else ())):
        started = time.perf_counter()
        result = runner.invoke(app, [*path, flag, value])
        assert result.exit_code == 2, (path, flag, value, result.output)
        message = " ".join(result.stderr.split())
        assert message.startswith("error: ") and flag in message, message
        assert "Traceback" not in result.output and (
            result.exception is None or isinstance(result.exception, SystemExit)
        )
        assert time.perf_counter() - started < 5  # nothing read, nothing trained
    assert not home.exists() or not any(home.rglob("*")), list(home.rglob("*"))  # nothing written


@pytest.mark.parametrize("name", sorted(RANGES))
def test_each_range_takes_its_ends_and_refuses_beyond_them(name):
    allowed, flag = RANGES[name], f"--{name.replace('_', '-')}"
    for end, is_open in ((allowed.low, allowed.open_low), (allowed.high, allowed.open_high)):
        assert (out_of_range(flag, end) is None) != is_open, (name, end)
    step = 1 if float(allowed.low).is_integer() and float(allowed.high).is_integer() else 1e-9
    for beyond in (allowed.low - step, allowed.high + step, float("nan")):
        with pytest.raises(UsageError) as caught:
            check_range(flag, beyond)
        assert str(caught.value).startswith(f"{flag} must be in the range {allowed}")
    check_range(flag, None)  # not given: nothing to check


def test_the_message_names_the_option_its_range_and_what_the_end_means():
    assert out_of_range("--days", 100_000) == (
        "--days must be in the range 1 to 2520 (ten years of trading days), not 100000"
    )
    assert out_of_range("--level", 1.0) == "--level must be in the range (0, 1), not 1.0"
    assert out_of_range("--jobs", -2, Range(0, 256)) == "--jobs must be in the range 0 to 256, not -2"
    assert str(Range(0, 1, open_high=True)) == "[0, 1)" and Range(1, 8).help() == "Range: 1 to 8."


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"window": 10**9}, "--window must be in the range 2 to 1260"),
        ({"units": 10**6}, "--units must be in the range 1 to 1024"),
        ({"layers": 100}, "--layers must be in the range 1 to 8"),
        ({"epochs": 10**7}, "--epochs must be in the range 1 to 10000"),
        ({"batch_size": 0}, "--batch-size must be in the range 1 to 8192"),
        ({"patience": -1}, "--patience must be in the range 0 to 1000"),
        ({"target": "direction", "horizon_days": 1000}, "--horizon-days must be in the range 1 to 252"),
        ({"learning_rate": 5.0}, "--learning-rate must be a positive number up to 1, not 5.0"),
    ],
)
def test_the_config_refuses_what_the_command_line_would(values, words):
    with pytest.raises(UsageError, match=words.replace("(", "\\(")):
        TrainConfig(**values)
    assert option_problems({k: v for k, v in values.items() if k != "target"})  # an override alone, too


def test_an_override_is_checked_on_its_own_and_a_missing_one_not_at_all():
    assert option_problems({"units": 16, "cell": "gru", "dropout": None}) == []
    assert option_problems({"cell": "cnn", "seed": -1}) == [
        "--cell must be one of lstm, gru, rnn, not 'cnn'",
        "--seed must be in [0, 2**32), not -1",
    ]


def test_retrain_refuses_a_bad_override_before_any_work(tmp_path):
    log = tmp_path / "retrain.log"
    result = runner.invoke(app, ["retrain", "AAA", "--units", "100000", "--log-file", str(log)])
    assert result.exit_code == 2 and "--units must be in the range 1 to 1024" in result.stderr
    lines = log.read_text().splitlines()  # the error line alone: nothing ran before it
    assert len(lines) == 1 and lines[0].split(" ", 1)[1].startswith("ERROR --units must be in the range 1 to 1024")


def test_a_choice_in_any_case_becomes_its_canonical_name():
    config = TrainConfig(cell="GRU", column="Close", target="Price")
    assert (config.cell, config.column, config.target) == ("gru", "close", "price")
    with pytest.raises(UsageError, match="--cell must be one of lstm, gru, rnn, not 'cnn'"):
        TrainConfig(cell="CNN")


def test_scaling_is_member_or_pooled_and_a_saved_config_without_it_scaled_each_member():
    assert TrainConfig().scaling == "member" and TrainConfig(scaling="Pooled").scaling == "pooled"
    assert TrainConfig.from_dict({"window": 20}).scaling == "member"  # saved before the option: its own rows
    with pytest.raises(UsageError, match="--scaling must be one of member, pooled, not 'global'"):
        TrainConfig(scaling="global")
    with pytest.raises(UsageError, match="--scaling pooled fits one scaler on all the members of a panel"):
        TrainConfig(scaling="pooled").check_alone()
    TrainConfig().check_alone()  # a single symbol's own scaling: nothing to refuse


def test_validate_every_takes_epoch_member_or_windows_in_one_spelling():
    assert TrainConfig().validate_every == "member"  # the default: a panel's member's worth, one symbol's epoch
    assert [TrainConfig(validate_every=v).validate_every for v in ("Epoch", " MEMBER", "0128", 256)] == [
        "epoch", "member", "128", "256",
    ]  # fmt: skip
    assert TrainConfig.from_dict({"window": 20}).validate_every == "epoch"  # saved before the option: epochs
    assert TrainConfig.from_dict(TrainConfig(validate_every="64").to_dict()).validate_every == "64"


@pytest.mark.parametrize("value", ["0", "abc", "-5", "1.5", "10000001", "²"])
def test_a_bad_validate_every_is_one_usage_line_naming_the_option(value, home):
    words = f"--validate-every must be epoch, member or a number of training windows from 1 to 10000000, not {value!r}"
    with pytest.raises(UsageError, match=words.replace("(", "\\(").replace(".", "\\.")):
        TrainConfig(validate_every=value)
    assert option_problems({"validate_every": value}) == [words]  # as an override (retrain) too
    result = runner.invoke(app, ["train", "--synthetic", "--validate-every", value])
    assert result.exit_code == 2 and result.stderr.strip() == f"error: {words}", result.output
    assert "Traceback" not in result.output and not (home / "models").exists()
