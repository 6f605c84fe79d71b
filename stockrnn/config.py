"""The one training configuration: built once from the command line, passed down, saved with the model.

The defaults are the lecture's 60-day windows, LSTM cells, dropout 0.2, Adam and MSE, with the changes that
walk-forward backtests on both bundled indices chose (docs/targets.md) and the benchmark measured
(docs/benchmarks.md): daily log returns as the target, one LSTM(32) layer instead of four LSTM(50), batch 64, and
early stopping on a chronological validation tail. The lecture recipe exactly is
`--target price --layers 4 --units 50 --batch-size 32 --patience 0`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError

CELLS = ("lstm", "gru", "rnn")
# The defaults of the commands around training, in one place (the command line shows them in --help):
DIRECTION_HORIZON = 5  # trading days the direction target asks about by default: chosen in docs/direction.md
HORIZON = 21  # trading days forecast, scored after each backtest cut-off and held out by retrain: about a month
LEVEL = 0.8  # the coverage of the forecast's prediction interval
MARGIN = 0.01  # retrain promotes a challenger whose holdout score beats the champion's by more than this fraction
KEEP = 5  # versions retrain keeps per symbol (never deleting the champion)
CALENDAR = "XNYS"  # the exchange calendar that dates forecasts, and that the data's dates are checked against
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")


def option(default: Any, help: str, cli: bool = True) -> Any:
    """A config field with its command-line help; `cli=False` keeps it off the command line (watchlists only)."""
    return field(default=default, metadata={"help": help, "cli": cli})


@dataclass(frozen=True)
class TrainConfig:
    column: str = option("close", "Price column to learn: close, adj_close, open, high or low.")
    target: str = option(
        "return",
        "What the model learns: price (scaled levels, the lecture), return (daily log returns) or direction "
        "(the probability that the price is higher --horizon-days later).",
    )
    horizon_days: int | None = option(
        None, f"With --target direction: trading days ahead it asks about (default {DIRECTION_HORIZON})."
    )
    train_start: str | None = option(None, "First training day (YYYY-MM-DD); default: first day.")
    train_end: str | None = option(None, "Last training day (YYYY-MM-DD); default: last day.")
    window: int = option(60, "Trading days in one input window.")
    layers: int = option(1, "Stacked recurrent layers (the lecture: 4).")
    units: int = option(32, "Units per recurrent layer (the lecture: 50).")
    # Dropout is a layer after each recurrent layer, not recurrent dropout: that would lose the cuDNN kernel.
    dropout: float = option(0.2, "Dropout after each recurrent layer.")
    cell: str = option("lstm", "Recurrent cell: lstm, gru or rnn.")
    epochs: int = option(100, "Most epochs; early stopping usually ends sooner.")
    batch_size: int = option(64, "Windows per training step (the lecture: 32).")
    learning_rate: float = option(1e-3, "Adam's learning rate.")
    patience: int = option(10, "Epochs without a better validation loss before stopping; 0: off.")
    val_fraction: float = option(0.1, "The chronological tail of the training windows held out for validation.", False)
    seed: int = option(42, "Random seed: the same seed gives the same model on the CPU.")
    calendar: str = option(
        CALENDAR,
        "Exchange calendar that dates forecasts and that the data's dates are checked against: XNYS, XLON, XTKS, "
        "...; 24/7 for a market open every day (crypto), 24/5 for every weekday (currencies).",
    )
    jit_compile: bool = option(False, "Compile training steps with XLA.", False)
    mixed_precision: bool = option(False, "float16 compute in the hidden layers (GPUs with tensor cores).")
    # Symbols only: Yahoo prices adjusted for splits and dividends (yfinance auto_adjust); --raw sets it False.
    adjusted: bool = option(True, "Yahoo prices adjusted for splits and dividends.", False)

    def __post_init__(self) -> None:
        from .targets import TARGETS  # here, not at the top: targets needs numpy, which `stockrnn --help` does not

        problems = []
        if self.column not in PRICE_COLUMNS:
            problems.append(f"--column must be one of {', '.join(PRICE_COLUMNS)}, not {self.column!r}")
        if self.target not in TARGETS:
            problems.append(f"--target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        if self.target in TARGETS and TARGETS[self.target].asks_horizon:
            if self.horizon_days is None:
                object.__setattr__(self, "horizon_days", DIRECTION_HORIZON)  # frozen: set once, while being built
            elif self.horizon_days < 1:
                problems.append(f"--horizon-days must be at least 1, not {self.horizon_days}")
        elif self.horizon_days is not None:
            problems.append(f"--horizon-days is for --target direction, not {self.target}")
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
        if not 0 < self.learning_rate < math.inf:  # NaN fails every comparison, so it lands here too
            problems.append(f"--learning-rate must be a positive number, not {self.learning_rate}")
        if not 0 <= self.seed < 2**32:
            problems.append(f"--seed must be in [0, 2**32), not {self.seed}")
        if problems:
            raise UsageError("; ".join(problems))

    @property
    def horizon(self) -> int:
        """Trading days between a window's last day and the day its label belongs to: 1 for the next day's value."""
        return self.horizon_days or 1

    @property
    def lookback(self) -> int:
        """Prices one input window needs: `window`, plus the days before its first value that the target needs."""
        from .targets import TARGETS

        return self.window + TARGETS[self.target].extra_days

    @property
    def min_train_rows(self) -> int:
        """Rows the training period needs: one window of history plus enough targets for a validation tail."""
        return self.lookback + self.horizon - 1 + MIN_TRAIN_TARGETS

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        # Models saved before the return target existed learned prices, whatever today's default is.
        return cls(**{"target": "price", **{k: v for k, v in data.items() if k in known}})


# With fewer targets than this, the validation tail holds one or two days and early stopping is noise.
MIN_TRAIN_TARGETS = 20
