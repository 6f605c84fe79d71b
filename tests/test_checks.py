"""Checks: valid prices that look wrong get a warning that names the date and the fix; --strict refuses them."""

import json
import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn.calendar import sessions
from stockrnn.checks import checked, look
from stockrnn.cli import app
from stockrnn.errors import DataError
from stockrnn.validate import load_csv

from .conftest import SP500, price_frame, random_walk, tiny_args

# Loading and checking print only our own messages: a library's warning on these paths fails the test. (Training
# is TensorFlow's business: its numpy 2 DeprecationWarning, never shown to users, would fail it here.)
QUIET = pytest.mark.filterwarnings("error")

NASDAQ = SP500.parent / "nasdaq.csv"
NYSE = sessions(pd.Timestamp("2015-01-02"), pd.Timestamp("2029-12-31"), "XNYS")


def frame_of(
    close: np.ndarray, adjusted: np.ndarray | None = None, days: pd.DatetimeIndex | None = None
) -> pd.DataFrame:
    """The canonical frame of a price_frame, with its own adj_close, on NYSE's sessions from 2015-01-02 (or `days`)."""
    raw = price_frame(close)
    frame = pd.DataFrame(
        {name.lower().replace(" ", "_"): raw[name].to_numpy(dtype="float64") for name in raw.columns if name != "Date"},
        index=pd.DatetimeIndex(NYSE[: len(close)] if days is None else days, name="date"),
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
def test_a_crash_that_recovers_is_no_split_but_a_bad_tick():
    close = random_walk(300)
    close[150] = close[149] / 2  # one bad tick, gone the next day
    [warning] = look(frame_of(close), "close", "f.csv")
    assert "split" not in warning and "a bad tick (1 row)" in warning


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


# Breaks in the price level: a one-day move far outside the series' own, reported with its day, its ratio and
# whether it came back (a bad tick) or stayed (units, a split by another ratio, another ticker).


@QUIET
def test_pence_to_pounds_is_a_level_break_with_its_day_and_ratio():
    close = random_walk(300)
    close[:150] *= 100  # quoted in pence, then in pounds
    frame = frame_of(close)
    [warning] = look(frame, "close", "f.csv")
    day = frame.index[150]
    assert warning.startswith(
        f"f.csv: 'close' moved from {close[149]:.6g} to {close[150]:.6g} on {day:%Y-%m-%d} "
        f"(x{close[150] / close[149]:.3g}, "
    )
    assert close[150] / close[149] == pytest.approx(0.01, rel=0.05)  # the worked example: x0.01 (0.00997 here)
    assert (
        f"and stayed: a change of units (pence to pounds is x0.01), a split or another ticker's prices from that "
        f"day on; correct the file, or train from that day on (--train-start {day:%Y-%m-%d})"
    ) in warning
    # the multiple: log(100) over the typical move, the median absolute log move (1% steps: about 0.67%)
    times = float(warning.split(", ")[1].split(" times")[0])
    typical = np.median(np.abs(np.diff(np.log(random_walk(300)))))
    assert times == pytest.approx(np.log(100) / typical, rel=0.25)


@QUIET
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bad_ticks_that_come_back_are_named_with_their_rows(seed):
    close = random_walk(300, seed)
    close[100] *= 10  # one row ten times too high
    close[200:202] /= 10  # two rows ten times too low
    close[250] *= 1.3  # one row 30% off: 30 to 45 typical moves of 1%, out and back
    frame = frame_of(close)
    warnings = look(frame, "close", "f.csv")
    assert len(warnings) == 3, warnings
    for warning, (day, back, rows) in zip(warnings, [(100, 101, 1), (200, 202, 2), (250, 251, 1)], strict=True):
        assert f"on {frame.index[day]:%Y-%m-%d} (x" in warning
        assert f"came back to {close[back]:.6g} on {frame.index[back]:%Y-%m-%d}: a bad tick ({rows} row" in warning
    for warning, day, near in zip(warnings, (100, 200, 250), (10, 0.1, 1.3), strict=True):
        assert f"(x{close[day] / close[day - 1]:.3g}, " in warning and close[day] / close[day - 1] == pytest.approx(
            near, rel=0.1
        )


@QUIET
@pytest.mark.parametrize("level", [0.2, 3.0, 40.0])
def test_two_tickers_stitched_into_one_file(level):
    close = np.concatenate([random_walk(150, seed=1), level * random_walk(150, seed=2)])
    frame = frame_of(close)
    [warning] = look(frame, "close", "f.csv")
    assert f"on {frame.index[150]:%Y-%m-%d}" in warning and "and stayed" in warning and "another ticker" in warning


@QUIET
def test_a_break_on_the_last_day_and_many_bad_ticks():
    close = random_walk(300)
    close[-1] *= 7  # no split ratio
    assert "on the data's last day: a change of units" in look(frame_of(close), "close", "f.csv")[0]
    close = random_walk(300)
    close[10:290:20] *= 10  # 14 bad ticks
    warnings = look(frame_of(close), "close", "f.csv")
    assert len(warnings) == 6 and warnings[-1] == "f.csv: 9 more such moves of 'close' after these"


@QUIET
@pytest.mark.parametrize("seed", range(5))
def test_real_crashes_are_no_breaks(seed):
    """A crash that starts a crisis: judged by the crisis' own moves, not the calm before it."""
    rng = np.random.default_rng(seed)
    moves = np.concatenate([0.01 * rng.standard_normal(150), [-0.2], 0.04 * rng.standard_normal(149)])
    assert look(frame_of(100 * np.exp(np.cumsum(moves))), "close", "f.csv") == []
    quiet = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(300)))  # a fat-tailed day: 15 typical moves
    quiet[150:] *= 1.11
    assert look(frame_of(quiet), "close", "f.csv") == []


PANEL = SP500.parent.parent.parent / "shared" / "data" / "panel"


@QUIET
@pytest.mark.slow
@pytest.mark.skipif(not PANEL.is_dir(), reason="the panel of ../shared/data/panel is not here")
def test_no_level_break_nor_calendar_warning_on_a_panel_of_real_stocks():
    """62 S&P 500 series, 2003-2023 (2008, 2020, earnings days of 25% and more): none is a break, none is off the
    calendar. (The split check's own warnings there, on three real moves near 3:2 that its ratio alone cannot tell
    from a split, KEY 2008-10-14 and NFLX 2011-10-25 and 2022-04-20, are left to it.)"""
    said = []
    for path in sorted(PANEL.glob("*.csv.gz")):
        raw = pd.read_csv(path)
        frame = pd.DataFrame(
            {name.split(".")[-1].lower().replace("adjusted", "adj_close"): raw[name] for name in raw.columns[1:]}
        ).set_index(pd.DatetimeIndex(raw["Index"], name="date"))
        for column in ("close", "adj_close"):
            said += [w for w in look(frame, column, path.name) if "split would" not in w]
    assert said == []


# Dates that are not the calendar's sessions.


def dated(days: pd.DatetimeIndex, volume: np.ndarray | None = None) -> pd.DataFrame:
    frame = frame_of(random_walk(len(days)), days=days)
    if volume is not None:
        frame["volume"] = volume
    return frame


@QUIET
@pytest.mark.parametrize(
    ("days", "looks"),
    [
        (pd.date_range("2015-01-02", periods=300, freq="W-FRI"), "7 days apart (the median), about 52 a year: weekly"),
        (pd.date_range("2010-01-04", periods=200, freq="W-MON"), "7 days apart (the median), about 52 a year: weekly"),
        (pd.date_range("2000-01-31", periods=240, freq="ME"), "31 days apart (the median), about 12 a year: monthly"),
        (pd.date_range("2000-01-31", periods=80, freq="QE"), "92 days apart (the median), about 4 a year: longer bars"),
    ],
)
def test_weekly_and_monthly_bars_are_said_once(days, looks):
    [warning] = look(dated(days), "close", "w.csv")  # no gap warning beside it: the same thing said twice
    said, kind = looks.split(": ")
    assert warning.startswith(
        f"w.csv: rows are {said}: looks {'like ' * (kind == 'longer bars')}{kind}; stockrnn models"
    )
    assert warning.endswith("forecasts are dated day by day): use daily prices")


@QUIET
@pytest.mark.parametrize("start", ["2020-01-01", "2017-06-15", "2023-03-04"])
def test_a_market_open_every_day_is_told_to_use_24_7(start):
    days = pd.date_range(start, periods=400)
    [warning] = look(dated(days), "close", "btc.csv")
    weekend = int((days.day_of_week >= 5).sum())
    assert f"fall on days XNYS does not trade, {weekend} on Saturdays and Sundays" in warning
    assert warning.endswith("use --calendar 24/7")
    assert look(dated(days), "close", "btc.csv", "24/7") == []
    weekdays = NYSE[:300]  # a stock under the calendar of a market open every day
    [warning] = look(dated(weekdays), "close", "s.csv", "24/7")
    assert "no row falls on a Saturday or Sunday, but 24/7 trades every day" in warning


@QUIET
def test_rows_on_holidays_with_zero_volume():
    holidays = pd.DatetimeIndex(["2015-07-03", "2015-12-25", "2016-01-01"])  # NYSE closed; a feed filled them
    days = NYSE[:300].append(holidays).sort_values()
    [warning] = look(dated(days, np.where(days.isin(holidays[1:]), 0.0, 1000.0)), "close", "h.csv")
    assert warning.startswith(
        "h.csv: 3 rows on days XNYS does not trade (first: 2015-07-03; 2 with zero volume): each is trained and "
        "scored as a trading day; remove them if they are fills"
    )
    weekdays = pd.bdate_range("2015-01-02", periods=300)  # every weekday: NYSE's holidays too
    assert "11 rows on days XNYS does not trade (first: 2015-01-19)" in look(dated(weekdays), "close", "b.csv")[0]
    assert look(dated(weekdays), "close", "b.csv", "24/5") == []  # the calendar of every weekday
    assert look(dated(NYSE[:300]), "close", "n.csv", "NO-SUCH-CALENDAR") == []  # the forecast's dates say that one


def test_the_calendar_check_is_fast_and_the_help_names_24_7():
    prices = load_csv(SP500)
    look(prices.frame, "close", prices.source)  # the calendar's sessions are built once
    started = time.perf_counter()
    for _ in range(5):
        look(prices.frame, "close", prices.source)
    assert (time.perf_counter() - started) / 5 < 0.25  # 5,031 rows: about 15 ms
    for command in ("train", "backtest"):
        text = " ".join(CliRunner().invoke(app, [command, "--help"]).output.replace("│", " ").split())
        assert "24/7 for a market open every day (crypto)" in text


def test_weekly_bars_train_with_a_warning_and_strict_refuses_them(write_csv, home):
    raw = price_frame(random_walk(300))
    raw["Date"] = pd.date_range("2015-01-02", periods=300, freq="W-FRI").strftime("%Y-%m-%d")
    csv = write_csv("weekly.csv", raw)
    runner = CliRunner()
    refused = runner.invoke(app, ["train", "--csv", str(csv), "--strict", *tiny_args(epochs=1)])
    assert refused.exit_code == 65 and "looks weekly" in refused.stderr and not (home / "models").exists()
    assert "Traceback" not in refused.output
    trained = runner.invoke(app, ["train", "--csv", str(csv), *tiny_args(epochs=1), "--json"])
    assert trained.exit_code == 0, trained.output
    assert "looks weekly" in " ".join(trained.stderr.split())
    assert "looks weekly" in json.loads(trained.stdout)["data"]["warnings"][0]


def test_a_unit_change_is_refused_by_strict_with_nothing_written(write_csv, home):
    close = random_walk(300)
    close[:150] *= 100
    csv = write_csv("pence.csv", price_frame(close))
    runner = CliRunner()
    refused = runner.invoke(app, ["train", "--csv", str(csv), "--strict", *tiny_args(epochs=1)])
    assert refused.exit_code == 65 and not (home / "models").exists()
    said = " ".join(refused.stderr.split())
    assert "(x0.00" in said and "pence to pounds is x0.01" in said and "--strict refuses data" in said


def test_a_market_open_every_day_trains_in_silence_under_24_7_and_its_forecast_keeps_weekends(write_csv, home):
    raw = price_frame(random_walk(300))
    raw["Date"] = pd.date_range("2020-01-01", periods=300).strftime("%Y-%m-%d")
    csv = write_csv("btc.csv", raw)
    runner = CliRunner()
    refused = runner.invoke(app, ["train", "--csv", str(csv), "--strict", *tiny_args(epochs=1)])
    assert refused.exit_code == 65 and not (home / "models").exists()
    assert "on Saturdays and Sundays: a market open every day (crypto?)" in " ".join(refused.stderr.split())
    trained = runner.invoke(app, ["train", "--csv", str(csv), "--strict", "--calendar", "24/7", *tiny_args(epochs=1)])
    assert trained.exit_code == 0, trained.output
    forecast = runner.invoke(app, ["predict", "BTC", "--days", "7", "--json"])
    assert forecast.exit_code == 0, forecast.output
    days = pd.DatetimeIndex([row["date"] for row in json.loads(forecast.stdout)["rows"]])
    assert list(days) == list(pd.date_range(raw["Date"].iloc[-1], periods=8)[1:])  # every day, weekends too
