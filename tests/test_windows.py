"""Windows stage: shapes and contents, the scaler round trip, and leakage made impossible."""

import numpy as np
import pandas as pd
import pytest

from stockrnn.config import TrainConfig
from stockrnn.errors import DataError, UsageError
from stockrnn.targets import scaler_to_dict, unscale
from stockrnn.validate import load_csv
from stockrnn.windows import make_windows, training_set

from .conftest import price_frame, sine_prices


def test_windows_shapes_contents_and_views():
    series = np.arange(10, dtype="float32")
    inputs, targets = make_windows(series, 3)
    assert inputs.shape == (7, 3) and targets.shape == (7,)
    assert inputs[0].tolist() == [0, 1, 2] and targets[0] == 3
    assert inputs[-1].tolist() == [6, 7, 8] and targets[-1] == 9
    assert np.shares_memory(inputs, series) and np.shares_memory(targets, series)  # views, not copies


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
