"""Prediction intervals: the EWMA volatility, the conformal quantile, both bands and the interval score, by hand;
and a band that follows a market whose volatility jumps."""

import math

import numpy as np
import pytest

from stockrnn import intervals


def test_ewma_variance_by_hand():
    prices = np.array([100.0, 110.0, 99.0])
    r1, r2 = math.log(1.1), math.log(0.9)
    seed = (r1**2 + r2**2) / 2  # the first (up to 20) returns' mean square
    v1 = 0.94 * seed + 0.06 * r1**2
    v2 = 0.94 * v1 + 0.06 * r2**2
    np.testing.assert_allclose(intervals.ewma_variance(prices), [seed, v1, v2])


def test_conformal_quantile_by_hand():
    scores = [0.5, 0.1, 0.4, 0.2, 0.3, 0.9, 0.8, 0.7, 0.6]  # n = 9
    assert intervals.conformal_quantile(scores, 0.8) == pytest.approx(0.8)  # ceil(10 * 0.8) = 8th smallest
    assert intervals.conformal_quantile(scores, 0.5) == pytest.approx(0.5)  # 5th smallest
    assert intervals.conformal_quantile(scores, 0.95) is None  # needs the 10th of 9


def test_winkler_by_hand():
    # level 0.8: alpha 0.2, a miss costs 2 / 0.2 = 10 times its distance, on top of the width 2
    score = intervals.winkler(np.array([5.0, 7.0, 3.5]), np.array([4.0, 4.0, 4.0]), np.array([6.0, 6.0, 6.0]), 0.8)
    np.testing.assert_allclose(score, [2.0, 12.0, 7.0])


def test_constant_band_of_older_models_widens_by_sqrt_step_in_log_space():
    calibration = {"method": "constant", "scores": [0.5, 0.1, 0.4, 0.2, 0.3, 0.9, 0.8, 0.7, 0.6]}
    lower, upper = intervals.band(calibration, np.full(4, 10.0), np.full(50, 10.0), 0.8)
    np.testing.assert_allclose(upper - 10, [0.8, 0.8 * math.sqrt(2), 0.8 * math.sqrt(3), 1.6])  # as it always was
    np.testing.assert_allclose(np.log(10 / lower), np.log(upper / 10))  # the lower end: its mirror in log space
    # a stored price error far larger than the price (a model of a stock that fell 99%) keeps the band above zero
    lower, upper = intervals.band(calibration, np.full(4, 0.03), np.full(50, 0.03), 0.8)
    assert np.all(lower > 0) and np.all(upper > 0.8)


def test_forecast_band_from_the_moves_before_the_origin_by_hand():
    rng = np.random.default_rng(3)
    history = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    path = history[-1] * np.array([1.01, 1.02, 1.03])
    lower, upper = intervals.band({"method": "ewma-path", "lambda": 0.94}, path, history, 0.8)
    sigma = np.sqrt(intervals.ewma_variance(history))
    for h in (1, 2, 3):  # every h-day move that ends inside the history, over the volatility on its first day
        moves = [abs(math.log(history[t + h] / history[t])) / sigma[t] for t in range(len(history) - h)]
        q = sorted(moves)[math.ceil((len(moves) + 1) * 0.8) - 1]
        assert upper[h - 1] == pytest.approx(path[h - 1] * math.exp(q * sigma[-1]))  # exp(log(path) + q sigma)
        assert lower[h - 1] == pytest.approx(path[h - 1] * math.exp(-q * sigma[-1]))
    assert np.all(np.diff(np.log(upper / lower)) > 0)  # three days ahead is less certain than one
    assert np.all(upper - path > path - lower)  # asymmetric in price: a price can rise further than it can fall
    assert intervals.band({"method": "ewma-path", "lambda": 0.94}, path, history[:4], 0.8) is None  # too few moves


def test_calibration_is_plain_json_of_the_validation_errors():
    history = np.array([100.0, 101, 99, 102, 103, 101, 104])
    calibration = intervals.calibrate(history, np.array([1.0, -2.0]), np.array([5, 6]))
    sigma = np.sqrt(intervals.ewma_variance(history))
    # log errors: predicted 102 against 101 on day 5, 102 against 104 on day 6, over the day before's volatility
    expected = sorted([math.log(102 / 101) / sigma[4], math.log(104 / 102) / sigma[5]])
    assert calibration["method"] == "ewma-path" and calibration["one_step"]["gamma"] == intervals.GAMMA
    assert calibration["one_step"]["space"] == "log"
    np.testing.assert_allclose(calibration["one_step"]["scores"], expected, rtol=1e-5)


def test_adaptive_conformal_widens_after_misses_and_narrows_after_hits():
    calibration = {"one_step": {"lambda": 0.94, "gamma": 0.05, "scores": list(np.linspace(0.1, 3.0, 99))}}
    prices = np.full(30, 100.0) * np.exp(np.r_[0, np.tile([0.01, -0.01], 15)][:30])
    predicted = prices[-5:]
    fixed_lower, fixed_upper = intervals.one_step_band(calibration, predicted, prices, 0.8)
    missed = intervals.one_step_band(calibration, predicted, prices, 0.8, predicted + 1000)  # every day a miss
    hit = intervals.one_step_band(calibration, predicted, prices, 0.8, predicted)  # every day dead on
    assert missed[1][0] == fixed_upper[0] == hit[1][0]  # the first band knows no actual yet
    assert np.all(np.diff(missed[1] - missed[0]) >= 0) and missed[1][-1] > fixed_upper[-1]
    assert hit[1][-1] < fixed_upper[-1]
    assert intervals.one_step_band({"method": "constant", "scores": [1.0]}, predicted, prices, 0.8) is None


def test_the_one_step_band_follows_a_market_whose_volatility_jumps():
    rng = np.random.default_rng(11)
    returns = np.r_[rng.normal(0, 0.005, 1000), rng.normal(0, 0.02, 100)]  # calm, then four times as turbulent
    prices = 100 * np.exp(np.cumsum(returns))
    calm = np.arange(800, 1000)  # "validation": the calm days before the jump; persistence's errors
    errors = prices[calm - 1] - prices[calm]
    calibration = intervals.calibrate(prices[:1000], errors, calm)
    turbulent = prices[1000:]
    lower, upper = intervals.one_step_band(calibration, prices[999:-1], prices[:-1], 0.8, turbulent)
    follows = np.mean((lower <= turbulent) & (turbulent <= upper))
    q = intervals.conformal_quantile(np.abs(errors), 0.8)  # the old band: the calm days' errors, whatever comes
    fixed = np.mean(np.abs(turbulent - prices[999:-1]) <= q)
    assert follows > 0.7 and fixed < 0.45


def wild_walk(last: float, n: int = 400, seed: int = 0, ticks: bool = False) -> np.ndarray:
    """A log-normal walk with 10% daily moves that ends at `last`; with `ticks`, a few bad ticks (a day at ten
    times or a tenth of the price, back the next day)."""
    rng = np.random.default_rng(seed)
    prices = np.exp(np.cumsum(rng.normal(0, 0.1, n)))
    prices *= last / prices[-1]
    if ticks:
        for day, factor in ((150, 10.0), (260, 0.1), (340, 10.0), (n - 30, 0.1)):
            prices[day] *= factor
    return prices


@pytest.mark.parametrize("last", [1e-4, 0.03, 1.0, 100.0, 2e4])
@pytest.mark.parametrize("ticks", [False, True])
def test_no_band_goes_below_zero_at_any_price_level(last, ticks):
    prices = wild_walk(last, ticks=ticks)
    history, after = prices[:340], prices[340:]
    errors = history[281:340] * np.random.default_rng(1).normal(0, 0.3, 59)  # a model 30% off, either way
    calibration = intervals.calibrate(history, errors, np.arange(281, 340))
    for path in (np.full(60, history[-1]), history[-1] * np.linspace(1, -2, 60)):  # the second: a path below zero
        lower, upper = intervals.band(calibration, path, history, 0.8)
        assert np.all(lower > 0) and np.all(upper > lower)
        constant = intervals.band({"method": "constant", "scores": list(np.abs(errors))}, path, history, 0.8)
        assert np.all(constant[0] > 0) and np.all(constant[1] > constant[0])
    for predicted in (np.r_[history[-1], after[:-1]], -after):
        lower, upper = intervals.one_step_band(calibration, predicted, prices[:-1], 0.8, after)
        assert np.all(lower > 0) and np.all(upper > lower)


def test_a_calibration_from_before_log_space_gives_the_band_it_gave():
    """One-step scores stored before the bands moved to log space were price errors over the price and volatility
    of the day before; read as log moves, the band keeps its width and stays above zero."""
    rng = np.random.default_rng(5)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))
    scores = list(np.abs(rng.normal(0, 1, 80)))
    old = {"method": "ewma-path", "lambda": 0.94, "one_step": {"lambda": 0.94, "gamma": 0.05, "scores": scores}}
    predicted = prices[-21:-1]  # persistence: the price the old half-width was scaled by
    lower, upper = intervals.one_step_band(old, predicted, prices[:-1], 0.8)
    q = intervals.conformal_quantile(scores, 0.8)
    before = q * prices[-21:-1] * np.sqrt(intervals.ewma_variance(prices[:-1]))[-20:]  # the old half-width
    np.testing.assert_allclose(upper - predicted, before, rtol=0.02)
    np.testing.assert_allclose(predicted - lower, before, rtol=0.02)
    assert np.all(lower > 0)


@pytest.mark.parametrize(("last", "ticks"), [(0.03, False), (2000.0, True)])
def test_no_command_shows_or_records_a_band_below_zero(last, ticks, write_csv, home):
    """predict (both bands, and the forecast it records), backtest (every fold's days) and track (the recorded
    bands) on a 10%-a-day walk ending near 0.03, and on one at 2000 with bad ticks."""
    import json

    from typer.testing import CliRunner

    from stockrnn import ledger
    from stockrnn.cli import app

    from .conftest import price_frame, tiny_args

    runner = CliRunner()
    frame = price_frame(wild_walk(last, ticks=ticks))
    early = write_csv("early.csv", frame.iloc[:-60])
    train = runner.invoke(app, ["train", "--csv", str(early), "--symbol", "WILD", *tiny_args(epochs=2)])
    assert train.exit_code == 0, train.output
    recorded = runner.invoke(app, ["predict", "WILD", "--days", "60", "--json"])  # recorded in the ledger
    assert recorded.exit_code == 0, recorded.output
    full = write_csv("full.csv", frame)
    done = runner.invoke(app, ["predict", "WILD", "--csv", str(full), "--start", frame["Date"].iloc[-60], "--days",
                               "60", "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)["rows"] + json.loads(recorded.stdout)["rows"]
    for name in ("lower", "one_step_lower"):
        bounds = [r[name] for r in rows if r.get(name) is not None]
        assert bounds and min(bounds) > 0, name
    folds = runner.invoke(app, ["backtest", "--csv", str(full), "--folds", "2", "--horizon", "20", "--step", "20",
                                "--json", *tiny_args(epochs=1)])  # fmt: skip
    assert folds.exit_code == 0, folds.output
    days = [day for fold in json.loads(folds.stdout)["folds"] for day in fold["days"]]
    for name in ("lower", "one_step_lower"):
        bounds = [day[name] for day in days if day.get(name) is not None]
        assert bounds and min(bounds) > 0, name
    steps = [s for e in ledger.read() for s in e.steps]
    assert steps and all(s.lower is not None and s.lower > 0 for s in steps)
    track = runner.invoke(app, ["track", "--json", "--offline"])
    assert track.exit_code == 0, track.output


def test_the_lecture_cases_coverage_stays_close_in_log_space():
    """The bundled S&P 500 from 2012, a naive path (flat at the origin's price) every 21 days of 2017-2018: the
    log band covers what the price band it replaced covered, within two points, near the stated 80%; and the
    one-step band around persistence, calibrated on 2016's second half, holds about 80% of 2017-2018."""
    import pandas as pd

    from .conftest import SP500

    close = pd.read_csv(SP500, index_col="Date", parse_dates=True)["Close"].loc["2012-01-03":"2018-12-31"]
    prices = close.to_numpy()
    first = int(close.index.searchsorted(pd.Timestamp("2017-01-03")))
    inside = {"log": [], "price": []}
    for origin in range(first - 1, len(prices) - 21, 21):
        history, actual = prices[: origin + 1], prices[origin + 1 : origin + 22]
        path = np.full(21, history[-1])
        lower, upper = intervals.band({"method": "ewma-path", "lambda": 0.94}, path, history, 0.8)
        half = history[-1] * (upper / path - 1)  # exp(q sigma) - 1: the price band's half-width it replaced
        inside["log"] += list((lower <= actual) & (actual <= upper))
        inside["price"] += list((path - half <= actual) & (actual <= path + half))
    log_coverage, price_coverage = np.mean(inside["log"]), np.mean(inside["price"])
    assert abs(log_coverage - price_coverage) <= 0.02 and 0.7 <= log_coverage <= 0.9

    tail = np.arange(first - 120, first)  # persistence's one-step errors on the validation tail
    calibration = intervals.calibrate(prices[:first], prices[tail - 1] - prices[tail], tail)
    actual = prices[first:]
    lower, upper = intervals.one_step_band(calibration, prices[first - 1 : -1], prices[:-1], 0.8, actual)
    assert 0.75 <= np.mean((lower <= actual) & (actual <= upper)) <= 0.85


def test_a_direct_head_s_band_is_its_own_errors_at_each_step_by_hand():
    rng = np.random.default_rng(3)
    history = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(300)))
    origins = np.arange(200, 290)  # every origin's 3 next prices lie inside the history
    actual = history[origins[:, None] + np.arange(1, 4)]  # (90, 3)
    factors = np.array([1.01, 1.02, 1.05])  # the head misses by 1%, 2% and 5% at steps 1, 2 and 3
    base = intervals.calibrate(history, np.zeros(90), origins + 1)
    steps = intervals.with_steps(base, history, actual * factors, origins)
    assert steps["method"] == intervals.STEPS and len(steps["steps"]) == 3 and steps["one_step"] == base["one_step"]
    sigma = np.sqrt(intervals.ewma_variance(history))
    np.testing.assert_allclose(sorted(steps["steps"][2]), np.sort(np.log(1.05) / sigma[origins]), atol=1e-5)
    # The band of a path of 5 days: steps 1-3 from the head's errors, 4-5 from the price's moves (the PATH band's).
    path = np.full(5, history[-1])
    lower, upper = intervals.band(steps, path, history, 0.8)
    plain_lower, plain_upper = intervals.band(base, path, history, 0.8)
    q = [intervals.conformal_quantile(steps["steps"][h], 0.8) for h in range(3)]
    np.testing.assert_allclose(upper[:3], path[:3] * np.exp(np.array(q) * sigma[-1]))
    np.testing.assert_allclose(lower[:3], path[:3] * np.exp(-np.array(q) * sigma[-1]))
    np.testing.assert_allclose(upper[3:], plain_upper[3:])
    assert (np.diff(upper[:3]) > 0).all() and (lower > 0).all()  # wider as the head's errors grow; never below 0
    assert intervals.scores_behind(steps, 300, 3) == (90, "validation-tail errors 3 steps ahead")


def test_a_direct_head_s_band_stays_above_zero_when_the_head_predicts_a_negative_price():
    history = np.linspace(50, 60, 120)
    origins = np.arange(60, 110)
    paths = np.full((50, 2), -5.0)  # a price-level head can output a negative price
    steps = intervals.with_steps(intervals.calibrate(history, np.zeros(50), origins + 1), history, paths, origins)
    lower, upper = intervals.band(steps, np.array([-5.0, -5.0]), history, 0.8)
    assert (lower > 0).all() and (upper >= lower).all() and np.isfinite(steps["steps"][0]).all()


def test_a_multi_day_band_on_too_few_validation_origins_is_said():
    history = 100 * np.exp(np.cumsum(0.01 * np.random.default_rng(4).standard_normal(300)))
    base = intervals.calibrate(history, np.zeros(30), np.arange(250, 280))

    def calibrated(origins: int) -> dict:
        at = np.arange(200, 200 + origins)
        return intervals.with_steps(base, history, history[at[:, None] + np.arange(1, 6)], at)

    said = intervals.thin_steps(calibrated(4))
    assert said is not None and "network's 5 days rests on 4 validation origins per step (fewer than 20)" in said
    assert intervals.thin_steps(calibrated(intervals.MIN_ORIGINS - 1)) is not None
    assert intervals.thin_steps(calibrated(intervals.MIN_ORIGINS)) is None
    assert intervals.thin_steps(base) is None and intervals.thin_steps(None) is None  # the h-day moves: no warning
