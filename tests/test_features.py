"""Past covariates: each feature of day t reads nothing after t; scaled on training rows only; (n, window, k)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stockrnn.errors import DataError, UsageError
from stockrnn.features import FEATURES, FeatureScaler, covariates, covers, feature_windows, parse_features

DAYS = pd.bdate_range("2020-01-02", periods=80, name="date")


def ohlcv(seed: int = 0, days: pd.DatetimeIndex = DAYS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(len(days))))
    return pd.DataFrame(
        {"open": close * 0.999, "high": close * (1.01 + 0.01 * rng.random(len(days))), "low": close * 0.985,
         "close": close, "volume": rng.integers(0, 10_000, len(days)).astype("float64")},
        index=days,
    )  # fmt: skip


def market(seed: int = 1) -> pd.Series:
    """A market series on its own calendar: a day before the members' first, and one member day missing."""
    days = pd.bdate_range("2019-12-30", "2020-06-30").delete(10)
    return pd.Series(3000 * np.exp(np.cumsum(0.01 * np.random.default_rng(seed).standard_normal(len(days)))), days)


@pytest.mark.parametrize("name", FEATURES)
@pytest.mark.parametrize("cut", [5, 40, 78])
def test_no_feature_of_day_t_uses_data_after_t(name, cut):
    """Every row after day `cut` (every column, and the market's) replaced by other data: day `cut` and before keep
    their features exactly."""
    frame, index = ohlcv(), market()
    later = DAYS[cut]
    changed = frame.copy()
    changed.iloc[cut + 1 :] = ohlcv(seed=9).iloc[cut + 1 :].to_numpy() * 1.7
    other = index.copy()
    other[other.index > later] = market(seed=5)[other.index > later] * 0.5
    before = covariates(frame, (name,), index)
    after = covariates(changed, (name,), other)
    assert not before.loc[later:].iloc[1:].equals(after.loc[later:].iloc[1:])  # the change reached the later days
    pd.testing.assert_frame_equal(before.loc[:later], after.loc[:later])


def test_each_feature_is_what_it_says():
    frame, index = ohlcv(), market()
    table = covariates(frame, ("range", "return", "volume", "market"), index)
    assert list(table.columns) == ["range", "return", "volume", "market"]  # (days, k) in the order asked
    day, before = DAYS[5], DAYS[4]
    assert table.loc[day, "return"] == pytest.approx(np.log(frame.loc[day, "close"] / frame.loc[before, "close"]))
    assert table.loc[day, "volume"] == pytest.approx(
        np.log((frame.loc[day, "volume"] + 1) / (frame.loc[before, "volume"] + 1))
    )
    assert table.loc[day, "range"] == pytest.approx(
        (frame.loc[day, "high"] - frame.loc[day, "low"]) / frame.loc[day, "close"]
    )
    # the market's return from its own previous session; its first member day has one (the market starts earlier)
    assert table.loc[DAYS[0], "market"] == pytest.approx(np.log(index[DAYS[0]] / index.loc[: DAYS[0]].iloc[-2]))
    missing = index.index.symmetric_difference(pd.bdate_range("2019-12-30", "2020-06-30"))[0]
    assert np.isnan(table.loc[missing, "market"]) and table["market"].isna().sum() == 1  # the day it lacks
    assert np.isnan(table.loc[DAYS[0], "return"])  # no day before the first


def test_the_scaler_sees_training_rows_only():
    frame = ohlcv()
    end = DAYS[49]
    table = covariates(frame, ("return", "range"))
    scaler = FeatureScaler.fit(table, end)
    changed = frame.copy()
    changed.iloc[50:] *= 3.0
    changed.iloc[50:, changed.columns.get_loc("high")] *= 2.0
    assert FeatureScaler.fit(covariates(changed, ("return", "range")), end) == scaler
    scaled = scaler.transform(table)  # (days, k)
    assert scaled.shape == (80, 2) and scaled.dtype == np.float32
    train = scaled[:50]  # the training rows (the first day's return is NaN, ignored)
    assert np.nanmean(train, axis=0) == pytest.approx([0, 0], abs=1e-5)
    assert np.nanstd(train[:, 1]) == pytest.approx(1, abs=1e-4)
    assert scaler.to_json()["names"] == ["return", "range"]
    constant = covariates(frame.assign(high=frame["close"] * 1.01, low=frame["close"] * 0.99), ("range",))
    assert FeatureScaler.fit(constant, end).transform(constant) == pytest.approx(np.zeros((80, 1)), abs=1e-6)
    with pytest.raises(DataError, match="feature 'return' has no value up to the training end 2020-01-02"):
        FeatureScaler.fit(table, DAYS[0])


def test_windows_are_n_window_k():
    values = np.arange(30, dtype="float64").reshape(10, 3)  # (days, k)
    values[6, 1] = np.nan
    windows = feature_windows(values, DAYS[:10], 4)
    assert windows.x.shape == (7, 4, 3)
    assert (windows.x[2] == values[2:6]).all()  # window i: rows i..i+window-1, its last day ends[i]
    assert windows.ends[2] == DAYS[5] and len(windows.ends) == 7
    assert windows.complete.tolist() == [True, True, True, False, False, False, False]  # the NaN of day 6
    with pytest.raises(DataError, match="3 days of features make no window of 4 days"):
        feature_windows(values[:3], DAYS[:3], 4)


def test_what_a_feature_needs_and_bad_names():
    frame = ohlcv().assign(volume=np.nan)
    with pytest.raises(DataError, match="f.csv: feature 'volume' needs 'volume' prices"):
        covariates(frame, ("volume",), where="f.csv")
    with pytest.raises(DataError, match="feature 'market' needs a market series"):
        covariates(frame, ("market",))
    assert parse_features(" Return,range ") == ("return", "range")
    for text, why in (("return,beta", "unknown 'beta'"), ("return,return", "repeated"), (",", "empty")):
        with pytest.raises(UsageError, match=f"--features '{text}': {why}; use a comma-separated list of return"):
            parse_features(text)


def test_a_market_that_does_not_cover_the_training_period():
    index = market()
    covers(index, DAYS[0], DAYS[-1], "gspc.csv")  # covers it: nothing raised
    with pytest.raises(DataError, match="gspc.csv: the market series covers 2019-12-30 to 2020-06-30, not the "
                                        "training period 2019-12-02 to 2020-04-22"):  # fmt: skip
        covers(index, pd.Timestamp("2019-12-02"), DAYS[-1], "gspc.csv")
