"""Model stage: the stacked recurrent network, built from a `TrainConfig`.

Input: a config. Output: a compiled Keras model mapping windows (batch, window, 1) to next values (batch, 1), with
the output activation and loss of the config's target; other output shapes (shapes.py) end in every time step's
next value (batch, window, 1) or the next H values (batch, H). Keras comes from `backend`, lazily.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from . import backend, shapes, targets
from .config import EMBEDDING, TrainConfig


def seeds(seed: int) -> Iterator[int]:
    """Endless seeds for the model's random parts, derived from the config's `seed`, so that nothing draws from
    Keras' shared generator (which other threads of the process draw from too). They are the very draws Keras' own
    default seeding makes after `random.seed(seed)` (`random.randint(1, 10**9)` per initializer or seed generator,
    keras.src.random.seed_generator.make_default_seed): with each part given them in the order Keras' constructors
    draw (`build`), a model is the one stockrnn built before its seeds were explicit, to the last bit
    (tests/test_model.py compares both). Below 2**31: PyTorch's seed type is int32."""
    draws = random.Random(seed)
    while True:
        yield draws.randint(1, int(1e9))


def build(config: TrainConfig, channels: int = 1, members: int = 0) -> Any:
    """The lecture's stack: `layers` recurrent layers of `units`, each followed by Dropout, then the head of the
    config's output shape (shapes.py): Dense(1); Dense(1) at every time step of the last layer (sequence loss);
    Dense(H) (direct); or a recurrent decoder over H steps with Dense(1) at each (encoder-decoder).

    The recurrent layers keep Keras' defaults (tanh, sigmoid, no recurrent dropout, no unrolling, bias on), the
    conditions for the cuDNN kernel on a GPU; dropout is a separate layer for the same reason. Their initializers
    are Keras' defaults too, each with a seed of its own from `seeds(config.seed)`.
    With `mixed_precision` the hidden layers compute in float16 (keeping float32 weights): for GPUs with tensor
    cores; the output layer stays float32 so that the loss and the predictions keep full precision. Where the backend
    cannot train that (JAX's LSTM on a GPU), a `UsageError` says so before anything is built.

    `channels`: values per day of a window (1: the target's own; more with covariates). `members` > 0 (a panel's
    --symbol-embedding): the window carries one more channel, the member's index (the same on every day), which an
    Embedding(members, EMBEDDING) turns into a learned vector, repeated over the window's days and read beside the
    other channels. Both are built of Keras' own layers only, so that the file loads anywhere without custom code.
    With one channel and no members the model is the Sequential stack stockrnn always built, to the last bit.
    """
    k = backend.keras()
    if config.mixed_precision:
        backend.check_mixed_precision(config.cell)
    cell = {"lstm": k.layers.LSTM, "gru": k.layers.GRU, "rnn": k.layers.SimpleRNN}[config.cell]
    dtype = "mixed_float16" if config.mixed_precision else "float32"
    seed = seeds(config.seed)
    shape = shapes.of(config)

    def recurrent(sequences: bool, i: int) -> list[Any]:
        """Recurrent layer i with its dropout, its seeds drawn in the order Keras' constructors draw them: SimpleRNN's
        dropout generator first, LSTM's and GRU's last (after the kernel's and the recurrent kernel's initializers)."""
        generator = next(seed) if config.cell == "rnn" else None
        kernel, recurrent_kernel = next(seed), next(seed)
        layer = cell(
            config.units,
            return_sequences=sequences,
            kernel_initializer=k.initializers.GlorotUniform(seed=kernel),
            recurrent_initializer=k.initializers.Orthogonal(seed=recurrent_kernel),
            seed=generator or next(seed),  # the cell's dropout generator: made, though unused
            dtype=dtype,
        )
        return [layer, k.layers.Dropout(config.dropout, seed=config.seed + i, dtype=dtype)]

    target = targets.get(config.target)

    def dense(units: int) -> Any:
        """The output layer: float32, so the loss and the predictions keep full precision."""
        initializer = k.initializers.GlorotUniform(seed=next(seed))
        return k.layers.Dense(units, activation=target.activation, kernel_initializer=initializer, dtype="float32")

    stack = [k.Input(shape=(config.window, channels + (1 if members else 0)))]  # (batch, window, channels [+ 1])
    for i in range(config.layers):
        last = i == config.layers - 1
        # (batch, window, units) or, for the last layer, (batch, units)
        stack += recurrent(shape.sequences or not last, i)
    # (batch, 1); (batch, window, 1) with every time step; (batch, H) for a direct head; (batch, H, 1) for a decoder
    stack += shape.head(dense, lambda: recurrent(True, config.layers))
    if channels == 1 and not members:
        model = k.Sequential(stack, name=f"stockrnn_{config.cell}")
    else:
        model = k.Model(*_conditioned(k, stack, config.window, channels, members, seed), name=f"stockrnn_{config.cell}")
    model.compile(
        optimizer=_optimizer(k, config),
        loss=target.loss,
        jit_compile=backend.jit_compile(config.jit_compile),  # always under JAX: its steps compiled, not op by op
    )
    return model


def _optimizer(k: Any, config: TrainConfig) -> Any:
    """The config's optimizer at its learning rate: Adam (the default) or RMSprop (Fischer and Krauss's)."""
    if config.optimizer == "rmsprop":
        return k.optimizers.RMSprop(learning_rate=config.learning_rate)
    return k.optimizers.Adam(learning_rate=config.learning_rate)


def _conditioned(k: Any, stack: list, window: int, channels: int, members: int, seed: Iterator[int]) -> tuple:
    """(inputs, outputs) of the functional model: the input, its member channel made an embedding (when
    `members`), then `stack`'s layers (after its Input)."""
    inputs = stack[0]  # (batch, window, channels [+ 1])
    x = inputs
    if members:
        days_first = k.layers.Permute((2, 1))(inputs)  # (batch, channels + 1, window)
        ids = k.layers.Cropping1D((channels, 0))(days_first)  # (batch, 1, window): the member's index every day
        values = k.layers.Permute((2, 1))(k.layers.Cropping1D((0, 1))(days_first))  # (batch, window, channels)
        vectors = k.layers.Embedding(
            members, EMBEDDING, embeddings_initializer=k.initializers.RandomUniform(-0.05, 0.05, seed=next(seed))
        )(ids)  # (batch, 1, window, EMBEDDING): Embedding casts the float index to int
        x = k.layers.Concatenate()([values, k.layers.Reshape((window, EMBEDDING))(vectors)])  # (batch, window, c + E)
    for layer in stack[1:]:
        x = layer(x)
    return inputs, x
