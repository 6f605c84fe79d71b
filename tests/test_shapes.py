"""Output shapes: many-to-one (the default), many-to-many training (--sequence-loss), a direct head of H outputs
(--output direct) and a recurrent decoder over H steps (--output encoder-decoder): their labels, their leakage,
their heads, their one-step forecasts and their paths."""

import numpy as np
import pandas as pd
import pytest

from stockrnn import backend, shapes
from stockrnn.config import HORIZON, TrainConfig
from stockrnn.errors import DataError, UsageError
from stockrnn.forecast import forecast_model
from stockrnn.model import build
from stockrnn.targets import scale
from stockrnn.train import fit
from stockrnn.validate import load_csv
from stockrnn.windows import training_set

from .conftest import price_frame, sine_prices, tiny_config

WINDOW, H = 10, 5


def frame_of(close: np.ndarray) -> pd.DataFrame:
    frame = price_frame(close)
    frame.columns = [c.lower().replace(" ", "_") for c in frame.columns]
    return frame.set_index(pd.DatetimeIndex(frame.pop("date")))


def config(**options) -> TrainConfig:
    return TrainConfig(**{"target": "price", "window": WINDOW, **options})


SHAPES = {
    "many-to-one": {},
    "sequence-loss": {"sequence_loss": True},
    "direct": {"output": "direct", "output_days": H},
    "encoder-decoder": {"output": "encoder-decoder", "output_days": H},
}
MULTI_DAY = ("direct", "encoder-decoder")


def test_each_config_has_its_shape():
    assert type(shapes.of(config())) is shapes.ManyToOne
    assert type(shapes.of(config(sequence_loss=True))) is shapes.SequenceLoss
    assert shapes.of(config(output="direct", output_days=H)) == shapes.Direct(days=H)
    assert config(output="DIRECT").output_days == HORIZON  # any case; the default head is the backtest's horizon
    assert shapes.of(config(output="encoder-decoder", output_days=H)) == shapes.EncoderDecoder(days=H)
    assert config(output="Encoder-Decoder").output_days == HORIZON


def test_each_shape_says_what_it_is_and_how_its_path_is_made():
    words = {name: (shapes.of(config(**o)).describe(), shapes.of(config(**o)).path_words) for name, o in SHAPES.items()}
    assert words == {
        "many-to-one": ("many-to-one", "recursive"),
        "sequence-loss": ("many-to-many training", "recursive"),
        "direct": (f"direct, {H} days", "direct"),
        "encoder-decoder": (f"encoder-decoder, {H} days", "encoder-decoder"),
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"output_days": 3}, "--output-days is for --output direct"),
        ({"output": "direct", "sequence_loss": True}, "--sequence-loss trains one output per time step"),
        ({"output": "direct", "target": "direction"}, "--output direct is for targets with a path"),
        ({"output": "encoder-decoder", "sequence_loss": True}, "--output encoder-decoder outputs 21 values per window"),
        ({"output": "direct", "output_days": 5, "sequence_loss": True}, "--output direct outputs 5 values per window"),
        ({"output": "encoder-decoder", "target": "direction"}, "--output encoder-decoder is for targets with a"),
        ({"output": "sideways"}, "--output must be one of recursive, direct, encoder-decoder, not 'sideways'"),
        ({"output": "direct", "output_days": 0}, "--output-days must be in the range 1 to 252"),
    ],
)
def test_bad_shape_options_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        config(**options)


def test_a_direct_head_needs_its_extra_label_days():
    assert config(output="direct", output_days=H).min_train_rows == config().min_train_rows + H - 1
    assert config(sequence_loss=True).min_train_rows == config().min_train_rows


def test_the_one_step_labels_are_the_default_s_whatever_the_shape():
    frame = frame_of(sine_prices(200))
    default = training_set(frame, config())
    sequence = training_set(frame, config(sequence_loss=True))
    assert default.fit_train is None and default.learn_train is default.y_train  # many-to-one learns y itself
    for name in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(default, name), getattr(sequence, name))
    assert default.val_dates.equals(sequence.val_dates)
    direct = training_set(frame, config(output="direct", output_days=H))
    # The direct head's windows stop H - 1 days earlier (their last labels are the training period's last days);
    # its one-step labels are the default's for the windows it has.
    n = len(default.y_train) + len(default.y_val)
    assert len(direct.y_train) + len(direct.y_val) == n - (H - 1)
    np.testing.assert_array_equal(np.concatenate([direct.y_train, direct.y_val]),
                                  np.concatenate([default.y_train, default.y_val])[: n - (H - 1)])  # fmt: skip
    assert len(direct.val_dates) == len(direct.y_val)


def test_sequence_labels_are_the_window_shifted_by_one_day():
    frame = frame_of(sine_prices(200))
    data = training_set(frame, config(sequence_loss=True))
    assert data.fit_train is not None and data.fit_val is not None
    assert data.fit_train.shape == (len(data.y_train), WINDOW) and data.fit_val.shape == (len(data.y_val), WINDOW)
    np.testing.assert_array_equal(data.fit_train[:, :-1], data.x_train[:, 1:])  # step t learns the value at t + 1
    np.testing.assert_array_equal(data.fit_train[:, -1], data.y_train)  # the last step learns the next day's
    np.testing.assert_array_equal(data.fit_val[:, -1], data.y_val)


def test_direct_labels_are_the_next_h_values():
    frame = frame_of(sine_prices(200))
    data = training_set(frame, config(output="direct", output_days=H))
    scaled = scale(data.scaler, frame["close"].to_numpy())
    assert data.fit_train is not None and data.fit_train.shape == (len(data.y_train), H)
    for j in (0, 17, len(data.y_train) - 1):  # window j holds days j .. j + WINDOW - 1
        np.testing.assert_allclose(data.fit_train[j], scaled[j + WINDOW : j + WINDOW + H])
    np.testing.assert_array_equal(data.fit_train[:, 0], data.y_train)


@pytest.mark.parametrize("shape", SHAPES)
def test_no_label_reaches_past_the_training_end(shape):
    close = sine_prices(300)
    cfg = config(train_end=f"{frame_of(close).index[199]:%Y-%m-%d}", **SHAPES[shape])
    before = training_set(frame_of(close), cfg)
    changed = close.copy()
    changed[200:] *= 50  # wildly different prices after --train-end
    after = training_set(frame_of(changed), cfg)
    for name in ("x_train", "learn_train", "x_val", "learn_val"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))
    # ... and the last window's last label is the training end's own price, no later one.
    scaled_end = scale(before.scaler, close[199:200])[0]
    assert np.ravel(before.learn_val)[-1] == pytest.approx(scaled_end)
    assert before.val_dates[-1] <= before.end


@pytest.mark.parametrize(("shape", "output"), [("many-to-one", (None, 1)), ("sequence-loss", (None, WINDOW, 1)),
                                               ("direct", (None, H)), ("encoder-decoder", (None, H, 1))])  # fmt: skip
def test_each_shape_builds_its_head(shape, output):
    model = build(config(units=4, **SHAPES[shape]))
    assert model.output_shape == output
    recurrent = [lay for lay in model.layers if type(lay).__name__ == "LSTM"]
    assert recurrent[0].return_sequences is (shape == "sequence-loss")  # the encoder's last layer
    # The encoder-decoder's decoder: one more recurrent layer, over the H steps, returning every one.
    assert len(recurrent) == (2 if shape == "encoder-decoder" else 1)
    assert recurrent[-1].return_sequences is (shape in ("sequence-loss", "encoder-decoder"))


def test_a_decoder_reads_the_encoding_at_every_step_and_the_stack_keeps_its_seeds():
    default, decoder = build(config(units=4)), build(config(units=4, output="encoder-decoder", output_days=H))
    # The encoder is the default's stack to the last weight: the decoder's seeds are drawn after it.
    for a, b in zip(default.layers[0].get_weights(), decoder.layers[0].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [type(lay).__name__ for lay in decoder.layers] == ["LSTM", "Dropout", "RepeatVector", "LSTM", "Dropout",
                                                              "Dense"]  # fmt: skip
    windows = np.random.default_rng(1).standard_normal((3, WINDOW, 1)).astype("float32")
    raw = np.asarray(decoder.predict_on_batch(windows))  # (3, H, 1)
    np.testing.assert_allclose(backend.predict_rows(decoder, windows), raw[..., 0], rtol=1e-6)
    np.testing.assert_allclose(shapes.EncoderDecoder(days=H).one_step(decoder, windows), raw[:, 0, 0], rtol=1e-6)


def test_the_one_step_forecast_reads_the_shape_s_output():
    windows = np.random.default_rng(0).standard_normal((3, WINDOW, 1)).astype("float32")
    sequence = build(config(units=4, sequence_loss=True))
    raw = np.asarray(sequence.predict_on_batch(windows))  # (3, WINDOW, 1)
    np.testing.assert_allclose(shapes.SequenceLoss().one_step(sequence, windows), raw[:, -1, 0], rtol=1e-6)
    direct = build(config(units=4, output="direct", output_days=H))
    raw = np.asarray(direct.predict_on_batch(windows))  # (3, H)
    np.testing.assert_allclose(shapes.Direct(days=H).one_step(direct, windows), raw[:, 0], rtol=1e-6)
    np.testing.assert_allclose(backend.predict_rows(direct, windows), raw, rtol=1e-6)


def test_a_direct_path_is_the_head_s_outputs_then_continues_from_them():
    direct = build(config(units=4, output="direct", output_days=H))
    shape = shapes.Direct(days=H)
    window = np.linspace(-1, 1, WINDOW)
    outputs = backend.predict_rows(direct, window[None, :, None])[0]  # (H,)
    np.testing.assert_allclose(shape.path(direct, window, H - 2), outputs[: H - 2])  # no recursion within H
    longer = shape.path(direct, window, 2 * H + 1)
    assert longer.shape == (2 * H + 1,)
    np.testing.assert_allclose(longer[:H], outputs)
    after = np.concatenate([window, outputs])[-WINDOW:]  # the next window ends on the head's last output
    np.testing.assert_allclose(longer[H : 2 * H], backend.predict_rows(direct, after[None, :, None])[0], rtol=1e-6)


def test_a_path_longer_than_the_head_says_it_was_continued():
    for shape in (shapes.Direct(days=H), shapes.EncoderDecoder(days=H)):
        within = f"{shape.path_words} from the origin"
        assert (shape.made(H), shape.head_end(H)) == (within, None)
        assert shape.made(H + 7) == f"{within} for {H} days, then continued from its outputs"
        assert shape.head_end(H + 7) == H
    for shape in (shapes.ManyToOne(), shapes.SequenceLoss()):  # recursive at every length: nothing to mark
        assert (shape.made(H + 7), shape.head_end(H + 7)) == ("recursive from the origin", None)


def test_the_many_to_one_path_feeds_each_prediction_back():
    model = build(config(units=4))
    window = np.linspace(-1, 1, WINDOW)
    path = shapes.ManyToOne().path(model, window, 3)
    first = backend.predict(model, window[None, :, None])[0]
    second = backend.predict(model, np.append(window[1:], first)[None, :, None])[0]
    np.testing.assert_allclose(path[:2], [first, second])


@pytest.mark.parametrize("shape", ["sequence-loss", "direct", "encoder-decoder"])
def test_a_tiny_model_of_each_shape_trains_and_forecasts(write_csv, shape):
    prices = load_csv(write_csv("sine.csv", price_frame(sine_prices(400, noise=0.3))))
    cfg = tiny_config(window=WINDOW, epochs=3, units=4, train_end="2016-01-29", **SHAPES[shape])
    model, scaler, manifest = fit(prices, cfg)
    assert manifest.config == cfg and manifest.training.epochs_run == 3
    assert manifest.training.val_windows == len(training_set(prices.frame, cfg).y_val)
    assert np.isfinite(manifest.metrics["one_step"].rmse)
    result = forecast_model(model, scaler, cfg, prices, "2016-02-01", 2 * H, ("SINE", "v1"))
    rows = result.rows
    assert len(rows) == 2 * H and rows["forecast"].notna().all() and rows["one_step"].notna().all()
    # The one-step forecast of the first day is the shape's reading of the window that ends at the origin.
    series = prices.frame["close"]
    position = int(series.index.searchsorted(pd.Timestamp("2016-02-01")))
    from stockrnn.targets import scaler_from_dict, unscale

    fitted = scaler_from_dict(scaler)
    window = scale(fitted, series.to_numpy()[position - WINDOW : position])[None, :, None]
    raw = backend.predict_rows(model, window)[0]
    expected = raw[-1] if shape == "sequence-loss" else raw[0]
    assert rows["one_step"].iloc[0] == pytest.approx(unscale(fitted, np.array([expected]))[0], rel=1e-6)
    if shape in MULTI_DAY:  # the path's first H days are the head's H outputs, unscaled
        np.testing.assert_allclose(rows["forecast"].iloc[:H], unscale(fitted, raw), rtol=1e-6)
    # A direct head's band is calibrated on its own errors at each step, one list of scores per output.
    interval = manifest.interval or {}
    assert interval["method"] == ("ewma-steps" if shape in MULTI_DAY else "ewma-path")
    assert len(interval.get("steps", [])) == (H if shape in MULTI_DAY else 0)
    calibrated = forecast_model(model, scaler, cfg, prices, "2016-02-01", 2 * H, ("SINE", "v1"), interval)
    bands = calibrated.rows
    assert (bands["lower"] > 0).all() and (bands["lower"] <= bands["forecast"]).all()
    assert (bands["forecast"] <= bands["upper"]).all()


def test_too_few_rows_for_a_direct_head_says_why():
    frame = frame_of(sine_prices(200))
    cfg = config(output="direct", output_days=30, train_end=f"{frame.index[WINDOW + 19 + 20]:%Y-%m-%d}")
    with pytest.raises(DataError, match=r"only 50 rows .* at least 59 training rows \(10 for one window, 20 to "
                                        r"predict, 29 more for the head's last outputs\)"):  # fmt: skip
        training_set(frame, cfg)
    training_set(frame, config(train_end=cfg.train_end))  # enough for one output per window


def test_a_path_with_covariates_goes_no_further_than_the_origins_window():
    """With covariates, a recursive path's second step would read a window of days whose covariates are unknown."""
    from stockrnn.shapes import _beside

    x = np.zeros((1, 4, 1), dtype="float32")
    extra = np.ones((1, 4, 2), dtype="float32")
    assert _beside(x, extra, 0).shape == (1, 4, 3)
    with pytest.raises(ValueError, match="covariates not observed"):
        _beside(x, extra, 1)
