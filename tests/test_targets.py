"""Targets: one object each. The return target's log returns are scaled without centring, its prices rebuilt from
the last actual price, and a model that predicts 0 is exactly persistence (one step) and the naive flat forecast."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from stockrnn.cli import app
from stockrnn.config import TrainConfig
from stockrnn.errors import DataError, UsageError
from stockrnn.forecast import forecast_model
from stockrnn.targets import TARGETS, get, scale, scaler_from_dict, scaler_to_dict, unscale
from stockrnn.train import fit
from stockrnn.validate import load_csv
from stockrnn.windows import training_set

from .conftest import price_frame, sine_prices, tiny_args, tiny_config

PRICE, RETURN = TARGETS["price"], TARGETS["return"]


def test_log_returns_and_prices_rebuilt_by_hand():
    prices = np.array([100.0, 110.0, 99.0])
    returns = RETURN.encode(prices)
    assert np.isnan(returns[0]) and returns[1:] == pytest.approx([np.log(1.1), np.log(0.9)])
    assert PRICE.encode(prices).tolist() == prices.tolist()
    # one step: each prediction starts from the actual price before it
    assert RETURN.decode_one_step([np.log(1.1), 0.0], [100.0, 110.0]) == pytest.approx([110.0, 110.0])
    assert PRICE.decode_one_step([5.0, 6.0], [100.0, 110.0]).tolist() == [5.0, 6.0]
    # recursive: returns compound on the previous predicted price
    assert RETURN.decode_path([np.log(1.1), np.log(1.1)], 100.0) == pytest.approx([110.0, 121.0])
    assert PRICE.decode_path([5.0, 6.0], 100.0).tolist() == [5.0, 6.0]


def test_each_target_is_one_object_with_its_output_and_promotion_rule():
    assert (RETURN.extra_days, PRICE.extra_days) == (1, 0)  # the first return needs the day before it
    assert {(t.name, t.loss, t.activation, t.promotion_metric) for t in TARGETS.values()} == {
        ("price", "mean_squared_error", "linear", "rmse"), ("return", "mean_squared_error", "linear", "rmse"),
        ("direction", "binary_crossentropy", "sigmoid", "brier"), ("rank", "binary_crossentropy", "sigmoid", "brier"),
    }  # fmt: skip
    assert get("return") is RETURN
    with pytest.raises(UsageError, match="--target must be one of price, return, direction, rank, not 'level'"):
        get("level")


def test_scaler_round_trip_through_json():
    values = np.array([10.0, 12.5, 20.0, 15.0])
    scaler = PRICE.fit_scaler(values)
    assert scale(scaler, values).tolist() == pytest.approx([0.0, 0.25, 1.0, 0.5])
    rebuilt = scaler_from_dict(json.loads(json.dumps(scaler_to_dict(scaler))))
    assert unscale(rebuilt, scale(rebuilt, values)) == pytest.approx(values)
    assert scale(rebuilt, np.array([25.0])).tolist() == pytest.approx([1.5])  # beyond the training range


@pytest.mark.parametrize("kind", ["minmax", "scale", "standard"])
def test_scalers_match_scikit_learn(kind):
    """The scalers are two lines of arithmetic (scikit-learn's import is 1.5 s of a predict): checked against
    scikit-learn's MinMaxScaler, StandardScaler(with_mean=False) and, for a panel's pooled returns, StandardScaler()
    on values with a NaN, and on constant values; each as scaler.json stores it."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    target = PRICE if kind == "minmax" else RETURN
    sklearn = {"minmax": MinMaxScaler(), "scale": StandardScaler(with_mean=False), "standard": StandardScaler()}
    for values in (np.array([np.nan, 3.0, -1.5, 7.25, 0.5, 2.0]), np.array([np.nan, 4.0, 4.0, 4.0])):
        fitted = target.fit_pooled_scaler(values) if kind == "standard" else target.fit_scaler(values)
        ours = scaler_from_dict(scaler_to_dict(fitted))
        assert ours.params["kind"] == kind
        theirs = sklearn[kind].fit(values.reshape(-1, 1))
        expected = theirs.transform(values.reshape(-1, 1)).ravel()
        np.testing.assert_allclose(scale(ours, values), expected.astype("float32"), rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose(unscale(ours, expected[1:]), values[1:], rtol=1e-12)


def test_scaler_of_unknown_kind_is_refused():
    with pytest.raises(DataError, match="unknown scaler kind 'pickle'"):
        scaler_from_dict({"kind": "pickle"})


def test_return_scaler_keeps_zero_and_round_trips_through_json():
    returns = np.array([0.01, -0.02, 0.03, 0.0])
    scaler = RETURN.fit_scaler(returns)
    assert scale(scaler, np.array([0.0])).tolist() == [0.0]  # zero return -> the model's zero
    assert scale(scaler, returns) == pytest.approx(returns / returns.std(), rel=1e-6)
    params = json.loads(json.dumps(scaler_to_dict(scaler)))
    assert params == {"kind": "scale", "scale": pytest.approx(returns.std())}
    rebuilt = scaler_from_dict(params)
    assert unscale(rebuilt, scale(scaler, returns)) == pytest.approx(returns, rel=1e-6)


def test_return_windows_are_aligned_with_their_days(write_csv):
    prices = load_csv(write_csv("s.csv", price_frame(sine_prices(200))))
    config = tiny_config(target="return")
    data = training_set(prices.frame, config)
    close = prices.frame["close"]
    assert len(data.y_train) + len(data.y_val) == 200 - config.window - 1  # the first day has no return
    day = data.val_dates[0]
    into_day = np.log(close.loc[day] / close.shift(1).loc[day])
    assert unscale(data.scaler, data.y_val[:1])[0] == pytest.approx(into_day, rel=1e-5)
    assert unscale(data.scaler, data.x_val[0, -1:])[0] == pytest.approx(
        np.log(close.shift(1).loc[day] / close.shift(2).loc[day]), rel=1e-5
    )


class Zero:
    """A model that always predicts a scaled value of 0."""

    def predict(self, x, verbose=0):
        return np.zeros((len(x), 1), dtype="float32")

    def predict_on_batch(self, x):
        return self.predict(x)


def test_a_zero_prediction_is_persistence_and_the_naive_forecast(write_csv):
    prices = load_csv(write_csv("s.csv", price_frame(sine_prices(200))))
    config = tiny_config(target="return")
    close = prices.frame["close"]
    scaler = RETURN.fit_scaler(RETURN.encode(close.to_numpy()[:150])[1:])
    result = forecast_model(Zero(), scaler, config, prices, f"{close.index[150]:%Y-%m-%d}", 10, ("S", "v1"))
    assert result.rows["one_step"].to_numpy() == pytest.approx(close.to_numpy()[149:159])  # yesterday's price
    assert result.rows["forecast"].to_numpy() == pytest.approx(np.full(10, close.iloc[149]))  # flat at the origin
    m = result.metrics
    assert m["one_step"].rmse == pytest.approx(m["persistence"].rmse) and m["one_step"].skill == 0
    assert m["forecast"].rmse == pytest.approx(m["naive"].rmse)


def test_a_return_forecast_needs_one_more_day_of_history(write_csv):
    prices = load_csv(write_csv("s.csv", price_frame(sine_prices(200))))
    config = tiny_config(target="return")
    scaler = RETURN.fit_scaler(np.array([0.01, -0.01]))
    day = prices.frame.index[config.window]  # exactly `window` prices before it: enough for price, not return
    with pytest.raises(DataError, match=f"needs {config.window + 1} trading days of history"):
        forecast_model(Zero(), scaler, config, prices, f"{day:%Y-%m-%d}", 5, ("S", "v1"))


def test_a_return_model_learns_a_signal_in_the_returns(write_csv):
    steps = np.arange(600)
    returns = 0.01 * np.sin(steps * 2 * np.pi / 10)  # a cycle in the daily returns
    prices = load_csv(write_csv("r.csv", price_frame(100 * np.exp(np.cumsum(returns)))))
    _, scaler, summary = fit(prices, tiny_config(target="return", epochs=15, learning_rate=0.01, units=16))
    assert scaler["kind"] == "scale" and summary.config.target == "return"
    assert summary.metrics["one_step"].skill > 0.5


def test_target_is_checked_and_old_models_are_price_models():
    with pytest.raises(UsageError, match="--target must be one of price, return, direction, rank, not 'level'"):
        TrainConfig(target="level")
    saved_before_targets = {k: v for k, v in TrainConfig(target="return").to_dict().items() if k != "target"}
    assert TrainConfig.from_dict(saved_before_targets).target == "price"


def test_train_and_predict_with_the_return_target(write_csv):
    csv = write_csv("s.csv", price_frame(sine_prices(200)))
    result = CliRunner().invoke(
        app, ["train", "--csv", str(csv), "--symbol", "S", *tiny_args(target="return", epochs=8)]
    )
    assert result.exit_code == 0, result.output
    assert "verdict: the model" in result.output
    result = CliRunner().invoke(app, ["predict", "S", "--start", "2015-08-03", "--days", "5", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert len(rows) == 5 and all(r["forecast"] > 0 and r["lower"] < r["forecast"] < r["upper"] for r in rows)
    bad = CliRunner().invoke(app, ["train", "--csv", str(csv), "--target", "level"])
    assert bad.exit_code == 2 and "--target must be one of price, return" in bad.output


def test_the_band_s_coverage_per_step_is_pooled_over_folds_by_hand():
    from stockrnn.targets.value import _step_coverage

    # Two folds of 3 days: step 1 inside in both, step 2 in one, step 3 banded in one fold only (outside there).
    step = np.array([1, 2, 3, 1, 2, 3])
    actual = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 10.0])
    lower = np.array([9.0, 9.0, np.nan, 9.0, 11.0, 11.0])
    upper = np.array([11.0, 11.0, np.nan, 11.0, 12.0, 12.0])
    assert _step_coverage(step, actual, lower, upper) == [1.0, 0.5, 0.0]
    assert _step_coverage(step, actual, np.full(6, np.nan), upper) == [None, None, None]
