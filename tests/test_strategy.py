"""Trading rules: the position and cost arithmetic on a worked example, the statistics, the tests' controls, no
look-ahead (and a leaked model caught), and bad options refused in one line."""

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn import strategy, strategy_report, targets
from stockrnn.backtest import backtest
from stockrnn.cli import app
from stockrnn.errors import DataError, UsageError
from stockrnn.forecast import forecast_model
from stockrnn.rules import Rule
from stockrnn.strategy import Performance, SharpeTest, daily
from stockrnn.train import fit
from stockrnn.validate import load_csv

from .conftest import price_frame, random_walk, sine_prices, tiny_args, tiny_config

DAYS = pd.bdate_range("2024-01-01", periods=6)  # Mon 1 .. Mon 8 January 2024


def test_worked_example_by_hand_close_fills():
    # Closes 100, 102, 101, 104, 103, 106 on Jan 1, 2, 3, 4, 5, 8. Signals made at the closes of Jan 1..5 ask for
    # long, long, flat, long, flat; each is filled at the next day's close, 10 bps a side.
    prices = pd.DataFrame({"close": [100, 102, 101, 104, 103, 106.0]}, index=DAYS)
    day = daily(pd.Series([1, 1, 0, 1, 0.0], index=DAYS[:5]), prices, cost=0.001)
    # Jan 2: flat all day (the Jan 1 signal is filled at its close), buys at the close: -0.001.
    # Jan 3: long: 101/102 - 1 = -0.00980392; the Jan 2 signal (long) changes nothing: no cost.
    # Jan 4: long: 104/101 - 1 = +0.02970297; sells at the close (Jan 3 said flat): -0.001 -> +0.02870297.
    # Jan 5: flat: 0; buys at the close (Jan 4 said long): -0.001.
    # Jan 8: long: 106/103 - 1 = +0.02912621; sells (Jan 5 said flat): -0.001 -> +0.02812621.
    returns = [-0.001, 101 / 102 - 1, 104 / 101 - 1 - 0.001, -0.001, 106 / 103 - 1 - 0.001]
    assert list(day.index) == list(DAYS[1:])
    assert day["ret"].to_numpy() == pytest.approx(returns, abs=1e-12)
    assert day["held"].tolist() == [1, 1, 0, 1, 0] and day["before"].tolist() == [0, 1, 1, 0, 1]
    assert day["cost"].to_numpy() == pytest.approx([0.001, 0, 0.001, 0.001, 0.001])
    # Equity from 1 at the Jan 1 close: 0.999, 0.98920588, 1.01759903, 1.01658143, 1.04517402.
    p = Performance.of(day, DAYS[0])
    assert p.total_return == pytest.approx(0.999 * (101 / 102) * (104 / 101 - 0.001) * 0.999 * (106 / 103 - 0.001) - 1)
    assert p.total_return == pytest.approx(0.04517402, abs=1e-8)
    # The deepest fall: from 1 at the Jan 1 close to 0.98920588 on Jan 3 (-1.0794%), back above 1 on Jan 4.
    assert p.max_drawdown.depth == pytest.approx(0.999 * 101 / 102 - 1)
    assert (p.max_drawdown.start, p.max_drawdown.trough, p.max_drawdown.end) == (DAYS[0], DAYS[2], DAYS[3])
    # Sharpe: mean 0.00900505 / sample standard deviation 0.01808042 x sqrt(252) = 7.906386.
    assert p.sharpe == pytest.approx(7.906386, abs=1e-6)
    # Sortino (empyrical's): mean x 252 / (sqrt(mean of min(r, 0)^2) x sqrt(252)); the losses -0.001, -0.0098, -0.001.
    downside = math.sqrt((0.001**2 + (101 / 102 - 1) ** 2 + 0.001**2) / 5) * math.sqrt(252)
    assert p.sortino == pytest.approx(np.mean(returns) * 252 / downside)
    # Four fills changed the position (Jan 2, 4, 5, 8), a side each: 0.4% of equity, turnover 4 x 252 / 5 a year.
    assert (p.trades, p.costs, p.turnover) == (4, pytest.approx(0.004), pytest.approx(201.6))
    # Exposed on Jan 3, 4 and 8 (long from the close before); two of those three days gained.
    assert (p.exposure, p.hit_rate) == (pytest.approx(0.6), pytest.approx(2 / 3))


def test_worked_example_by_hand_open_fills():
    # Closes 100, 101, 99, 103; opens (Jan 2..4) 100.5, 101.5, 98. Signals at the closes of Jan 1..3: long, flat,
    # long, each filled at the next day's open, 10 bps a side.
    prices = pd.DataFrame({"close": [100, 101, 99, 103.0], "open": [99.0, 100.5, 101.5, 98]}, index=DAYS[:4])
    day = daily(pd.Series([1, 0, 1.0], index=DAYS[:3]), prices, cost=0.001)
    # Jan 2: flat overnight, bought at the open: 101/100.5 - 1, less a side.
    # Jan 3: long overnight 101.5/101 - 1, sold at the open, less a side; flat after.
    # Jan 4: flat overnight, bought at the open: 103/98 - 1, less a side.
    assert day["ret"].to_numpy() == pytest.approx(
        [101 / 100.5 - 1 - 0.001, 101.5 / 101 - 1 - 0.001, 103 / 98 - 1 - 0.001], abs=1e-12
    )


def test_buy_and_hold_pays_one_side_and_a_flip_pays_two():
    prices = pd.DataFrame({"close": [100, 110, 121, 133.1]}, index=DAYS[:4])
    held = daily(pd.Series(1.0, index=DAYS[:3]), prices, cost=0.0005)
    assert held["cost"].sum() == pytest.approx(0.0005)  # bought once, at the Jan 2 close
    assert held["ret"].to_numpy() == pytest.approx([-0.0005, 0.1, 0.1])
    flip = daily(pd.Series([1.0, -1.0, -1.0], index=DAYS[:3]), prices, cost=0.0005)
    assert flip["cost"].to_numpy() == pytest.approx([0.0005, 0.001, 0])  # long, then short: two sides
    assert flip["ret"].to_numpy() == pytest.approx([-0.0005, 0.1 - 0.001, -0.1])


def test_sharpe_matches_empyrical_and_the_drawdown_its_max_drawdown():
    import empyrical

    returns = pd.Series(
        np.random.default_rng(3).normal(0.0005, 0.01, 300), index=pd.bdate_range("2020-01-01", periods=300)
    )
    assert strategy.sharpe(returns.to_numpy()) == pytest.approx(empyrical.sharpe_ratio(returns))
    frame = pd.DataFrame(
        {"held": 1.0, "before": 1.0, "exposed": True, "gross": returns, "turnover": 0.0, "cost": 0.0, "ret": returns}
    )
    p = Performance.of(frame, returns.index[0] - pd.offsets.BDay())
    assert p.max_drawdown.depth == pytest.approx(empyrical.max_drawdown(returns))
    assert p.cagr == pytest.approx(empyrical.annual_return(returns))


def test_the_sharpe_test_words_and_untested():
    days = pd.bdate_range("2020-01-01", periods=250)
    rng = np.random.default_rng(0)
    market = pd.Series(rng.normal(0, 0.01, 250), index=days)
    good = SharpeTest.run(market.abs(), market)  # knows every day's sign: it cannot lose
    assert good.outcome == "beat" and good.p_value < 0.01 and "BEAT buy-and-hold" in good.line()
    flat = SharpeTest.run(pd.Series(0.0, index=days), market)
    assert flat.outcome == "untested" and "never varied" in flat.line() and "not tested" in flat.line()
    short = SharpeTest.run(market[:10], market[:10] * 2)
    assert short.outcome == "untested" and "fewer than 20 days" in short.line()
    rarely = market.where(np.arange(250) % 50 == 0, 0.0)  # in the market on 5 days of 250
    few = SharpeTest.run(rarely, market)
    assert few.outcome == "untested" and few.reason == "the strategy was in the market on 5 of 250 days, fewer than 20"


@pytest.mark.slow
def test_random_walks_are_called_significant_at_most_2_times_in_20():
    # The test's false-positive rate: a rule that cannot know the future (yesterday's move continues) on 20 seeded
    # random walks of a year; at 5% about 1 in 20 is expected by chance.
    target, called = targets.get("return"), 0
    for seed in range(20):
        days = pd.bdate_range("2010-01-01", periods=253)
        close = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, 253))), index=days)
        momentum = pd.DataFrame({"score": close.pct_change().fillna(0.0)})  # known at each close
        trials, *_ = strategy.trade(momentum, target, [Rule().resolved(target)], pd.DataFrame({"close": close}))
        called += trials[0].test.outcome in ("beat", "lost")
    assert called <= 2


def _signals_of_a_model(model, scaler, config, prices, start, days, interval):
    return forecast_model(model, scaler, config, prices, start, days, ("", "v"), interval, 0.8).signals()


@pytest.mark.slow
def test_no_look_ahead_and_a_leaked_model_is_caught(write_csv):
    """Moving any price after day t never changes the position held on day t + 1 (decided at t); the same check
    run on a model fed the next day's return fails."""
    prices = load_csv(write_csv("s.csv", price_frame(sine_prices(300, noise=0.3))))
    config = tiny_config(epochs=2, train_end=f"{prices.frame.index[239]:%Y-%m-%d}")
    model, scaler, manifest = fit(prices, config)
    start = f"{prices.frame.index[240]:%Y-%m-%d}"
    target = targets.get(config.target)
    rule = Rule().resolved(target)

    def model_positions(p):
        signals = _signals_of_a_model(model, scaler, config, p, start, 40, manifest.interval)
        return daily(strategy.positions(signals, target, rule), p.frame[["close"]], rule.cost)["held"]

    def leaked_positions(p):  # "predicts" tomorrow's return from tomorrow's price
        close = p.frame["close"]
        signals = pd.DataFrame({"score": (close.shift(-1) / close - 1).iloc[240:280]})
        return daily(strategy.positions(signals, target, rule), p.frame[["close"]], rule.cost)["held"]

    def looks_ahead(positions_of) -> bool:
        before = positions_of(prices)
        for t in range(250, 275, 6):  # move every price after day t; positions up to t + 1 must not move
            moved = prices.frame.copy()
            moved.iloc[t + 1 :, moved.columns.get_loc("close")] *= np.linspace(0.7, 1.3, len(moved) - t - 1)
            after = positions_of(type(prices)(**{**prices.__dict__, "frame": moved}))
            upto = prices.frame.index[t + 1]
            if not before.loc[:upto].equals(after.loc[:upto]):
                return True
        return False

    assert not looks_ahead(model_positions)
    assert looks_ahead(leaked_positions)


@pytest.mark.slow
def test_synthetic_control_trades_well_and_the_report_adds_up(write_csv):
    prices = load_csv(write_csv("s.csv", price_frame(sine_prices(500, noise=0.3))))
    config = tiny_config(epochs=10, learning_rate=0.01, units=16)
    report = backtest(prices, config, folds=4, horizon=20, step=20)
    target = targets.get(config.target)
    traded = strategy_report.from_backtest(
        report.folds, prices.frame[["close"]], target, [Rule().resolved(target), Rule("long-short").resolved(target)]
    )
    best = traded.trials[0]
    assert best.performance.sharpe > 2 and best.test.p_value < 0.01 and best.test.outcome == "beat"
    assert traded.spa is not None and traded.spa.trials == 2
    # The pooled days are the folds' days, and each fold's statistics its own days'.
    assert best.performance.days == sum(p.days for p in best.periods) == 80
    assert [p.start for p in best.periods] == [f["start"] for f in report.folds]
    # Each origin's signal came from the fold trained last before it.
    signals = strategy_report.signals_of(report.folds)
    assert signals.index[0] == pd.Timestamp(report.folds[0]["cutoff"]) and signals.index.is_unique


def test_bad_rules_are_one_line_errors():
    value, direction = targets.get("return"), targets.get("direction")
    with pytest.raises(UsageError, match=r"--threshold for a return model's expected return must be at least the "
                                         r"round-trip cost 0.001"):  # fmt: skip
        Rule(threshold=0.0005).resolved(value)
    with pytest.raises(UsageError, match="between 0 and 0.5"):
        Rule(threshold=-0.1).resolved(value)
    with pytest.raises(UsageError, match=r"direction model's P\(up\) must be a probability from 0.5"):
        Rule(threshold=0.3).resolved(direction)
    with pytest.raises(UsageError, match="--cost-bps must be from 0 to 1000 basis points per side, not -1"):
        Rule(cost_bps=-1).resolved(value)
    with pytest.raises(UsageError, match="--fill must be one of close, open, not 'noon'"):
        Rule(fill="noon").resolved(value)
    with pytest.raises(UsageError, match="--strategy must be one of long-flat, long-short"):
        Rule("short-only").resolved(value)
    assert Rule(cost_bps=0).resolved(value).threshold == 0 and Rule().resolved(direction).threshold == 0.5
    with pytest.raises(DataError, match="--fill open needs an Open column"):
        strategy.bars(pd.DataFrame({"close": [1.0]}), "close", "open", "f.csv")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--strategy", "long-flat", "--cost-bps", "-5"], "--cost-bps must be in the range 0 to 1000"),
        (["--strategy", "sideways"], "--strategy must be one of long-flat, long-short, not 'sideways'"),
        (["--threshold", "0.7"], "--threshold for a price model's expected return must be between 0 and 0.5"),
        (["--strategy", "long-flat", "--fill", "open"], "--fill open needs an Open column"),
    ],
)
def test_backtest_refuses_a_bad_rule_before_training(write_csv, options, message):
    csv = write_csv("p.csv", price_frame(random_walk(300))[["Date", "Close"]])  # no Open column
    result = CliRunner().invoke(app, ["backtest", "--csv", str(csv), *tiny_args(), *options])
    assert result.exit_code != 0 and message in " ".join(result.output.split())
    assert "Traceback" not in result.output and "fold 1" not in result.output


def test_rules_identical_to_buy_and_hold_are_not_called_better_and_a_repeated_rule_is_traded_once(recwarn):
    # A direction model that says up every day: long/flat and long/short both hold long all the time.
    days = pd.bdate_range("2020-01-01", periods=120)
    close = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 120))), index=days)
    target = targets.get("direction")
    rules = [Rule(threshold=0.5).resolved(target), Rule("long-short", 0.52).resolved(target)]
    up = pd.DataFrame({"score": 0.9}, index=days[:-1])
    trials, _, _, _, spa = strategy.trade(up, target, [*rules, rules[0]], pd.DataFrame({"close": close}))
    assert [t.rule for t in trials] == rules  # the repeated rule once
    assert spa is not None and spa.outcome == "untested" and spa.p_value is None
    assert "every rule traded as buy-and-hold did" in spa.line() and "BEAT" not in spa.line()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_days_between_folds_are_neither_traded_nor_scored():
    # Two folds of 5 days with 5 unscored days between them (--step longer than --horizon); the first fold's last
    # signal says long, which must not be carried through the gap.
    days = pd.bdate_range("2021-03-01", periods=20)
    prices = pd.DataFrame({"close": np.linspace(100, 119, 20)}, index=days)

    def fold(number, cutoff, start, end):
        origins = days[(days >= days[cutoff]) & (days < days[end])]
        signals = [{"origin": f"{d:%Y-%m-%d}", "score": 0.01, "lower": None, "upper": None} for d in origins]
        return {"fold": number, "cutoff": f"{days[cutoff]:%Y-%m-%d}", "start": f"{days[start]:%Y-%m-%d}",
                "end": f"{days[end]:%Y-%m-%d}", "signals": signals}  # fmt: skip

    folds = [fold(1, 4, 5, 9), fold(2, 14, 15, 19)]
    target = targets.get("return")
    report = strategy_report.from_backtest(folds, prices, target, [Rule().resolved(target)])
    trial = report.trials[0]
    scored = list(days[5:10]) + list(days[15:20])
    assert list(trial.day.index) == scored and list(report.benchmark_day.index) == scored
    # Close fills: in fold 2 the first day is flat (the position decided at its cut-off is filled at its close).
    assert trial.day.loc[days[15], "before"] == 0 and trial.day.loc[days[16], "before"] == 1
    assert trial.performance.days == 10 and [p.days for p in trial.periods] == [5, 5]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "--synthetic", "--cost-bps", "10"], "--cost-bps and --fill are the strategy's: add --strategy"),
        (["backtest", "--synthetic", "--fill", "open"], "--cost-bps and --fill are the strategy's: add --strategy"),
        (["predict", "AAA", "--out", "x.png"], "predict writes its rows as CSV: name a .csv file"),
        (["signal", "prices.csv"], "signal takes the symbols of trained models; train one on the file first"),
        (["models", "NOPE"], "no model for NOPE: train one with stockrnn train NOPE"),
    ],
)
def test_options_that_would_be_ignored_or_misread_are_one_line_errors(home, args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (2, 66) and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


def test_a_strategy_plot_that_cannot_be_written_is_refused_before_training(tmp_path):
    (tmp_path / "bt-strategy.png").mkdir()  # the equity curves' file is a folder
    result = CliRunner().invoke(app, ["backtest", "--synthetic", "--strategy", "LONG-FLAT", "--plot",
                                      str(tmp_path / "bt.png")])  # fmt: skip
    assert result.exit_code == 73 and "bt-strategy.png is a folder" in result.output
    assert "fold 1" not in result.output and not (tmp_path / "bt.png").exists()
    assert Rule("Long-Short", fill="OPEN") == Rule("long-short", fill="open")  # names in any case
