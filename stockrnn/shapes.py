"""Output shapes: what one window's outputs are, how they are trained, and how they become forecasts.

The lecture names several shapes of recurrent network; three are here, one small object each, with the same few
methods, so that no stage branches on the shape (the targets' pattern, targets/base.py):
- `ManyToOne` (the default): the last recurrent output reads the next value; a path of many days feeds each
  prediction back as the newest input (recursive).
- `SequenceLoss` (`--sequence-loss`, many-to-many training, the lecture's time-series case): every time step of a
  window predicts the value after it and is in the loss; the one-step forecast reads the last step's output, and
  paths stay recursive.
- `Direct` (`--output direct --output-days H`): a dense head of H outputs, the next H values at once; a path of up to
  H days is those outputs, with no recursion (a longer one continues from them, H days at a time).
- `EncoderDecoder` (`--output encoder-decoder --output-days H`): the recurrent stack encodes the window into its
  last output, which a recurrent decoder reads at each of H steps, each step's output the value that many days
  ahead; its labels, paths and band are the direct head's.

Input: the target's labels per origin day (targets/: `Target.labels`), the model, scaled windows. Output: the labels
the network learns, the head's settings for `model.build`, and scaled one-step predictions and paths. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import backend
from .config import DIRECT, ENCODER_DECODER

if TYPE_CHECKING:
    from .config import TrainConfig

Layers = list[Any]  # Keras layers, in order


@dataclass(frozen=True)
class ManyToOne:
    """One output per window, from the last recurrent step: the next value. The shape stockrnn always had."""

    name: ClassVar[str] = "many-to-one"
    sequences: ClassVar[bool] = False  # the last recurrent layer returns every time step (True) or only the last
    # How a path of many days is made, in words (the views' and the backtest's labels)
    path_words: ClassVar[str] = "recursive"

    def describe(self) -> str:
        """The shape in a few words, for predict, models and the manifest's readers: e.g. 'direct, 21 days'."""
        return self.name

    def note(self, days: int) -> str | None:
        """What a path of `days` days should say about how it was made, beyond `path_words`; None: nothing."""
        return None

    def made(self, days: int) -> str:
        """How a path of `days` days from the origin was made, in words (predict's method, the plot's legend)."""
        return f"{self.path_words} from the origin"

    def head_end(self, days: int) -> int | None:
        """The path's last day (1-based) that the network output at once, where a path of `days` days continues
        past it; None where nothing continues (a recursive path, or one within the head)."""
        return None

    def head_units(self) -> int:
        """Units of the dense output layer."""
        return 1

    def head(self, dense: Callable[[int], Any], recurrent: Callable[[], Layers]) -> Layers:
        """The layers after the recurrent stack (model.build): here `dense(units)`, the output layer of
        `head_units()` units. `recurrent()` makes one more recurrent layer of the stack's kind, returning every
        step, with its dropout; seeds are drawn as the factories are called, so the order is the model's."""
        return [dense(self.head_units())]

    def extra_days(self) -> int:
        """Label days one window needs beyond its first: the last window ends that many days earlier."""
        return 0

    def labels(self, per_origin: np.ndarray, window: int, count: int) -> np.ndarray:
        """What the network learns for the `count` windows ending on origins window - 1 .. window - 2 + count, from
        the target's label of every origin (n_origins,): (count,)."""
        return per_origin[window - 1 : window - 1 + count]

    def next_labels(self, labels: np.ndarray) -> np.ndarray:
        """The one-step labels (count,) inside `labels` as `labels` returns them: the next value's."""
        return labels

    def outputs(self, model: Any, windows: np.ndarray) -> np.ndarray:
        """The network's outputs for windows (n, window, 1), shaped as `labels` (the validation loss compares them)."""
        return backend.predict(model, windows)

    def one_step(self, model: Any, windows: np.ndarray) -> np.ndarray:
        """Scaled next-value predictions (n,) for windows (n, window, 1)."""
        return backend.predict(model, windows)

    def paths(self, model: Any, windows: np.ndarray) -> np.ndarray | None:
        """The scaled paths (n, H) a direct head outputs for windows (n, window, 1), which calibrate its per-step
        band; None for shapes whose paths are recursive (their band is the price's own h-day moves)."""
        return None

    def path(self, model: Any, window: np.ndarray, days: int, extra: np.ndarray | None = None) -> np.ndarray:
        """A scaled path (days,) from the last window (window,): `advance` of that one window. `extra`: the scaled
        covariates (window, k) of the last window's days, for a model that reads them; None: the values alone."""
        return self.advance(model, np.asarray(window)[None], days, None if extra is None else extra[None])[0]

    def advance(
        self, model: Any, windows: np.ndarray, days: int, extra: np.ndarray | None = None,
        fixed: np.ndarray | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Scaled paths (m, days) from m last windows (m, window) advanced together, one prediction call a step for
        all of them (a global model's members): each prediction fed back as its row's newest input. `extra`: the
        scaled covariates (m, window, k) of the last windows' days, for a model that reads them: its paths are one
        day (no later day's covariates are known); `fixed`: channels (m, c) the same on every day of a row's
        windows (a member's index for a model with a symbol embedding), appended last; None: none."""
        buffer = np.asarray(windows, dtype="float64")  # (m, window + steps so far)
        size = buffer.shape[1]
        for step in range(days):
            x = _beside(buffer[:, -size:, None].astype("float32"), extra, step, fixed)  # (m, window, channels)
            # The compiled prediction call (backend.predict): calling model(x) eagerly walks the recurrent loop in
            # Python, about 30 times slower for a 4-layer LSTM.
            buffer = np.concatenate([buffer, self.one_step(model, x)[:, None].astype("float32")], axis=1)
        return buffer[:, size:]


@dataclass(frozen=True)
class SequenceLoss(ManyToOne):
    """Many-to-many training: the output at every time step t of a window predicts the value after t, so the loss
    covers every step (the labels are the window's own sequence shifted by one day). Forecasts read the last step."""

    name: ClassVar[str] = "sequence-loss"
    sequences: ClassVar[bool] = True

    def describe(self) -> str:
        return "many-to-many training"  # docs/shapes.md's name: its loss covers every time step

    def labels(self, per_origin: np.ndarray, window: int, count: int) -> np.ndarray:
        """(count, window): row j holds the labels of origins j .. j + window - 1, the days of window j, so that
        its last column is the window's own next value and no label reaches past it."""
        return np.lib.stride_tricks.sliding_window_view(per_origin, window)[:count]

    def next_labels(self, labels: np.ndarray) -> np.ndarray:
        return labels[:, -1]

    def outputs(self, model: Any, windows: np.ndarray) -> np.ndarray:
        return backend.predict_rows(model, windows)  # (n, window)

    def one_step(self, model: Any, windows: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(backend.predict_rows(model, windows)[:, -1])


@dataclass(frozen=True)
class Direct(ManyToOne):
    """A dense head of `days` outputs: output h (0-based) is the value h + 1 days after the window's last day."""

    name: ClassVar[str] = "direct"
    path_words: ClassVar[str] = "direct"
    days: int = 1  # outputs of the head: trading days after the window's last day

    def describe(self) -> str:
        return f"{self.name}, {self.days} days"

    def note(self, days: int) -> str | None:
        if days <= self.days:
            return None
        return (
            f"the network outputs {self.days} days at once (--output-days {self.days}); days {self.days + 1} to "
            f"{days} continue from its outputs, {self.days} at a time"
        )

    def made(self, days: int) -> str:
        made = super().made(days)
        return made if days <= self.days else f"{made} for {self.days} days, then continued from its outputs"

    def head_end(self, days: int) -> int | None:
        return self.days if days > self.days else None

    def extra_days(self) -> int:
        return self.days - 1

    def head_units(self) -> int:
        return self.days

    def labels(self, per_origin: np.ndarray, window: int, count: int) -> np.ndarray:
        """(count, days): row j holds the labels of origins o .. o + days - 1 (o = j + window - 1, the window's last
        day), the next `days` values."""
        return np.lib.stride_tricks.sliding_window_view(per_origin[window - 1 :], self.days)[:count]

    def next_labels(self, labels: np.ndarray) -> np.ndarray:
        return labels[:, 0]

    def outputs(self, model: Any, windows: np.ndarray) -> np.ndarray:
        return backend.predict_rows(model, windows)  # (n, days)

    def one_step(self, model: Any, windows: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(backend.predict_rows(model, windows)[:, 0])

    def paths(self, model: Any, windows: np.ndarray) -> np.ndarray | None:
        return backend.predict_rows(model, windows)

    def advance(
        self, model: Any, windows: np.ndarray, days: int, extra: np.ndarray | None = None,
        fixed: np.ndarray | None = None,
    ) -> np.ndarray:  # fmt: skip
        """The head's outputs from the last windows (m, window): up to `self.days` days at once; a longer path
        continues from them, the next window ending on the last output, `self.days` at a time (not with covariates
        `extra` (m, window, k): those of a later window are not known); `fixed` as ManyToOne's. (m, days)"""
        buffer = np.asarray(windows, dtype="float64")
        size = buffer.shape[1]
        while buffer.shape[1] - size < days:
            x = _beside(buffer[:, -size:, None].astype("float32"), extra, buffer.shape[1] - size, fixed)
            buffer = np.concatenate([buffer, backend.predict_rows(model, x).astype("float32")], axis=1)
        return buffer[:, size : size + days]


@dataclass(frozen=True)
class EncoderDecoder(Direct):
    """The recurrent stack encodes the window (its last output); a recurrent decoder reads that encoding at each of
    `days` steps, and a dense layer at every step gives the value that many days after the window's last day.
    Labels, one-step readings, paths and band are the direct head's: only the network differs."""

    name: ClassVar[str] = ENCODER_DECODER
    path_words: ClassVar[str] = "encoder-decoder"

    def head(self, dense: Callable[[int], Any], recurrent: Callable[[], Layers]) -> Layers:
        k = backend.keras()
        # (batch, units) -> (batch, days, units) -> the decoder (batch, days, units) -> (batch, days, 1)
        return [k.layers.RepeatVector(self.days), *recurrent(), dense(1)]


def _beside(
    x: np.ndarray, extra: np.ndarray | None, offset: int, fixed: np.ndarray | None = None
) -> np.ndarray:  # fmt: skip
    """Paths' windows x (m, window, 1), `offset` days after the first, with the first windows' covariates `extra`
    (m, window, k) after, then the `fixed` channels (m, c) on every day: (m, window, 1 + k + c); x itself without
    either. A later window (offset > 0) would read covariates not observed: a `ValueError` (forecast_model refuses
    such a path first, naming --days)."""
    if extra is not None:
        if offset:
            raise ValueError(f"a path step {offset} days after the origin's window would read covariates not observed")
        x = np.concatenate([x, extra[:, : x.shape[1]]], axis=2)
    if fixed is not None:
        x = np.concatenate([x, np.repeat(np.asarray(fixed)[:, None, :], x.shape[1], axis=1)], axis=2)
    return x.astype("float32")  # (m, window, 1) without either: the array stockrnn always predicted from


Shape = ManyToOne  # every shape is one: the protocol is ManyToOne's methods


def of(config: TrainConfig) -> Shape:
    """The output shape a config asks for (its `output`, `output_days` and `sequence_loss`)."""
    if config.output == DIRECT:
        return Direct(days=config.output_days or 1)  # TrainConfig sets output_days for direct
    if config.output == ENCODER_DECODER:
        return EncoderDecoder(days=config.output_days or 1)
    return SequenceLoss() if config.sequence_loss else ManyToOne()
