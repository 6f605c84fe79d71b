"""The target protocol: what every target is and does, and what its forecast (a `Result`) answers for itself.

A target says what the network learns from a price series (encode, scale, labels), how its outputs become prices or
probabilities again, and owns everything downstream that differs between targets: its forecast (a typed result
that knows its rows, its scores against its baselines, its verdicts, its JSON, its ledger steps, its table and its
plot), its backtest folds and their pooling, its contest in retrain and its track record. Nothing outside this
package asks which kind of target it holds: it asks the target (NeuralForecast's loss objects carry the same
responsibility there, so that no model branches on its loss).

Input: arrays, frames and the config. Output: results as dataclasses; JSON only in their `to_json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import Field, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from ..formatting import fmt
from ..record import Step

if TYPE_CHECKING:
    from ..config import TrainConfig
    from ..significance import Comparison
    from ..standing import Standing
    from .scaling import Scaler


class Result(Protocol):
    """A target's forecast from one origin: what predict prints, plot draws, backtest scores and the ledger keeps.

    Its data are read-only properties here, so that a frozen dataclass conforms; and a result is a dataclass
    (`__dataclass_fields__`), so that `dataclasses.replace` can copy it under another version (retrain does).
    """

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def target(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def column(self) -> str: ...
    @property
    def origin(self) -> pd.Timestamp: ...
    @property
    def rows(self) -> pd.DataFrame: ...  # index: date
    @property
    def metrics(self) -> Mapping[str, Any]: ...  # the scores where the actual outcome is known; empty otherwise
    @property
    def history(self) -> pd.Series: ...  # prices up to and including the origin
    @property
    def level(self) -> float | None: ...  # of its prediction interval; None: none
    @property
    def figure_size(self) -> tuple[float, float]: ...  # inches, for `draw`
    @property
    def standing(self) -> Standing | None: ...  # what stands behind it (standing.py); None: not worked out
    @property
    def scored_days(self) -> pd.DatetimeIndex: ...  # the days whose actual outcome is known
    @property
    def past_the_data(self) -> bool: ...  # some forecast days lie after the data's last day

    def comparisons(self) -> list[Comparison]: ...

    def to_json(self) -> dict[str, Any]: ...

    def steps(self) -> tuple[Step, ...]: ...

    def render(self) -> list[Any]: ...

    def draw(self, figure: Any) -> None: ...

    def fold(self) -> dict[str, Any]: ...

    def signals(self) -> pd.DataFrame: ...  # index: origin day; score, lower, upper (strategy.py reads them)


@dataclass(frozen=True)
class Forecasting:
    """What a target's `forecast` needs besides the model: the prices (n,) and where the forecast starts."""

    series: pd.Series  # the model's price column, indexed by date
    position: int  # of the first forecast day in `series` (len(series): after the data's last day)
    dates: pd.DatetimeIndex  # the requested days: series.index[position:] where known, then trading days after
    label: tuple[str, str]  # (symbol, version)
    calibration: dict[str, Any] | None = None  # the model's interval calibration (intervals.calibrate)
    level: float = 0.8  # of the prediction interval
    # The scaled past covariates of `series`' days, (n, k), for a model that reads them (--features); None without.
    # Day t's row reads prices up to t only (NaN where one is missing): a window ending on the origin is known there,
    # a later one is not, so a path goes no further than the head outputs from the origin's window (forecast_model).
    extra: np.ndarray | None = None
    # The member's index, for a global model that learned a symbol embedding (--symbol-embedding): the windows' last
    # channel, the same on every day (panel_train.stacked); None: no such channel.
    member: int | None = None

    def fixed(self) -> np.ndarray | None:
        """The channels (c,) every window of this forecast ends with, the same on every day: the member's index;
        None without."""
        return None if self.member is None else np.array([float(self.member)])


@dataclass(frozen=True)
class Target:
    """One target: its name and the few settings every stage reads; subclasses implement the methods."""

    name: str
    help: str  # one line for --help and docs
    extra_days: int = 0  # prices one window needs beyond `window`, because the first value needs a day before it
    activation: str = "linear"  # of the output layer
    loss: str = "mean_squared_error"
    promotion_metric: str = "rmse"  # lower is better: retrain promotes on it
    asks_horizon: bool = False  # takes --horizon-days: its label lies that many trading days after the window
    scored: str = "one_step"  # the method of its metrics that retrain compares
    baseline: str = "persistence"  # and the baseline beside it
    family: str = "value"  # targets of one family can replace each other as champion (see `can_replace`)
    has_path: bool = True  # its labels are values of a path, day after day: a direct head can output many at once
    panel_only: bool = False  # its labels need a panel's cross-section (`panel_labels`): no single symbol learns it

    # What the network learns.
    def encode(self, prices: np.ndarray) -> np.ndarray:
        """A price series (n,) -> the values the network learns (n,), NaN where a day has none."""
        raise NotImplementedError

    def fit_scaler(self, values: np.ndarray) -> Scaler:
        """The scaler of the training rows' encoded values (n,), NaN ignored."""
        raise NotImplementedError

    def fit_pooled_scaler(self, values: np.ndarray) -> Scaler:
        """A panel's one scaler (--scaling pooled) of all its members' training rows' encoded values together (n,),
        NaN ignored: by default the target's own scaler fitted on them all."""
        return self.fit_scaler(values)

    def labels(self, scaled: np.ndarray, values: np.ndarray, horizon: int) -> np.ndarray:
        """What the network learns for the window ending at each day o = 0 .. n - 1 - horizon of the encoded
        series (n,): here the next scaled value, scaled[o + 1] (horizon 1). (n - horizon,)"""
        return scaled[1:]

    def alone(self) -> str | None:
        """Why a single symbol's model cannot learn this target (a panel-only target's words, naming the options
        that train it), or None: checked before any price is read (`TrainConfig.check_alone`)."""
        return None

    def panel_labels(self, panel: Any, config: TrainConfig) -> pd.DataFrame | None:
        """A cross-sectional target's labels from a whole panel (panel.Panel, already cut at the training end):
        (days, members), the label of the window ending on each day, NaN where none; None (every target but rank):
        each member's labels come from its own series (`labels`)."""
        return None

    # Training's validation tail.
    def validate(
        self, config: TrainConfig, data: Any, outputs: np.ndarray, paths: np.ndarray | None = None
    ) -> tuple[dict, dict | None, dict | None]:
        """The validation tail's metrics, the prediction intervals' calibration and (probability targets) the output
        calibrator, from the network's one-step `outputs` (n_val,) on the tail of `data` (windows.TrainingSet) and,
        for a direct head (shapes.py), its scaled `paths` (n_val, H) from the same windows."""
        raise NotImplementedError

    def comparisons(self, metrics: dict[str, Any], window: str, config: TrainConfig) -> list[Comparison]:
        """The verdicts of validation `metrics` on `window`, in words."""
        raise NotImplementedError

    def scores_view(self, title: str, metrics: dict[str, Any]) -> list[Any]:
        """`metrics` as printable items: the title, a rich table, what each method is."""
        raise NotImplementedError

    def read_scores(self, data: dict[str, dict]) -> dict[str, Any]:
        """Scores per method as their `to_dict` wrote them (a manifest's, a retrain record's) -> typed again."""
        raise NotImplementedError

    # Forecasts.
    def forecast(self, model: Any, scaler: Scaler | dict, config: TrainConfig, at: Forecasting) -> Result:
        """The model's forecast (a `Result`) of `at.dates`: `forecast_many` of one."""
        return self.forecast_many(model, [scaler], config, [at])[0]

    def forecast_many(
        self, model: Any, scalers: Sequence[Scaler | dict], config: TrainConfig, ats: Sequence[Forecasting]
    ) -> Sequence[Result]:
        """The forecasts of many series by one model (a global model's members: `scalers[i]` and `ats[i]` are
        member i's), each the same as `forecast` of it alone, the network asked once for all of them at each step
        of their paths. Raises what `forecast` raises for any one of them."""
        raise NotImplementedError

    # Backtests: every fold's `Result.fold()` record, pooled.
    def pool(self, folds: list[dict], config: TrainConfig, horizon: int, level: float) -> dict[str, Any]:
        """All folds' days together (`horizon`: the days each fold scores; `level`: of its bands): the pooled
        scores and verdicts (`comparisons`, as dicts)."""
        raise NotImplementedError

    def backtest_view(self, report: dict[str, Any]) -> list[Any]:
        """A backtest report (JSON form) as printable items."""
        raise NotImplementedError

    def draw_backtest(self, figure: Any, report: dict[str, Any]) -> None:
        """A backtest report (JSON form) drawn onto `figure`."""
        raise NotImplementedError

    # Panel backtests (panel_backtest.py): each day's loss, in one unit for every member, so that members pool.
    def day_losses(
        self,
        model: Any,
        scaler: dict,
        config: TrainConfig,
        series: pd.Series,
        extra: np.ndarray | None,
        labels: np.ndarray,
        classes: pd.Series | None = None,
    ) -> dict[str, dict[str, np.ndarray]]:
        """The one-step losses of the days at positions `labels` (n,) of `series` (a member's prices, (days,)),
        each forecast from the actual prices up to its origin (`config.horizon` days before it), with the scaled
        covariates `extra` (days, k) beside the target's values where the model reads them: score -> method (the
        model's, then its baselines') -> (n,) losses, NaN where a window holds a missing covariate. The scores'
        units do not depend on the price level (returns, probabilities): the members' losses can be averaged.
        `classes`: a cross-sectional target's outcomes, this member's column of `panel_labels` (indexed by the
        origin's date); ignored by the targets whose outcome is the member's own series."""
        raise NotImplementedError

    def pooled_score(self, score: str, mean_loss: float) -> float:
        """A score's value from its mean loss over days (the root of a mean squared error: RMSE)."""
        return mean_loss

    # Retrain's contest.
    def can_replace(self, other: Target) -> bool:
        """Whether a model of this target can be compared with, and replace, a champion of `other`."""
        return self.family == other.family

    def contest_scores(self, result: Result) -> dict[str, Any]:
        """A contestant's holdout scores: the scored method beside its baseline."""
        return {self.scored: result.metrics[self.scored], self.baseline: result.metrics[self.baseline]}

    def versus(self, challenger: Result, champion: Result) -> Comparison:
        """The challenger against the champion on the same holdout, with the Diebold-Mariano test."""
        raise NotImplementedError

    def contest_cell(self, metrics: dict[str, Any]) -> str:
        """Retrain's table cell: the challenger's, champion's and baseline's holdout scores."""
        scores = [(metrics.get(who) or {}).get(method) for who, method in
                  (("challenger", self.scored), ("champion", self.scored), ("challenger", self.baseline))]  # fmt: skip
        metric = self.promotion_metric
        return f"{metric.upper()} " + " / ".join(fmt(getattr(s, metric), ".4g") if s else "-" for s in scores)

    # The trading rule (strategy.py): what a signal's score is, and how a score becomes a position.
    score_name: ClassVar[str] = "score"  # in words, for tables: "expected return", "P(up)"

    def default_threshold(self, cost: float) -> float:
        """The threshold a rule uses when none is given, for a `cost` per side (a fraction: 5 bps = 0.0005)."""
        raise NotImplementedError

    def threshold_problem(self, threshold: float, cost: float) -> str | None:
        """Why `threshold` cannot be used at `cost` per side, in words; None when it can."""
        raise NotImplementedError

    def decide(self, scores: np.ndarray, threshold: float, short: bool) -> np.ndarray:
        """Positions (n,) in {-1, 0, 1} (short, flat, long) from signal scores (n,); NaN scores are flat."""
        raise NotImplementedError

    def margin(self, score: float, threshold: float, short: bool) -> float:
        """How far `score` lies past the nearest threshold that would take a position, in the score's units: above
        0 a position is taken (the further, the stronger the signal); below 0 flat, by that much. `signal` ranks by
        it."""
        raise NotImplementedError

    def score_text(self, score: float | None, lower: float | None, upper: float | None) -> str:
        """A signal's score (and its band, where it has one) in words, for `signal`'s table."""
        raise NotImplementedError

    can_short: ClassVar[bool] = True  # its score can say down: a long/short rule may use it

    # The track record.
    def score_track(self, table: pd.DataFrame, span: str) -> tuple[int, dict[str, Any], list[Comparison]]:
        """The matured steps' count, scores and verdicts. `table`: one row per step with an actual price, columns
        n (the forecast), origin (its price), step, date, actual, forecast, lower, upper, p_up; `span`: the
        forecasts in words."""
        raise NotImplementedError

    def track_row(self, metrics: dict[str, dict], level: float | None, comparisons: list[Comparison]) -> list[str]:
        """Track's table cells after symbol, model and counts: five cells."""
        raise NotImplementedError


def windows_at(
    scaled: np.ndarray, extra: np.ndarray | None, origins: np.ndarray, window: int, fixed: np.ndarray | None = None
) -> np.ndarray:  # fmt: skip
    """The windows ending on `origins` (n,) of a scaled series (days,) and its scaled covariates (days, k) or None:
    (n, window, 1 + k) float32, the target's own values first (as windows.TrainingSet.inputs_train); with `fixed`
    (c,) (a member's index: `Forecasting.fixed`), those channels last on every day: (n, window, 1 + k + c)."""
    values = scaled[:, None] if extra is None else np.concatenate([scaled[:, None], extra], axis=1)  # (days, 1 + k)
    if fixed is not None:
        values = np.concatenate([values, np.broadcast_to(fixed, (len(values), len(fixed)))], axis=1)
    if not len(origins):
        return np.empty((0, window, values.shape[1]), dtype="float32")
    return np.stack([values[o - window + 1 : o + 1] for o in origins]).astype("float32")
