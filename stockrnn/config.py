"""The one training configuration: built once from the command line, passed down, saved with the model.

The defaults are the lecture's 60-day windows, LSTM cells, dropout 0.2, Adam and MSE, with the changes that
walk-forward backtests on both bundled indices chose (docs/targets.md) and the benchmark measured
(docs/benchmarks.md): daily log returns as the target, one LSTM(32) layer instead of four LSTM(50), batch 64, and
early stopping on a chronological validation tail. The lecture recipe exactly is
`--target price --layers 4 --units 50 --batch-size 32 --patience 0`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .errors import UsageError

CELLS = ("lstm", "gru", "rnn")
TARGETS = ("price", "return")
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")


@dataclass(frozen=True)
class TrainConfig:
    column: str = "close"  # the price column the model learns and predicts
    target: str = "return"  # return: scaled daily log returns; price: scaled price levels (the lecture)
    train_start: str | None = None  # first training day (ISO date); None: the first day of the data
    train_end: str | None = None  # last training day (ISO date); None: the last day of the data
    window: int = 60  # trading days of history in one input window
    layers: int = 1  # stacked recurrent layers (the lecture: 4)
    units: int = 32  # units per recurrent layer (the lecture: 50)
    dropout: float = 0.2  # dropout after each recurrent layer (not recurrent dropout: that would lose cuDNN)
    cell: str = "lstm"  # lstm | gru | rnn
    epochs: int = 100  # upper bound; early stopping usually ends sooner
    batch_size: int = 64  # (the lecture: 32)
    learning_rate: float = 1e-3  # Adam's default
    patience: int = 10  # epochs without a better validation loss before stopping; 0 turns early stopping off
    val_fraction: float = 0.1  # the chronological tail of the training windows held out for validation
    seed: int = 42  # makes CPU runs repeatable
    calendar: str = "XNYS"  # exchange calendar (exchange_calendars code) for dating forecasts
    jit_compile: bool = False  # compile training steps with XLA
    mixed_precision: bool = False  # float16 compute in the hidden layers (GPUs with tensor cores)
    adjusted: bool = True  # for symbols: Yahoo prices adjusted for splits and dividends (yfinance auto_adjust)

    def __post_init__(self) -> None:
        problems = []
        if self.column not in PRICE_COLUMNS:
            problems.append(f"--column must be one of {', '.join(PRICE_COLUMNS)}, not {self.column!r}")
        if self.target not in TARGETS:
            problems.append(f"--target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        if self.cell not in CELLS:
            problems.append(f"--cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        for name in ("window", "layers", "units", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                problems.append(f"--{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")
        if self.window < 2:
            problems.append(f"--window must be at least 2, not {self.window}")
        if not 0 <= self.dropout < 1:
            problems.append(f"--dropout must be in [0, 1), not {self.dropout}")
        if not 0 < self.val_fraction < 0.5:
            problems.append(f"the validation fraction must be in (0, 0.5), not {self.val_fraction}")
        if self.patience < 0:
            problems.append(f"--patience must be 0 (off) or more, not {self.patience}")
        if self.learning_rate <= 0:
            problems.append(f"--learning-rate must be positive, not {self.learning_rate}")
        if problems:
            raise UsageError("; ".join(problems))

    @property
    def lookback(self) -> int:
        """Prices one input window needs: `window`, plus the day before the first return for the return target."""
        return self.window + (self.target == "return")

    @property
    def min_train_rows(self) -> int:
        """Rows the training period needs: one window of history plus enough targets for a validation tail."""
        return self.lookback + MIN_TRAIN_TARGETS

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        # Models saved before the return target existed learned prices, whatever today's default is.
        return cls(**{"target": "price", **{k: v for k, v in data.items() if k in known}})


# With fewer targets than this, the validation tail holds one or two days and early stopping is noise.
MIN_TRAIN_TARGETS = 20
