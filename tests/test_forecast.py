"""Forecast stage: trading-day dates, the recursive forecast, the one-step line and their scores."""

import numpy as np
import pandas as pd
import pytest

from stockrnn import registry
from stockrnn.app import predict
from stockrnn.calendar import trading_days_after
from stockrnn.errors import DataError, MissingInputError, UsageError
from stockrnn.forecast import load_model
from stockrnn.price_source import PriceSource
from stockrnn.targets import scale, scaler_from_dict, unscale
from stockrnn.validate import load_csv

from .conftest import price_frame, sine_prices


def test_trading_days_skip_weekends_and_holidays():
    days = trading_days_after(pd.Timestamp("2016-12-30"), 12, "XNYS")
    assert days[0] == pd.Timestamp("2017-01-03")  # Monday 2 January 2017 was the New Year holiday
    assert pd.Timestamp("2017-01-16") not in days  # Martin Luther King Jr. Day
    assert all(day.weekday() < 5 for day in days) and len(days) == 12
    assert days.tz is None


def test_forecast_after_the_last_day(sine_model):
    result = predict("SINE", days=5)
    last = load_csv(sine_model).frame.index[-1]
    assert result.origin == last
    assert len(result.rows) == 5 and result.rows.index[0] > last
    assert result.rows["actual"].isna().all() and result.rows["one_step"].isna().all()
    assert result.rows["forecast"].notna().all()
    assert result.metrics == {}


def test_forecast_from_start_inside_the_data(sine_model):
    frame = load_csv(sine_model).frame
    start = frame.index[500]
    result = predict("SINE", start=f"{start:%Y-%m-%d}", days=10)
    assert result.origin == frame.index[499]
    assert list(result.rows.index) == list(frame.index[500:510])
    np.testing.assert_allclose(result.rows["actual"], frame["close"].iloc[500:510])
    # the first step of both methods sees the same 20 actual prices
    assert result.rows["forecast"].iloc[0] == pytest.approx(result.rows["one_step"].iloc[0], rel=1e-5)
    assert set(result.metrics) == {"forecast", "naive", "drift", "one_step", "persistence"}
    assert result.metrics["one_step"].skill > 0.3  # the sine is learnable one step ahead
    assert result.metrics["naive"].rmse == pytest.approx(
        np.sqrt(np.mean((frame["close"].iloc[500:510].to_numpy() - frame["close"].iloc[499]) ** 2))
    )


def test_one_step_uses_actual_prices_and_forecast_does_not(sine_model, write_csv):
    frame = load_csv(sine_model).frame
    start = f"{frame.index[500]:%Y-%m-%d}"
    base = predict("SINE", start=start, days=10)
    changed = price_frame(sine_prices(600, noise=0.3))
    changed.loc[503:, ["Open", "High", "Low", "Close", "Adj Close"]] *= 1.05  # the future differs
    other = predict("SINE", PriceSource(csv=write_csv("changed.csv", changed)), start=start, days=10)
    np.testing.assert_allclose(base.rows["forecast"], other.rows["forecast"])  # made before the change: same
    assert not np.allclose(base.rows["one_step"].iloc[4:], other.rows["one_step"].iloc[4:])
    np.testing.assert_allclose(base.rows["one_step"].iloc[:4], other.rows["one_step"].iloc[:4], rtol=1e-6)

    # one_step on day i is the model applied to the 20 actual prices before it
    stored = registry.load_current("SINE")
    scaler = scaler_from_dict(stored.scaler)
    window = scale(scaler, frame["close"].iloc[485:505].to_numpy())[None, :, None]
    expected = unscale(scaler, load_model(stored.manifest, stored.model_path).predict(window, verbose=0).ravel())[0]
    assert base.rows["one_step"].iloc[5] == pytest.approx(expected, rel=1e-5)


def test_forecast_past_the_data_end_is_dated_by_the_calendar(sine_model):
    frame = load_csv(sine_model).frame
    result = predict("SINE", start=f"{frame.index[-3]:%Y-%m-%d}", days=6)
    assert result.rows["actual"].notna().sum() == 3
    assert result.rows.index[3] > frame.index[-1]
    assert set(result.metrics["forecast"].to_dict()) == {
        "rmse",
        "mae",
        "mape",
        "direction_accuracy",
        "skill",
        "interval_coverage",
        "test",
    }
    assert result.metrics["forecast"].interval_coverage in (0.0, 1 / 3, 2 / 3, 1.0)  # scored on the 3 known days


def test_start_outside_the_data(sine_model):
    with pytest.raises(UsageError, match="--start 2030-01-02 is outside the data"):
        predict("SINE", start="2030-01-02")
    with pytest.raises(DataError, match="needs 20 trading days of history before it; the data has 5"):
        predict("SINE", start="2015-01-09")


def test_missing_training_file_is_named(sine_model, tmp_path):
    moved = tmp_path / "moved.csv"
    sine_model.rename(moved)
    try:
        with pytest.raises(
            MissingInputError, match="sine.csv, which no longer exists: put it back, give predict or plot --csv FILE"
        ):
            predict("SINE")
    finally:
        moved.rename(sine_model)


def test_model_from_another_keras_asks_to_retrain(sine_model):
    import hashlib
    import json

    manifest_path = registry.load_current("SINE").folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["libraries"]["keras"] = "2.15.0"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="manifest.json: edited after it was saved"):  # its own checksum says so
        predict("SINE", days=2)
    digest = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    (manifest_path.parent / "manifest.sha256").write_text(digest)  # as a model saved by that Keras would be
    with pytest.raises(DataError, match="saved by Keras 2.15.0, this is Keras 3.* retrain SINE"):
        predict("SINE", days=2)


def test_a_level_the_validation_tail_cannot_support_is_said(sine_model, caplog):
    result = predict("SINE", days=2, level=0.999999)
    assert result.level is None and "lower" not in result.rows  # no interval it could not stand behind
    assert "no 99.9999% prediction interval: the " in caplog.text
    assert "2-day moves since the training start" in caplog.text
    assert "support at most" in caplog.text and "one_step_lower" not in result.rows


def test_a_forecast_from_before_the_training_start_has_its_bands(write_csv):
    """The bands measure moves since the training start; from an origin before it they measure them since the data's
    first day (once a traceback: no history to measure)."""
    from stockrnn.forecast import forecast_model
    from stockrnn.train import fit

    from .conftest import price_frame, sine_prices, tiny_config

    prices = load_csv(write_csv("s.csv", price_frame(sine_prices(300, noise=0.3))))
    config = tiny_config(epochs=1, train_start=f"{prices.frame.index[100]:%Y-%m-%d}")
    model, scaler, manifest = fit(prices, config)
    for day in (prices.frame.index[60], prices.frame.index[100]):  # before the training start, and on it
        result = forecast_model(model, scaler, config, prices, f"{day:%Y-%m-%d}", 5, ("S", "v1"), manifest.interval)
        assert result.rows[["lower", "upper"]].notna().all().all() and len(result.rows) == 5
