"""The one training configuration: built once from the command line, passed down, saved with the model.

The defaults are the lecture's 60-day windows, LSTM cells, dropout 0.2, Adam and MSE, with the changes that
walk-forward backtests on both bundled indices chose (docs/targets.md) and the benchmark measured
(docs/benchmarks.md): daily log returns as the target, one LSTM(32) layer instead of four LSTM(50), batch 64, and
early stopping on a chronological validation tail. The lecture recipe exactly is
`--target price --layers 4 --units 50 --batch-size 32 --patience 0`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from .errors import UsageError

CELLS = ("lstm", "gru", "rnn")
OPTIMIZERS = ("adam", "rmsprop")
# How a panel's global model scales its members' values: each by its own training rows, or one scaler of all the
# members' training rows together (Fischer and Krauss's standardisation); a single symbol has only its own.
MEMBER_SCALING, POOLED = "member", "pooled"
SCALINGS = (MEMBER_SCALING, POOLED)
# The network's output (shapes.py): one output, the next value, fed back for a path of many days; or the next
# `output_days` values at once, from a dense head (direct) or from a recurrent decoder over those days.
RECURSIVE, DIRECT, ENCODER_DECODER = "recursive", "direct", "encoder-decoder"
OUTPUTS = (RECURSIVE, DIRECT, ENCODER_DECODER)
MULTI_DAY = (DIRECT, ENCODER_DECODER)  # the outputs that give --output-days values at once
CHOSEN = (
    "cell",
    "column",
    "target",
    "output",
    "optimizer",
    "scaling",
)  # fields whose value is one of a few lower-case names, accepted in any case
# The defaults of the commands around training, in one place (the command line shows them in --help):
DIRECTION_HORIZON = 5  # trading days the direction target asks about by default: chosen in docs/direction.md
HORIZON = 21  # trading days forecast, scored after each backtest cut-off and held out by retrain: about a month
LEVEL = 0.8  # the coverage of the forecast's prediction interval
# retrain promotes a newer challenger unless the champion is significantly better on the holdout (contest.decide);
# --margin (None here) is the older rule, kept for crontab lines that pass it: beat the champion by this fraction
MARGIN: float | None = None
MAX_AGE = 126  # trading days (half a year) after which a champion gives way to a newer challenger, whatever it scores
KEEP = 5  # versions retrain keeps per symbol (never deleting the champion)
CALENDAR = "XNYS"  # the exchange calendar that dates forecasts, and that the data's dates are checked against
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")
TRADING_YEAR = 252  # trading days in a year
EMBEDDING = 4  # numbers a global model learns per member symbol (--symbol-embedding): a few, for 10-100 members
COST_BPS = 5.0  # trading cost per side (strategy.py), basis points of the amount traded: a liquid large cap's spread
# --validate-every: after every pass over all training windows (an epoch), after a member's worth of them (a panel's
# mean training windows per member; one symbol's epoch), or after N windows (at most MAX_VALIDATE_EVERY: ten
# million windows, far beyond any epoch here, so that a typo cannot make a check never come)
EPOCH, MEMBER = "epoch", "member"
MAX_VALIDATE_EVERY = 10_000_000


@dataclass(frozen=True)
class Range:
    """The values a numeric option takes: from `low` to `high`, each end included unless `open_low` / `open_high`.
    `why` says what the upper end means, in --help and in the message that refuses a value beyond it."""

    low: float
    high: float
    why: str = ""
    open_low: bool = False
    open_high: bool = False

    def holds(self, value: float) -> bool:
        """Whether `value` is inside (NaN never is: it fails every comparison)."""
        above = self.low < value if self.open_low else self.low <= value
        return above and (value < self.high if self.open_high else value <= self.high)

    def __str__(self) -> str:
        """`1 to 2520` for whole numbers with both ends included, else an interval: `(0, 1)`, `[0, 10]`."""
        if not (self.open_low or self.open_high) and float(self.low).is_integer() and float(self.high).is_integer():
            return f"{self.low:g} to {self.high:g}"
        return f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"

    def help(self) -> str:
        """The range as --help shows it, after an option's own help."""
        return f"Range: {self}{f' ({self.why})' if self.why else ''}."


# The range of every numeric option, checked before any work (a value outside is a usage error, exit 2, naming the
# option and its range): wide enough for a demanding user, narrow enough that no value runs for days, exhausts
# memory or overflows. Each count of trading days (a forecast, a backtest's horizon and step, a holdout) stops at ten
# years.
RANGES = {
    # TrainConfig's fields
    "horizon_days": Range(1, TRADING_YEAR, "a year of trading days"),
    "output_days": Range(1, TRADING_YEAR, "a year of trading days"),
    "window": Range(2, 5 * TRADING_YEAR, "five years of trading days"),
    "layers": Range(1, 8),
    "units": Range(1, 1024),
    "epochs": Range(1, 10_000),
    "batch_size": Range(1, 8192),
    "patience": Range(0, 1000),
    # the commands' options
    "days": Range(1, 10 * TRADING_YEAR, "ten years of trading days"),
    "horizon": Range(1, 10 * TRADING_YEAR, "ten years of trading days"),
    "step": Range(1, 10 * TRADING_YEAR, "ten years of trading days"),
    "holdout": Range(1, 10 * TRADING_YEAR, "ten years of trading days"),
    "folds": Range(1, 1000, "each fold trains a model"),
    "periods": Range(1, 1000, "each study period trains a model"),
    "top_k": Range(1, 1000, "names a side"),
    "level": Range(0, 1, open_low=True, open_high=True),
    "margin": Range(0, 1, open_high=True),
    "max_age": Range(0, 10 * TRADING_YEAR, "ten years of trading days; 0: no limit"),
    "keep": Range(1, 1000),
    "jobs": Range(1, 256, "processes on this machine"),
    "retrain_jobs": Range(0, 256, "processes on this machine; 0: one a core"),  # retrain's --jobs
    "timeout": Range(0, 7 * 24 * 3600, "a week", open_low=True),
    "noise": Range(0, 10, "half the series' swing"),
    # the trading rule's (strategy.py; its target checks a threshold further: Rule.resolved)
    "cost_bps": Range(0, 1000, "basis points a side"),
    "threshold": Range(
        0, 1, "a value model's expected return below 0.5, a direction model's P(up) from 0.5", open_high=True
    ),  # fmt: skip
}


def out_of_range(flag: str, value: float | None, allowed: Range | None = None) -> str | None:
    """Why `value` of the option `flag` (--days) is refused, or None when it is inside its range (RANGES, by the
    flag's name, unless `allowed` is given) or not given (None)."""
    allowed = allowed or RANGES[flag.removeprefix("--").replace("-", "_")]
    if value is None or (isinstance(value, Real) and allowed.holds(value)):
        return None
    return f"{flag} must be in the range {allowed}{f' ({allowed.why})' if allowed.why else ''}, not {value}"


def check_range(flag: str, value: float | None, allowed: Range | None = None) -> None:
    """A `UsageError` (exit 2) when `value` of the option `flag` is outside its range (see `out_of_range`)."""
    problem = out_of_range(flag, value, allowed)
    if problem:
        raise UsageError(problem)


def option(default: Any, help: str, cli: bool = True) -> Any:
    """A config field with its command-line help; `cli=False` keeps it off the command line (watchlists only)."""
    return field(default=default, metadata={"help": help, "cli": cli})


@dataclass(frozen=True)
class TrainConfig:
    column: str = option("close", "Price column to learn: close, adj_close, open, high or low.")
    target: str = option(
        "return",
        "What the model learns: price (scaled levels, the lecture), return (daily log returns), direction "
        "(the probability that the price is higher --horizon-days later) or, for a panel's global model, rank (the "
        "probability that a member's next-day return beats the median of the panel's members that day).",
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
    sequence_loss: bool = option(
        False,
        "Many-to-many training: every time step of a window predicts the value after it and is in the loss (the "
        "lecture's time-series case); forecasts read the last step.",
    )
    output: str = option(
        RECURSIVE,
        "recursive: the network outputs the next value, fed back as input for a path of many days; direct: it "
        "outputs the next --output-days values at once (a dense head); encoder-decoder: a recurrent decoder "
        "outputs them, one per step.",
    )
    output_days: int | None = option(
        None, f"With --output direct or encoder-decoder: trading days the network outputs at once (default {HORIZON})."
    )
    features: str | None = option(
        None,
        "Past covariates beside what the target learns, comma-separated: return (the day's log return), volume (log "
        "change of volume), range ((high - low) / close), market (the market's return, from --market); each scaled "
        "on the training rows only.",
    )
    symbol_embedding: bool = option(
        False, f"A panel's model learns a vector of {EMBEDDING} numbers per member symbol, beside its inputs."
    )
    scaling: str = option(
        MEMBER_SCALING,
        "How a panel's global model scales its members' values: member (each by its own training rows) or pooled "
        "(one scaler of all members' training rows together, stored as each member's: returns centred on their "
        "mean and divided by their deviation, Fischer and Krauss's standardisation).",
    )
    epochs: int = option(100, "Most epochs (validation checks: --validate-every); early stopping usually ends sooner.")
    batch_size: int = option(64, "Windows per training step (the lecture: 32).")
    learning_rate: float = option(1e-3, "The optimizer's learning rate.")
    optimizer: str = option("adam", "Training's optimizer: adam or rmsprop (Fischer and Krauss, 2018).")
    patience: int = option(10, "Validation checks without a better loss before stopping; 0: off.")
    validate_every: str = option(
        MEMBER,
        "How often the validation tail is checked, each check one of --epochs and --patience: epoch (after every "
        "pass over all training windows), member (after a member's worth of windows: a panel's mean training "
        "windows per member, in whole batches, so that a global model's checks are one symbol's epochs; one "
        "symbol's model: its epoch) or N (after N training windows, in whole batches, at most a pass).",
    )
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

        for name in CHOSEN:  # a choice in any case (cell=LSTM in a watchlist, the Python API): its canonical name
            value = getattr(self, name)
            if isinstance(value, str) and value != value.lower():
                object.__setattr__(self, name, value.lower())  # frozen: set once, while being built
        problems = []
        if self.target in TARGETS and TARGETS[self.target].asks_horizon:
            if self.horizon_days is None:
                object.__setattr__(self, "horizon_days", DIRECTION_HORIZON)  # frozen: set once, while being built
        elif self.horizon_days is not None:
            problems.append(f"--horizon-days is for --target direction, not {self.target}")
        if self.output in MULTI_DAY:
            if self.output_days is None:
                object.__setattr__(self, "output_days", HORIZON)  # frozen: set once, while being built
            if self.sequence_loss:
                problems.append(
                    f"--sequence-loss trains one output per time step; --output {self.output} outputs "
                    f"{self.output_days} values per window"
                )
            if self.target in TARGETS and not TARGETS[self.target].has_path:
                problems.append(f"--output {self.output} is for targets with a path of values, not {self.target}")
        elif self.output_days is not None:
            problems.append(f"--output-days is for --output direct or encoder-decoder, not {self.output}")
        if isinstance(self.validate_every, int | str):  # one spelling: "epoch", "member" or "128", whatever was typed
            object.__setattr__(self, "validate_every", canonical_every(self.validate_every))
        if self.features is not None:  # one spelling, whatever was typed: "return,volume"
            from .features import parse_features

            try:
                object.__setattr__(self, "features", ",".join(parse_features(self.features)))
            except UsageError as exc:
                problems.append(str(exc))
        problems += option_problems(self.to_dict())
        if problems:
            raise UsageError("; ".join(problems))

    def check_alone(self) -> None:
        """Refuse (`UsageError`, exit 2) what only a panel's global model learns, for a single symbol's training or
        walk-forward: a panel-only target (rank), --symbol-embedding, --scaling pooled. No I/O: called before any
        price is read."""
        from .targets import get

        problems = [get(self.target).alone()]
        if self.symbol_embedding:
            problems.append("--symbol-embedding learns one vector per member of a panel; train with --panel DIR")
        if self.scaling == POOLED:
            problems.append(
                "--scaling pooled fits one scaler on all the members of a panel; train with --panel DIR or "
                "--watchlist FILE --name NAME, or use --scaling member"
            )
        found = [p for p in problems if p]
        if found:
            raise UsageError("; ".join(found))

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
    def output_reach(self) -> int:
        """Days past a window's first label that its labels reach: 0, or H - 1 for a head of H outputs."""
        from .shapes import of

        return of(self).extra_days()

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The past covariates the windows hold beside the target's own values: () without --features."""
        return tuple(self.features.split(",")) if self.features else ()

    @property
    def min_train_rows(self) -> int:
        """Rows the training period needs: one window of history plus enough targets for a validation tail."""
        return self.lookback + self.horizon - 1 + self.output_reach + MIN_TRAIN_TARGETS

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        # Models saved before the return target existed learned prices, whatever today's default is; before
        # --validate-every, every model was validated once an epoch.
        return cls(**{"target": "price", "validate_every": EPOCH, **{k: v for k, v in data.items() if k in known}})


def option_problems(values: dict[str, Any]) -> list[str]:
    """What is wrong with each of `values` (TrainConfig fields; the ones left out or None are not checked) taken on
    its own; TrainConfig adds what is wrong with them together. For options that override a saved config, too."""
    from .targets import TARGETS  # here, not at the top: targets needs numpy, which `stockrnn --help` does not

    def given(name: str) -> bool:
        return values.get(name) is not None

    problems = []
    if given("column") and values["column"] not in PRICE_COLUMNS:
        problems.append(f"--column must be one of {', '.join(PRICE_COLUMNS)}, not {values['column']!r}")
    if given("target") and values["target"] not in TARGETS:
        problems.append(f"--target must be one of {', '.join(TARGETS)}, not {values['target']!r}")
    if given("cell") and values["cell"] not in CELLS:
        problems.append(f"--cell must be one of {', '.join(CELLS)}, not {values['cell']!r}")
    if given("optimizer") and values["optimizer"] not in OPTIMIZERS:
        problems.append(f"--optimizer must be one of {', '.join(OPTIMIZERS)}, not {values['optimizer']!r}")
    if given("scaling") and values["scaling"] not in SCALINGS:
        problems.append(f"--scaling must be one of {', '.join(SCALINGS)}, not {values['scaling']!r}")
    if given("output") and values["output"] not in OUTPUTS:
        problems.append(f"--output must be one of {', '.join(OUTPUTS)}, not {values['output']!r}")
    for name in ("horizon_days", "output_days", "window", "layers", "units", "epochs", "batch_size", "patience"):
        problems.append(out_of_range(f"--{name.replace('_', '-')}", values.get(name)) or "")
    if given("validate_every"):
        problems.append(every_problem(values["validate_every"]) or "")
    if given("dropout") and not 0 <= values["dropout"] < 1:
        problems.append(f"--dropout must be in [0, 1), not {values['dropout']}")
    if given("val_fraction") and not 0 < values["val_fraction"] < 0.5:
        problems.append(f"the validation fraction must be in (0, 0.5), not {values['val_fraction']}")
    if given("learning_rate") and not 0 < values["learning_rate"] <= 1:  # NaN fails every comparison: lands here
        problems.append(f"--learning-rate must be a positive number up to 1, not {values['learning_rate']}")
    if given("seed") and not 0 <= values["seed"] < 2**32:
        problems.append(f"--seed must be in [0, 2**32), not {values['seed']}")
    return [p for p in problems if p]


def canonical_every(value: int | str) -> str:
    """--validate-every's one spelling: "epoch" or "member" in lower case, a number of windows as digits without
    leading zeros ("0128" -> "128"); anything else as given, for `every_problem` to refuse."""
    text = str(value).strip().lower()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def every_problem(value: int | str) -> str | None:
    """Why `value` of --validate-every is refused (not epoch, member or a whole number of training windows from 1
    to MAX_VALIDATE_EVERY), or None."""
    text = canonical_every(value)
    if text in (EPOCH, MEMBER) or (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_VALIDATE_EVERY):
        return None
    return (
        f"--validate-every must be {EPOCH}, {MEMBER} or a number of training windows from 1 to "
        f"{MAX_VALIDATE_EVERY}, not {value!r}"
    )


# With fewer targets than this, the validation tail holds one or two days and early stopping is noise.
MIN_TRAIN_TARGETS = 20
