"""--date-format, checked before anything is read: strftime codes that read a day, or epoch / epoch-ms (Unix time), on
every command and watchlist line that takes it. A format that cannot read a day is one line, exit 2, nothing
written; a file of Unix-time dates trains and predicts."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn.cli import app
from stockrnn.errors import UsageError
from stockrnn.price_source import EPOCH_UNITS, PriceSource, check_date_format
from stockrnn.watchlist import read_watchlist

from .conftest import price_frame, sine_prices, tiny_args

runner = CliRunner()
# Not a format (a directive strptime lacks, a stray %, glibc's flags) or not a day (no year, month or day).
BAD = ["%s", "%Q", "%Y%", "%-d/%m/%Y", "%e/%m/%Y", "%Y-%m", "%H:%M", "%m/%d", "date", "", "%%Y-%%m-%%d", "epoch-s"]
GOOD = ["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%y%m%d", "%b %d, %Y", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%Y-%j",
        *EPOCH_UNITS]  # fmt: skip


@pytest.mark.parametrize("text", BAD)
def test_a_format_that_cannot_read_a_day_is_a_usage_error(text):
    with pytest.raises(UsageError, match="epoch-ms") as caught:
        check_date_format(text)
    assert f"--date-format {text!r}" in str(caught.value) and caught.value.exit_code == 2
    with pytest.raises(UsageError):
        PriceSource("X", csv="x.csv", date_format=text)  # a source is never built with one


@pytest.mark.parametrize("text", GOOD)
def test_a_format_that_reads_a_day_is_taken(text):
    check_date_format(text)
    assert PriceSource("X", csv="x.csv", date_format=text).date_format == text


COMMANDS = [["train"], ["backtest"], ["predict", "X"], ["plot", "X"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("text", ["%s", "%Q", "%Y-%m", "%H:%M:%S"])
def test_every_command_refuses_it_before_reading(home, write_csv, command, text):
    csv = write_csv("p.csv", price_frame(sine_prices(100)))
    result = runner.invoke(app, [*command, "--csv", str(csv), "--date-format", text])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(" ".join(lines)) < 400 and lines[0].startswith(f"error: --date-format {text!r}"), lines
    assert "Traceback" not in result.output and (result.exception is None or isinstance(result.exception, SystemExit))
    assert not home.exists() or not any(home.rglob("*"))  # nothing written


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("X csv=p.csv date_format=%s", "line 2: --date-format '%s' is not a date format"),
        ("X csv=p.csv date-format=%Y-%m", "line 2: --date-format '%Y-%m' does not say the day"),
        ("X date_format=epoch", "line 2: date_format= says how a csv= file writes its dates"),
    ],
)
def test_a_watchlist_line_checks_it_too(home, tmp_path, line, words):
    watchlist = tmp_path / "watch.txt"
    watchlist.write_text(f"# nightly\n{line}\n")
    with pytest.raises(UsageError) as caught:
        read_watchlist(watchlist)
    assert words in str(caught.value)
    result = runner.invoke(app, ["retrain", "--watchlist", str(watchlist)])
    assert result.exit_code == 2 and words in " ".join(result.stderr.split())
    assert not home.exists() or not any(home.rglob("*"))


def test_a_watchlist_line_names_the_format_of_its_file(tmp_path):
    watchlist = tmp_path / "watch.txt"
    watchlist.write_text("BTC csv=btc.csv date_format=epoch-ms\nETH csv=eth.csv date_format=%d/%m/%Y\nAAPL\n")
    entries = read_watchlist(watchlist)
    assert [e.date_format for e in entries] == ["epoch-ms", "%d/%m/%Y", None]
    assert entries[0].csv == str((tmp_path / "btc.csv").resolve())


def unix_frame(unit: str, hour: int = 0) -> pd.DataFrame:
    """A price file dated in Unix time, as exchange APIs write it: each trading day at `hour` UTC."""
    frame = price_frame(sine_prices(200, noise=0.3))
    seconds = (pd.to_datetime(frame["Date"]) + pd.Timedelta(hours=hour) - pd.Timestamp("1970-01-01")) // pd.Timedelta(
        "1s"
    )
    return frame.assign(Date=seconds * (1000 if unit == "ms" else 1))


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_a_file_dated_in_unix_time_trains_and_predicts(home, write_csv, unit):
    csv = write_csv("coin.csv", unix_frame(unit, hour=14).rename(columns={"Date": "timestamp"}))
    trained = runner.invoke(app, ["train", "--csv", str(csv), "--symbol", "COIN", *tiny_args(epochs=1), "--json"])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["data"]["train_start"] == "2015-01-02"  # the UTC day, without its time
    predicted = runner.invoke(app, ["predict", "COIN", "--start", "2015-09-01", "--days", "2", "--json"])
    assert predicted.exit_code == 0, predicted.output
    assert [row["date"] for row in json.loads(predicted.stdout)["rows"]] == ["2015-09-01", "2015-09-02"]
    named = runner.invoke(app, ["train", "--csv", str(csv), "--symbol", "COIN", "--date-format",
                                "epoch" if unit == "s" else "epoch-ms", *tiny_args(epochs=1), "--json"])  # fmt: skip
    assert named.exit_code == 0 and json.loads(named.stdout)["data"]["date_format"] in EPOCH_UNITS
