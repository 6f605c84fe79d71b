"""Checks: valid prices that look wrong get a warning that names the date and the fix; --strict refuses them."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn.checks import checked, look
from stockrnn.cli import app
from stockrnn.errors import DataError
from stockrnn.validate import load_csv

from .conftest import SP500, price_frame, random_walk, tiny_args

# Loading and checking print only our own messages: a library's warning on these paths fails the test. (Training
# is TensorFlow's business: its numpy 2 DeprecationWarning, never shown to users, would fail it here.)
QUIET = pytest.mark.filterwarnings("error")

NASDAQ = SP500.parent / "nasdaq.csv"


def frame_of(close: np.ndarray, adjusted: np.ndarray | None = None) -> pd.DataFrame:
    """The canonical frame of a price_frame, with its own adj_close."""
    raw = price_frame(close)
    frame = pd.DataFrame(
        {name.lower().replace(" ", "_"): raw[name].to_numpy(dtype="float64") for name in raw.columns if name != "Date"},
        index=pd.DatetimeIndex(raw["Date"], name="date"),
    )
    frame["adj_close"] = close if adjusted is None else adjusted
    return frame


@QUIET
@pytest.mark.parametrize("path", [SP500, NASDAQ])
def test_no_false_alarm_on_the_bundled_indices(path):
    prices = load_csv(path)
    assert look(prices.frame, "close", prices.source) == []


@QUIET
def test_an_unadjusted_split_names_the_day_the_ratio_and_the_fix():
    adjusted = random_walk(300)
    close = adjusted.copy()
    close[:150] *= 2  # before a 2-for-1 split, the unadjusted close was twice the adjusted one
    frame = frame_of(close, adjusted)
    warnings = look(frame, "close", "f.csv")
    day = frame.index[150]
    assert len(warnings) == 1
    assert f"f.csv: 'close' moved from {close[149]:.6g} to {close[150]:.6g} on {day:%Y-%m-%d}" in warnings[0]
    assert "as an unadjusted 2-for-1 split would; use a column adjusted for splits (--column adj_close" in warnings[0]
    reverse = adjusted.copy()
    reverse[150:] *= 10  # a 1-for-10 reverse split
    assert "1-for-10 reverse split" in look(frame_of(reverse), "close", "f.csv")[0]


@QUIET
def test_a_crash_that_recovers_is_no_split():
    close = random_walk(300)
    close[150] = close[149] / 2  # one bad tick, gone the next day
    assert look(frame_of(close), "close", "f.csv") == []


@QUIET
def test_bars_gaps_and_stale_prices():
    frame = frame_of(random_walk(300))
    frame.iloc[10, frame.columns.get_loc("high")] = frame["low"].iloc[10] * 0.9
    frame.iloc[20:22, frame.columns.get_loc("open")] = frame["high"].iloc[20:22] * 1.1
    frame.index = frame.index.where(np.arange(300) < 200, frame.index + pd.Timedelta(days=90))  # a 3-month hole
    for name in ("open", "close"):
        frame.iloc[250:262, frame.columns.get_loc(name)] = frame["close"].iloc[250]
    frame.iloc[250:262, frame.columns.get_loc("high")] = frame["close"].iloc[250] * 1.01
    frame.iloc[250:262, frame.columns.get_loc("low")] = frame["close"].iloc[250] * 0.99
    text = "\n".join(look(frame, "close", "f.csv"))
    assert f"1 row with high below low (first: {frame.index[10]:%Y-%m-%d})" in text
    assert f"3 rows with open outside [low, high] (first: {frame.index[10]:%Y-%m-%d})" in text  # 10: high < low
    assert f"1 row with close outside [low, high] (first: {frame.index[10]:%Y-%m-%d})" in text
    assert (
        f"1 gap of more than 14 days without a trading day (longest: {(frame.index[200] - frame.index[199]).days}"
        in text
    )
    assert (
        f"'close' stays at {frame['close'].iloc[250]:.6g} for 12 trading days from {frame.index[250]:%Y-%m-%d}" in text
    )


def test_strict_refuses_and_the_default_warns_and_records(write_csv, home):
    close = random_walk(300)
    close[:150] *= 2
    raw = price_frame(close)
    raw["Adj Close"] = close / np.where(np.arange(300) < 150, 2, 1)
    csv = write_csv("split.csv", raw)
    with pytest.raises(DataError, match="2-for-1 split .*--strict refuses data that looks wrong"):
        checked(load_csv(csv), "close", strict=True)

    runner = CliRunner()
    refused = runner.invoke(app, ["train", "--csv", str(csv), "--strict", *tiny_args(epochs=1)])
    assert refused.exit_code == 65 and "2-for-1 split" in refused.stderr and not (home / "models").exists()
    trained = runner.invoke(app, ["train", "--csv", str(csv), *tiny_args(epochs=1), "--json"])
    assert trained.exit_code == 0, trained.output
    assert "as an unadjusted 2-for-1 split would" in trained.stderr  # said out loud
    assert "2-for-1 split" in json.loads(trained.stdout)["data"]["warnings"][0]  # and recorded
    backtest = runner.invoke(app, ["backtest", "--csv", str(csv), "--strict", "--folds", "1", *tiny_args(epochs=1)])
    assert backtest.exit_code == 65 and "2-for-1 split" in backtest.stderr
