"""Model stage: the stacked recurrent network, built from a `TrainConfig`.

Input: a config. Output: a compiled Keras model mapping windows (batch, window, 1) to next values (batch, 1), with
the output activation and loss of the config's target. Keras comes from `backend`, lazily.
"""

from __future__ import annotations

from typing import Any

from . import backend, targets
from .config import TrainConfig


def build(config: TrainConfig) -> Any:
    """The lecture's stack: `layers` recurrent layers of `units`, each followed by Dropout, then Dense(1).

    The recurrent layers keep Keras' defaults (tanh, sigmoid, no recurrent dropout, no unrolling, bias on), the
    conditions for the cuDNN kernel on a GPU; dropout is a separate layer for the same reason.
    With `mixed_precision` the hidden layers compute in float16 (keeping float32 weights): for GPUs with tensor
    cores; the output layer stays float32 so that the loss and the predictions keep full precision.
    """
    k = backend.keras()
    cell = {"lstm": k.layers.LSTM, "gru": k.layers.GRU, "rnn": k.layers.SimpleRNN}[config.cell]
    dtype = "mixed_float16" if config.mixed_precision else "float32"
    stack = [k.Input(shape=(config.window, 1))]  # (batch, window, 1)
    for i in range(config.layers):
        last = i == config.layers - 1
        # (batch, window, units) or, for the last layer, (batch, units)
        stack.append(cell(config.units, return_sequences=not last, dtype=dtype))
        stack.append(k.layers.Dropout(config.dropout, seed=config.seed + i, dtype=dtype))
    target = targets.get(config.target)
    stack.append(k.layers.Dense(1, activation=target.activation, dtype="float32"))  # (batch, 1)
    model = k.Sequential(stack, name=f"stockrnn_{config.cell}")
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate=config.learning_rate),
        loss=target.loss,
        jit_compile=backend.jit_compile(config.jit_compile),  # always under JAX: its steps compiled, not op by op
    )
    return model
