"""Scaling: the affine maps a target fits on the training rows' values, stored as plain JSON.

Input: values (n,). Output: scaled float32 values (n,) and back; the parameters as a dict of plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError

# Each kind's parameters, as scaler.json holds them.
KEYS = {
    "minmax": ("kind", "feature_range", "data_min", "data_max"),
    "scale": ("kind", "scale"),
    "standard": ("kind", "mean", "scale"),
}


@dataclass(frozen=True)
class Scaler:
    """An affine map fitted on the training rows, described by plain JSON numbers (nothing that runs code when
    loaded): `minmax` maps [data_min, data_max] onto feature_range (scikit-learn's MinMaxScaler), `scale` divides by
    the deviation without centring (StandardScaler(with_mean=False)), `standard` subtracts the mean first
    (StandardScaler(): a panel's pooled scaler, --scaling pooled); a spread of 0 counts as 1, as theirs do.
    Two lines of arithmetic written here, not imported: scikit-learn's import alone is 1.5 s of every command that
    loads a model (tests/test_targets.py checks both against scikit-learn)."""

    params: dict

    def __post_init__(self) -> None:
        kind = self.params.get("kind")
        if kind not in KEYS:
            raise DataError(f"unknown scaler kind {kind!r}; retrain the model")

    @property
    def _affine(self) -> tuple[float, float, float]:
        """(offset, spread, low): scaled = (value - offset) / spread + low."""
        p = self.params
        if p["kind"] == "scale":
            return 0.0, p["scale"] or 1.0, 0.0
        if p["kind"] == "standard":
            return p["mean"], p["scale"] or 1.0, 0.0
        low, high = p["feature_range"]
        return p["data_min"], ((p["data_max"] - p["data_min"]) or 1.0) / (high - low), low

    @property
    def fitted_range(self) -> tuple[float, float] | None:
        """[data_min, data_max] of the training rows for `minmax`; None for `scale` and `standard`, which have no
        range (returns are the same at every price level)."""
        p = self.params
        return (float(p["data_min"]), float(p["data_max"])) if p["kind"] == "minmax" else None

    def transform(self, values: np.ndarray) -> np.ndarray:
        offset, spread, low = self._affine
        return (np.asarray(values, dtype="float64") - offset) / spread + low

    def inverse(self, values: np.ndarray) -> np.ndarray:
        offset, spread, low = self._affine
        return (np.asarray(values, dtype="float64") - low) * spread + offset


def scale(scaler: Scaler, values: np.ndarray) -> np.ndarray:
    """(n,) values -> (n,) scaled float32 values."""
    return scaler.transform(values).astype("float32")


def unscale(scaler: Scaler, values: np.ndarray) -> np.ndarray:
    """(n,) scaled values -> (n,) values (float64)."""
    return scaler.inverse(np.ravel(values))


def scaler_to_dict(scaler: Scaler) -> dict:
    """The fitted parameters as plain JSON numbers."""
    return dict(scaler.params)


def scaler_from_dict(params: dict) -> Scaler:
    """The scaler that `scaler_to_dict` described (its other keys, e.g. a calibrator, ignored)."""
    kind = params.get("kind")
    return Scaler({k: params[k] for k in KEYS[kind]} if kind in KEYS else {"kind": kind})
