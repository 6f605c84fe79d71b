"""The direction target's labels, calibrator and probability scores, worked by hand; a learnable and a coin-flip
series as the controls of the whole classifier."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from stockrnn import trend
from stockrnn.config import DIRECTION_HORIZON, TrainConfig
from stockrnn.errors import UsageError
from stockrnn.targets import get
from stockrnn.train import fit
from stockrnn.validate import load_csv
from stockrnn.windows import training_set

from .conftest import price_frame, random_walk, sine_prices, tiny_config


def test_labels_by_hand():
    """Prices 100, 101, 99, 102, 103, 101, 104; H = 2, windows of 2 returns: the windows end on the days of 99,
    102 and 103, whose prices two days later are 103 (up), 101 (down) and 104 (up)."""
    prices = np.array([100.0, 101.0, 99.0, 102.0, 103.0, 101.0, 104.0])
    target = get("direction")
    values = target.encode(prices)[1:]  # the 6 daily log returns
    labels = target.labels(values, values, 2)  # one per end o = 0 .. 3 of the returns: the day of price o + 1
    assert labels.tolist() == [1.0, 1.0, 0.0, 1.0]  # 101 -> 102, 99 -> 103, 102 -> 101, 103 -> 104
    assert labels[2 - 1 :].tolist() == [1.0, 0.0, 1.0]  # the windows of 2 returns end on 99, 102 and 103


def test_training_labels_never_cross_the_training_end():
    close = sine_prices(300, period=25)
    frame = price_frame(close)
    frame.columns = [c.lower().replace(" ", "_") for c in frame.columns]
    frame = frame.set_index(pd.DatetimeIndex(frame.pop("date")))
    end = 249
    config = TrainConfig(target="direction", horizon_days=5, window=10, train_end=f"{frame.index[end]:%Y-%m-%d}")
    data = training_set(frame, config)
    assert data.val_dates[-1] == frame.index[end]  # the last label's day is the training end, never after it
    prices = frame["close"].to_numpy()
    # each validation label is "the price on its day is above the price 5 days before"
    days = frame.index.get_indexer(data.val_dates)
    assert data.y_val.tolist() == [float(prices[d] > prices[d - 5]) for d in days]
    # windows end 5 days before their label: 250 prices, 249 returns, windows of 10 ending at return 9 .. 243
    assert len(data.y_train) + len(data.y_val) == 249 - 5 - 10 + 1
    changed = close.copy()
    changed[end + 1 :] = changed[end + 1 :][::-1] * 3  # any future: the same training set
    later = price_frame(changed)
    later.columns = frame.reset_index().columns
    later = later.set_index(pd.DatetimeIndex(later.pop("date")))
    again = training_set(later, config)
    for name in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(data, name), getattr(again, name))


def test_horizon_days_only_with_the_direction_target():
    assert TrainConfig(target="direction").horizon_days == DIRECTION_HORIZON
    assert TrainConfig(target="return").horizon_days is None and TrainConfig().horizon == 1
    with pytest.raises(UsageError, match="--horizon-days is for --target direction, not return"):
        TrainConfig(target="return", horizon_days=5)
    with pytest.raises(UsageError, match="--horizon-days must be in the range 1 to 252 .* not 0"):
        TrainConfig(target="direction", horizon_days=0)
    assert TrainConfig.from_dict(TrainConfig(target="direction", horizon_days=21).to_dict()).horizon == 21


def test_calibrator_round_trips_through_json_and_keeps_the_base_rate_when_there_is_no_signal():
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.3, 0.7, 400)
    noise = (rng.uniform(size=400) < 0.55).astype(float)  # outcomes unrelated to raw
    flat = trend.fit_platt(raw, noise, 0.55)
    assert flat["a"] < 0.5  # little trust in an output that says nothing
    signal = (rng.uniform(size=400) < raw).astype(float)  # outcomes that follow raw: already calibrated
    fitted = trend.fit_platt(raw, signal, 0.5)
    assert 0.5 < fitted["a"] < 2.0
    again = json.loads(json.dumps(fitted))
    np.testing.assert_allclose(trend.calibrated(again, raw), trend.calibrated(fitted, raw))
    # a = 0 says the base rate; a = 1 (with b = 0 at a base rate of one half) keeps the raw output
    assert trend.calibrated({"a": 0.0, "b": math.log(0.6 / 0.4)}, raw) == pytest.approx(np.full(400, 0.6))
    assert trend.calibrated({"a": 1.0, "b": 0.0}, raw) == pytest.approx(raw)


def test_scores_and_report_by_hand():
    p, y = np.array([0.9, 0.2, 0.6, 0.4]), np.array([1.0, 0.0, 0.0, 1.0])
    s = trend.scores(p, y)
    assert s.brier == pytest.approx((0.01 + 0.04 + 0.36 + 0.36) / 4)
    assert s.log_loss == pytest.approx(-(math.log(0.9) + math.log(0.8) + math.log(0.4) + math.log(0.4)) / 4)
    assert s.accuracy == 0.5
    r = trend.report(p, y, 0.5, horizon=1)
    assert r["base_rate"].brier == 0.25 and r["always_up"].accuracy == 0.5
    assert r["p_up"].brier_skill == pytest.approx(1 - 0.1925 / 0.25)
    assert r["p_up"].test.lags == 0 and trend.report(p, y, 0.5, horizon=3)["p_up"].test.lags == 2
    [vs_base, vs_up] = trend.comparisons(r, "four days")
    assert "Brier 0.1925 vs 0.25" in vs_base.line() and "error rate 0.5 vs 0.5" in vs_up.line()


def test_reliability_bins_count_every_day():
    p = np.array([0.05, 0.08, 0.55, 0.58, 0.95, 1.0])
    y = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    bins = trend.reliability(p, y)
    assert [(b["low"], b["count"], b["observed"]) for b in bins] == [(0.0, 2, 0.0), (0.5, 2, 0.5), (0.9, 2, 1.0)]
    assert sum(b["count"] for b in bins) == len(p) and bins[1]["predicted"] == pytest.approx(0.565)


def skill_on(close: np.ndarray, tmp_path) -> float:
    csv = tmp_path / "series.csv"
    price_frame(close).to_csv(csv, index=False)
    config = tiny_config(target="direction", horizon_days=5, epochs=20, learning_rate=0.01, units=16)
    _, scaler, manifest = fit(load_csv(csv), config)
    assert set(scaler["calibrator"]) == {"method", "a", "b", "base_rate", "horizon"}
    return manifest.metrics["p_up"].brier_skill


@pytest.mark.slow
def test_a_predictable_series_gives_brier_skill_above_0_8_and_a_coin_flip_none(tmp_path):
    assert skill_on(sine_prices(600, period=25), tmp_path) > 0.8
    assert abs(skill_on(random_walk(600, seed=5), tmp_path)) < 0.05
