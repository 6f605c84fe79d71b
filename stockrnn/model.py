"""Model stage: the stacked recurrent network, built from a `TrainConfig`, and access to TensorFlow.

Input: a config. Output: a compiled Keras model mapping windows (batch, window, 1) to next values (batch, 1).
TensorFlow is imported here, lazily, so that the command line answers `--help` without it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from .config import TrainConfig


def keras() -> Any:
    """Import Keras 3 on TensorFlow, without TensorFlow's C++ start-up chatter on stderr.

    Setting TF_CPP_MIN_LOG_LEVEL yourself (e.g. to 0) brings all of TensorFlow's messages back.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import keras as k

        return k
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Some of TensorFlow's C++ libraries log at load time, before any setting is read: the only way to keep
    # those lines out of a cron mail is to point file descriptor 2 elsewhere while they load.
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras as k
            import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    # e.g. "triggered tf.function retracing" when a backtest trains one model per fold: advice for TensorFlow
    # developers, not for our users; errors still show.
    tf.get_logger().setLevel("ERROR")
    return k


def limit_threads(threads: int) -> None:
    """Cap TensorFlow's CPU threads, for processes that share the cores (parallel retraining)."""
    keras()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))


def devices() -> list[str]:
    """The devices TensorFlow sees, e.g. ['CPU:0', 'GPU:0']."""
    keras()
    import tensorflow as tf

    return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_physical_devices()]


def build(config: TrainConfig) -> Any:
    """The lecture's stack: `layers` recurrent layers of `units`, each followed by Dropout, then Dense(1).

    The recurrent layers keep Keras' defaults (tanh, sigmoid, no recurrent dropout, no unrolling, bias on), the
    conditions for the cuDNN kernel on a GPU; dropout is a separate layer for the same reason.
    With `mixed_precision` the hidden layers compute in float16 (keeping float32 weights): for GPUs with tensor
    cores; the output layer stays float32 so that the loss and the predictions keep full precision.
    """
    k = keras()
    cell = {"lstm": k.layers.LSTM, "gru": k.layers.GRU, "rnn": k.layers.SimpleRNN}[config.cell]
    dtype = "mixed_float16" if config.mixed_precision else "float32"
    stack = [k.Input(shape=(config.window, 1))]  # (batch, window, 1)
    for i in range(config.layers):
        last = i == config.layers - 1
        # (batch, window, units) or, for the last layer, (batch, units)
        stack.append(cell(config.units, return_sequences=not last, dtype=dtype))
        stack.append(k.layers.Dropout(config.dropout, seed=config.seed + i, dtype=dtype))
    stack.append(k.layers.Dense(1, dtype="float32"))  # (batch, 1)
    model = k.Sequential(stack, name=f"stockrnn_{config.cell}")
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate=config.learning_rate),
        loss="mean_squared_error",
        jit_compile=config.jit_compile,
    )
    return model


def cudnn_eligible(model: Any) -> bool:
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
