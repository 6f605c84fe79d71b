"""Model stage: the lecture's stack, built from the config, eligible for the cuDNN kernel; mixed precision where the
backend can train it, refused before training where it cannot."""

import numpy as np
import pytest

from stockrnn.backend import keras
from stockrnn.config import TrainConfig
from stockrnn.errors import UsageError
from stockrnn.model import build


def cudnn_eligible(model) -> bool:
    """True when every LSTM/GRU layer keeps the settings that let TensorFlow run it on the cuDNN kernel."""
    k = keras()
    for layer in model.layers:
        if isinstance(layer, (k.layers.LSTM, k.layers.GRU)):
            cell = layer.cell
            if (
                cell.activation is not k.activations.tanh
                or cell.recurrent_activation is not k.activations.sigmoid
                or cell.recurrent_dropout != 0
                or layer.unroll
                or not cell.use_bias
                or getattr(layer, "use_cudnn", "auto") is False
            ):
                return False
    return True


@pytest.mark.parametrize(("cell", "layer"), [("lstm", "LSTM"), ("gru", "GRU"), ("rnn", "SimpleRNN")])
def test_stack_follows_config(cell, layer):
    model = build(TrainConfig(cell=cell, layers=3, units=7, window=12))
    recurrent = [lay for lay in model.layers if type(lay).__name__ == layer]
    assert [lay.units for lay in recurrent] == [7, 7, 7]
    assert [lay.return_sequences for lay in recurrent] == [True, True, False]
    assert [type(lay).__name__ for lay in model.layers].count("Dropout") == 3
    assert model.input_shape == (None, 12, 1) and model.output_shape == (None, 1)


def test_defaults_and_the_lecture_recipe():
    config = TrainConfig()
    assert (config.target, config.window, config.layers, config.units, config.dropout) == ("return", 60, 1, 32, 0.2)
    assert (config.batch_size, config.epochs, config.patience, config.cell) == (64, 100, 10, "lstm")
    lecture = build(TrainConfig(target="price", layers=4, units=50, batch_size=32, patience=0))
    assert [type(lay).__name__ for lay in lecture.layers].count("LSTM") == 4
    assert lecture.loss == "mean_squared_error"
    assert type(lecture.optimizer).__name__ == "Adam"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_layers_stay_cudnn_eligible(cell):
    assert cudnn_eligible(build(TrainConfig(cell=cell, layers=2, units=4, window=5)))


def test_building_and_training_draw_nothing_from_the_shared_generators(monkeypatch):
    """Every initializer and Dropout layer has a seed of its own: nothing draws Keras' default seeds from Python's
    shared `random`, nor uses Keras' shared seed generator, which other threads of a process use too."""
    import numpy as np
    from keras.src.random import seed_generator

    class Shared:
        def __getattr__(self, name):
            raise AssertionError(f"drew from the shared generator: random.{name}")

    def shared_generator():
        raise AssertionError("used Keras' shared seed generator")

    k = keras()
    monkeypatch.setattr(seed_generator, "python_random", Shared())
    monkeypatch.setattr(seed_generator, "global_seed_generator", shared_generator)
    with pytest.raises(AssertionError, match="drew from the shared generator"):  # what an unseeded layer does
        k.layers.LSTM(4)
    for cell in ("lstm", "gru", "rnn"):
        model = build(TrainConfig(cell=cell, layers=2, units=4, window=5, dropout=0.5))
        model.fit(np.ones((8, 5, 1), "float32"), np.ones(8, "float32"), epochs=1, verbose=0)


def test_seeds_are_distinct_and_follow_the_config():
    from itertools import islice

    from stockrnn.model import seeds

    first = list(islice(seeds(3), 50))
    assert first == list(islice(seeds(3), 50)) and len(set(first)) == 50
    assert all(0 <= s < 2**31 for s in first) and not set(first) & set(islice(seeds(4), 50))
    models = [build(TrainConfig(layers=1, units=4, window=5, seed=s)) for s in (3, 3, 4)]
    kernels = [[np.asarray(w) for w in model.weights if "kernel" in w.path] for model in models]  # biases: constants
    assert len(kernels[0]) == 3  # the LSTM's kernel and recurrent kernel, the Dense layer's kernel
    assert all(np.array_equal(a, b) for a, b in zip(kernels[0], kernels[1], strict=True))
    assert not any(np.array_equal(a, b) for a, b in zip(kernels[0], kernels[2], strict=True))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_explicit_seeds_build_the_model_keras_own_seeding_built(monkeypatch, cell):
    """The explicit seeds are the draws Keras' default seeding made from `random.Random(seed)`, in its constructors'
    order: models are the ones stockrnn built before its seeds were explicit, so a seed's numbers do not move."""
    import random

    from keras.src.random import seed_generator

    k = keras()
    config = TrainConfig(cell=cell, layers=2, units=4, window=5, seed=7)
    layer = {"lstm": k.layers.LSTM, "gru": k.layers.GRU, "rnn": k.layers.SimpleRNN}[cell]
    monkeypatch.setattr(seed_generator, "python_random", random.Random(config.seed))  # what stockrnn swapped in
    stack = [k.Input(shape=(5, 1)), layer(4, return_sequences=True), k.layers.Dropout(0.2, seed=7),
             layer(4), k.layers.Dropout(0.2, seed=8), k.layers.Dense(1)]  # fmt: skip
    before = k.Sequential(stack)
    monkeypatch.undo()
    now = build(config)
    assert len(now.weights) == len(before.weights) >= 7
    for a, b in zip(now.weights, before.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_cudnn_check_can_fail():
    k = keras()
    model = k.Sequential([k.Input((5, 1)), k.layers.LSTM(4, recurrent_dropout=0.1), k.layers.Dense(1)])
    assert not cudnn_eligible(model)
    model = k.Sequential([k.Input((5, 1)), k.layers.GRU(4, activation="relu"), k.layers.Dense(1)])
    assert not cudnn_eligible(model)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cell": "transformer"}, "--cell must be one of"),
        ({"window": 1}, "--window must be in the range 2 to 1260"),
        ({"dropout": 1.0}, "--dropout must be in"),
        ({"column": "price"}, "--column must be one of"),
    ],
)
def test_bad_options_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        TrainConfig(**options)


def jax_lstm_on_a_gpu(cell: str) -> bool:
    from stockrnn import backend, backend_choice

    return cell == "lstm" and backend_choice.name() == "jax" and backend.training_device().startswith("GPU")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_mixed_precision_keeps_cudnn_and_a_float32_output(cell):
    """Float16 compute in the recurrent layers, float32 weights and output, and it trains; where the backend cannot
    (JAX's LSTM on a GPU: cuDNN through JAX takes float32 only) it is refused before anything is built."""
    config = TrainConfig(cell=cell, layers=2, units=4, window=5, mixed_precision=True)
    if jax_lstm_on_a_gpu(cell):
        with pytest.raises(UsageError, match="JAX runs the LSTM on the GPU with cuDNN in float32 only"):
            build(config)
        return
    model = build(config)
    recurrent = [lay for lay in model.layers if type(lay).__name__ == cell.upper()]
    assert [lay.dtype_policy.name for lay in recurrent] == ["mixed_float16", "mixed_float16"]
    assert all(lay.compute_dtype == "float16" and lay.variable_dtype == "float32" for lay in recurrent)
    assert model.layers[-1].compute_dtype == "float32" and cudnn_eligible(model)
    model.fit(np.ones((8, 5, 1), "float32"), np.ones(8, "float32"), epochs=1, verbose=0)  # the step compiles
    assert model.predict(np.ones((3, 5, 1), "float32"), verbose=0).dtype == np.float32
    plain = build(TrainConfig(layers=1, units=4, window=5))
    assert plain.layers[0].compute_dtype == "float32"


def simulate_jax_on_a_gpu(monkeypatch):
    """JAX's LSTM on a GPU, as far as the refusal can tell: it asks the backend's name and the training device."""
    from stockrnn import backend, backend_choice

    monkeypatch.setattr(backend_choice, "name", lambda: "jax")
    monkeypatch.setattr(backend, "training_device", lambda: "GPU:0")


def test_mixed_precision_is_refused_where_jax_runs_the_lstm_on_a_gpu(monkeypatch):
    simulate_jax_on_a_gpu(monkeypatch)
    with pytest.raises(UsageError, match="train without --mixed-precision .* or with --backend torch"):
        build(TrainConfig(layers=1, units=4, window=5, mixed_precision=True))
    assert build(TrainConfig(cell="gru", layers=1, units=4, window=5, mixed_precision=True))  # JAX's GRU: a loop
    assert build(TrainConfig(layers=1, units=4, window=5))  # float32: cuDNN's kernel


def test_the_command_line_refuses_mixed_precision_before_training(monkeypatch, write_csv, home):
    from typer.testing import CliRunner

    from stockrnn.cli import app

    from .conftest import price_frame, sine_prices, tiny_args

    simulate_jax_on_a_gpu(monkeypatch)
    csv = write_csv("sine.csv", price_frame(sine_prices(300)))
    args = ["train", "--csv", str(csv), "--symbol", "S", *tiny_args(), "--mixed-precision"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith("error: --mixed-precision: JAX runs the LSTM on the GPU")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    from stockrnn import registry

    assert registry.model_versions("S") == [] and registry.champion("S") is None  # nothing trained, nothing stored
