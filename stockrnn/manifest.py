"""Manifest: what a stored model version records about itself, typed, with its JSON form and load-time migration.

Input: what training measured (or a manifest.json as read). Output: a frozen `Manifest`, and its JSON dict in the
order people read it. Every reader uses the fields, never string keys; old manifests are migrated when loaded, as
`TrainConfig.from_dict` does for configs.

The JSON carries `schema_version` (SCHEMA_VERSION): the layout of manifest.json, not stockrnn's version. A manifest
without one was written before the number existed (the legacy layout, read as 0) and is migrated like any old one.
A manifest whose number is newer than SCHEMA_VERSION is refused: this stockrnn cannot know what it would misread.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .config import TrainConfig
from .errors import DataError, UsageError
from .metrics import ONE_STEP

OPTIONAL = (
    "synthetic",
    "date_format",
    "price_source",
    "ticker",
    "headers",
    "panel",
    "market",
)  # DataInfo fields written only when they have a value

# The layout of manifest.json. Raise it when a manifest that this version writes could be misread by an older
# stockrnn that ignores what it does not know: a field renamed, moved or given a new meaning or unit, or a new field
# that changes how the model must be loaded or its output read (a new target kind, scaler or file). Adding a field
# that older versions may safely ignore does not raise it. With each raise: a migration in `Manifest.from_dict`
# for the layout before, and a new model folder under tests/fixtures/models/ beside the old ones.
#   0  legacy: before the number existed (no schema_version key); migrated when read
#   1  today's layout: metrics keyed one_step/persistence, `interval` as intervals.calibrate makes it
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DataInfo:
    source: str  # the file path, "store SYMBOL (adjusted)" or the synthetic series' description
    kind: str  # "csv", "store" or "synthetic" (see validate.Prices)
    sha256: str  # fingerprint of the data: retrain trains nothing when it has not changed
    first_day: str  # the data's range, ISO dates
    last_day: str
    train_start: str  # the days training actually used
    train_end: str
    train_rows: int
    repairs: list[str] = field(default_factory=list)  # safe repairs validation made, with counts
    synthetic: dict | None = None  # the generator's parameters (kind "synthetic"), to make the series again
    date_format: str | None = None  # --date-format, to read the file again as it was read for training
    warnings: list[str] = field(default_factory=list)  # what looked wrong in the data (checks.py)
    # The price source as the command line gave it (PriceSource.to_json): symbol, file, date format, adjusted, strict;
    # None in manifests written before it was recorded (`kind`, `source` and `date_format` above still say it).
    price_source: dict | None = None
    ticker: str | None = None  # --ticker, to read again the one ticker it was trained on of a file of several
    # canonical column -> the file's own header (quantmod's "close": "AAPL.Close"): what the model learned, in the
    # file's words; None in manifests written before it was recorded
    headers: dict[str, str] | None = None
    # A global model's panel (kind "panel"; panel_train.py writes it): its members (each one's index, data range,
    # source, checksum, training days, validation scores and interval), the members left out and why, the shared
    # validation start, the features, the embedding's size and the PanelSource; None for a single symbol's model.
    panel: dict | None = None
    # --features ...,market: where the market's prices are read again to forecast and retrain (an absolute file
    # path, or a symbol), for a single symbol's model and a global model alike; None without.
    market: str | None = None


@dataclass(frozen=True)
class TrainingInfo:
    device: str  # "CPU:0" or "GPU:0"
    epochs_run: int
    best_epoch: int
    stopped_early: bool
    seconds: float
    train_windows: int
    val_windows: int
    val_start: str  # the validation tail, ISO dates
    val_end: str
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    backend: str = "tensorflow"  # the Keras backend it trained on (versions before the choice: TensorFlow)
    # Training windows between two validation checks (--validate-every); None: a pass over all of them, an epoch (as
    # in every manifest written before the option). epochs_run and best_epoch count checks.
    check_windows: int | None = None

    @property
    def unit(self) -> str:
        """What epochs_run and best_epoch count: "epoch" (a pass over every training window) or "check"."""
        return "epoch" if self.check_windows is None else "check"

    def run_words(self) -> str:
        """`39 epochs, best 29 (stopped early)`, or with checks more often than an epoch `25 checks of 1216 windows
        (0.42 passes), best 15 (stopped early)`."""
        done = f"{self.epochs_run} {self.unit}{'s' * (self.epochs_run != 1)}"
        if self.check_windows is not None:
            passes = self.epochs_run * self.check_windows / max(1, self.train_windows)
            done += f" of {self.check_windows} windows ({passes:.2f} passes)"
        return f"{done}, best {self.best_epoch}{' (stopped early)' if self.stopped_early else ''}"


@dataclass(frozen=True)
class Manifest:
    created: str  # ISO time, UTC
    config: TrainConfig
    data: DataInfo
    training: TrainingInfo
    # The validation tail's scores per method, typed by the target (metrics.Scores, trend.Chances): for a value
    # target {ONE_STEP: ..., PERSISTENCE: ...}.
    metrics: dict[str, Any]
    interval: dict[str, Any] | None  # the prediction interval's calibration (intervals.calibrate), plain JSON
    libraries: dict[str, str]  # name -> version
    symbol: str = ""  # set by the registry when the version is stored
    version: str = ""  # "v3"
    files: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256, checked before loading

    @property
    def keras_version(self) -> str:
        return self.libraries.get("keras", "")

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in dataclasses.asdict(self.data).items() if v is not None or k not in OPTIONAL}
        return {
            "schema_version": SCHEMA_VERSION,  # first, so that a reader (person or program) sees the layout first
            "created": self.created,
            "config": self.config.to_dict(),
            "data": data,
            "training": dataclasses.asdict(self.training),
            "metrics": {name: scores.to_dict() for name, scores in self.metrics.items()},
            "interval": self.interval,
            "libraries": self.libraries,
            **({"symbol": self.symbol, "version": self.version, "files": self.files} if self.version else {}),
        }

    @classmethod
    def from_dict(cls, raw: Any, where: str = "manifest") -> Manifest:
        """A manifest as read from JSON, migrated to today's form; a `DataError` that names `where` when it is not
        one, or one whose `schema_version` is newer than this stockrnn knows. Migrations (legacy layout): validation
        metrics keyed "model" (before one vocabulary) become ONE_STEP; the sorted absolute one-step errors of older
        versions (`abs_residuals`) become the "constant" interval they were."""
        from .targets import get  # here: the targets need numpy, which a manifest's other readers may not

        _check_schema(raw, where)
        try:
            metrics = dict(raw["metrics"])
            if "model" in metrics and ONE_STEP not in metrics:
                metrics = {ONE_STEP: metrics.pop("model"), **metrics}
            config = TrainConfig.from_dict(raw["config"])
            return cls(
                created=raw["created"],
                config=config,
                data=_known(DataInfo, raw["data"]),
                training=_known(TrainingInfo, raw["training"]),
                metrics=get(config.target).read_scores(metrics),
                interval=_interval(raw),
                libraries=dict(raw.get("libraries") or {}),
                symbol=raw.get("symbol", ""),
                version=raw.get("version", ""),
                files=dict(raw.get("files") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"{where}: not a stockrnn manifest ({type(exc).__name__}: {exc})") from None
        except UsageError as exc:  # the saved config's values, checked as the command line's are: bad data here
            raise DataError(f"{where}: the saved config is invalid ({exc})") from None

    def summary(self) -> dict[str, Any]:
        """The few facts a listing of versions shows: what it learned (`target`), on which days, and its validation
        score in its target's metric (`metric`: rmse, or brier for probabilities; lower is better) on its own
        validation tail (`val_start`..`val_end`: a score is comparable only with one on the same days), beside its
        target's baseline there (`skill`: 1 - score / the baseline's; above 0 the model did better). A global model's
        score is the one pooled over every member's validation days (`val_pooled`: its test and verdict), in units
        that do not depend on the price level (one-step log returns, probabilities)."""
        from . import shapes  # here, as the targets: they need numpy, which a manifest's other readers may not
        from .targets import get

        target = get(self.config.target)
        metric = target.promotion_metric
        scores, baseline = self.metrics.get(target.scored), self.metrics.get(target.baseline)
        score = getattr(scores, metric, None)
        against = getattr(baseline, metric, None)
        one_step = self.metrics.get(ONE_STEP)  # a value target's; a direction model has no RMSE
        tested = (self.data.panel or {}).get("pooled") or [None]
        pooled = tested[0]  # a global model's: its target's score and baseline over every member's days at once
        if pooled is not None:
            metric, score, against = pooled["score"].lower(), pooled["model_rmse"], pooled["baseline_rmse"]
        # a global model's validation windows are member-days; its days: the common validation days (each member's
        # validation is the same last days of the common training period, less the days a member lacks)
        members = (self.data.panel or {}).get("members") or {}
        days = max((m["val_windows"] for m in members.values()), default=0) or self.training.val_windows
        return {
            "created": self.created,
            "target": self.config.target,
            "shape": shapes.of(self.config).describe(),  # the network's output shape (shapes.py), in words
            "source": self.data.source,
            "train_start": self.data.train_start,
            "train_end": self.data.train_end,
            "last_day": self.data.last_day,
            "val_start": self.training.val_start,
            "val_end": self.training.val_end,
            "val_days": days,
            **({"val_member_days": self.training.val_windows} if self.data.kind == "panel" else {}),
            "metric": metric,
            "val_score": score,
            "baseline": target.baseline,
            "baseline_score": against,
            "skill": None if score is None or not against else 1 - score / against,
            "val_rmse": one_step.rmse if one_step else None,
            # a global model's score: pooled over its members' validation days (one-step log returns or P(up)),
            # with its test; None for a symbol's model, and for a global model trained before it was recorded
            "val_pooled": pooled,
            "epochs": self.training.epochs_run,
            "config": self.config.to_dict(),
        }


def _check_schema(raw: Any, where: str) -> None:
    """A `DataError` naming `where` unless `raw` is in a layout this stockrnn reads (see SCHEMA_VERSION)."""
    if not isinstance(raw, dict) or "schema_version" not in raw:
        return  # the legacy layout, or no manifest at all: from_dict's own checks say which
    found = raw["schema_version"]
    if isinstance(found, bool) or not isinstance(found, int) or found < 1:  # bool is an int to Python
        raise DataError(f"{where}: not a stockrnn manifest (schema_version {found!r} is not a whole number from 1)")
    if found > SCHEMA_VERSION:
        raise DataError(
            f"{where}: written by a newer stockrnn (manifest schema_version {found}; stockrnn {__version__} reads up "
            f"to {SCHEMA_VERSION}); upgrade stockrnn (pip install --upgrade stockrnn) to load it"
        )


def _known(kind: type, raw: dict) -> Any:
    """A dataclass from the keys it knows (a newer manifest may carry more)."""
    names = {f.name for f in dataclasses.fields(kind)}
    return kind(**{k: v for k, v in raw.items() if k in names})


def _interval(raw: dict) -> dict[str, Any] | None:
    if raw.get("interval") is not None:
        return dict(raw["interval"])
    residuals = raw.get("abs_residuals")
    return {"method": "constant", "scores": list(residuals)} if residuals else None
