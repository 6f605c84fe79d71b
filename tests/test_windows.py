"""Windows stage: shapes and contents, the scaler round trip, and leakage made impossible."""

import json

import numpy as np
import pandas as pd
import pytest

from stockrnn.config import TrainConfig
from stockrnn.errors import DataError, UsageError
from stockrnn.validate import load_csv
from stockrnn.windows import (
    fit_scaler,
    make_windows,
    scale,
    scaler_from_dict,
    scaler_to_dict,
    training_set,
    unscale,
)

from .conftest import price_frame, sine_prices


def test_windows_shapes_contents_and_views():
    series = np.arange(10, dtype="float32")
    inputs, targets = make_windows(series, 3)
    assert inputs.shape == (7, 3) and targets.shape == (7,)
    assert inputs[0].tolist() == [0, 1, 2] and targets[0] == 3
    assert inputs[-1].tolist() == [6, 7, 8] and targets[-1] == 9
    assert np.shares_memory(inputs, series) and np.shares_memory(targets, series)  # views, not copies


def test_scaler_round_trip_through_json():
    values = np.array([10.0, 12.5, 20.0, 15.0])
    scaler = fit_scaler(values)
    assert scale(scaler, values).tolist() == pytest.approx([0.0, 0.25, 1.0, 0.5])
    rebuilt = scaler_from_dict(json.loads(json.dumps(scaler_to_dict(scaler))))
    assert unscale(rebuilt, scale(rebuilt, values)) == pytest.approx(values)
    assert scale(rebuilt, np.array([25.0])).tolist() == pytest.approx([1.5])  # beyond the training range


def test_scaler_of_unknown_kind_is_refused():
    with pytest.raises(DataError, match="unknown scaler kind 'pickle'"):
        scaler_from_dict({"kind": "pickle"})


def frame_of(close: np.ndarray) -> pd.DataFrame:
    frame = price_frame(close)
    frame.columns = [c.lower().replace(" ", "_") for c in frame.columns]
    return frame.set_index(pd.DatetimeIndex(frame.pop("date")))


def test_training_set_split_is_chronological():
    frame = frame_of(sine_prices(200))
    config = TrainConfig(target="price", window=10, train_end=f"{frame.index[149]:%Y-%m-%d}")
    data = training_set(frame, config)
    assert data.end == frame.index[149]
    n = 150 - 10
    assert len(data.y_train) + len(data.y_val) == n
    assert len(data.y_val) == 14  # ceil(10% of 140)
    assert data.x_train.shape == (126, 10)
    assert data.val_dates[-1] == frame.index[149]
    assert data.val_dates[0] == frame.index[10 + 126]
    # the last validation target is the last training day's scaled price
    assert unscale(data.scaler, data.y_val[-1:])[0] == pytest.approx(frame["close"].iloc[149])


def test_no_leakage_future_prices_change_nothing():
    close = sine_prices(300)
    frame = frame_of(close)
    config = TrainConfig(window=10, train_end=f"{frame.index[199]:%Y-%m-%d}")
    before = training_set(frame, config)
    changed = close.copy()
    changed[200:] *= 50  # wildly different prices after --train-end
    after = training_set(frame_of(changed), config)
    assert scaler_to_dict(before.scaler) == scaler_to_dict(after.scaler)
    for name in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))


def test_train_start_cuts_the_past_too():
    frame = frame_of(sine_prices(300))
    config = TrainConfig(window=10, train_start=f"{frame.index[100]:%Y-%m-%d}")
    data = training_set(frame, config)
    assert data.start == frame.index[100]
    assert len(data.prices) == 200


def test_too_few_rows_states_the_minimum(write_csv):
    prices = load_csv(write_csv("short.csv", price_frame(sine_prices(50))))
    message = r"only 50 rows .* needs at least 81 training rows \(61 for one window, 20 to predict\)"
    with pytest.raises(DataError, match=message) as caught:
        training_set(prices.frame, TrainConfig(), prices.source)
    assert "short.csv" in str(caught.value)


def test_bad_dates_are_usage_errors():
    frame = frame_of(sine_prices(200))
    with pytest.raises(UsageError, match="--train-end 'soon' is not a date"):
        training_set(frame, TrainConfig(window=10, train_end="soon"))
    with pytest.raises(UsageError, match="is after --train-end"):
        training_set(frame, TrainConfig(window=10, train_start="2016-01-01", train_end="2015-06-01"))


def test_missing_price_column_is_a_data_error():
    frame = frame_of(sine_prices(200)).drop(columns=["adj_close"])
    with pytest.raises(DataError, match="store X: no 'adj_close' prices \\(Yahoo's adjusted prices have no adj_close"):
        training_set(frame, TrainConfig(window=10, column="adj_close"), "store X")
