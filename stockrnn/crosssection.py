"""Cross-section stage: a panel's returns become the classes a ranking model learns, and its scores are checked
against them.

Input: a (days, members) frame of returns or scores, NaN where a member is absent (outside its history, a day it
lacks). Output: (days, members) classes, 1.0 above the day's cross-sectional median and 0.0 otherwise, NaN where
absent (`rank_labels`), and the share of classes a model's scores get right (`accuracy`).

The classes are Fischer and Krauss's (2018, "Deep learning with long short-term memory networks for financial market
predictions", European Journal of Operational Research 270(2), 654-669, section 3.2): a member is in class 1 on day t
when its return over the next day is above the median of that day's members' returns, 0 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_MEMBERS = 2  # members present that a day needs to have a median to be above or below
# What `accuracy` measures, in the words the JSON and the views use ("ranked accuracy"): not a threshold on P.
RANKED_ACCURACY = (
    "each day, the members in the top half by score called class 1 (above the day's median next-day return), the "
    "rest class 0, against their classes, over every member-day with both: 50% by chance, whatever the calibration"
)


def rank_labels(returns: pd.DataFrame) -> pd.DataFrame:
    """Each member's class on each day: 1.0 where its value is above the median of the members present that day,
    0.0 where it is not, NaN where it is absent (NaN in `returns`) and on a day with fewer than 2 members present.

    `returns`: (days, members), row t the return each member makes over the day after t (the caller aligns it: the
    next close's return for Fischer and Krauss), log or simple alike (the order is the same). Ties: a member equal
    to the median is 0.0, Fischer and Krauss's "0 otherwise"; so on a day with an odd count of members the middle
    one is 0.0 and class 1 holds floor(n / 2) members, exactly half when n is even; members tied across the median
    (all equal) are all 0.0. Infinite values rank as the largest and smallest. Returns a new frame of the same
    index and columns; the input is not changed."""
    values = returns.to_numpy(dtype="float64")  # (days, members)
    present = ~np.isnan(values)
    enough = present.sum(axis=1) >= MIN_MEMBERS  # (days,)
    median = np.full(len(values), np.nan)
    if enough.any():
        median[enough] = np.nanmedian(values[enough], axis=1)
    above = (values > median[:, None]).astype("float64")
    labels = np.where(present & enough[:, None], above, np.nan)
    return pd.DataFrame(labels, index=returns.index, columns=returns.columns)


@dataclass(frozen=True)
class Accuracy:
    """The share of (day, member) classes that a model's scores get right, over `n` cells with both a score and a
    class; `share` None when there are none. The cells of a day are not independent (half of them are 1 by
    construction), so no p-value is given here: the portfolio's returns carry the verdict."""

    share: float | None
    n: int

    def to_dict(self) -> dict[str, float | int | None]:
        return {"share": self.share, "n": self.n}


def accuracy(scores: pd.DataFrame, labels: pd.DataFrame) -> Accuracy:
    """How often the classes the scores say (`rank_labels(scores)`: above that day's median score) are the classes
    `labels` holds (`rank_labels` of the returns). `scores` and `labels`: (days, members) frames, aligned on their
    common days and members; cells where either is NaN are left out."""
    said = rank_labels(scores)
    said, truth = said.align(labels, join="inner")
    both = said.notna().to_numpy() & truth.notna().to_numpy()
    n = int(both.sum())
    if n == 0:
        return Accuracy(None, 0)
    return Accuracy(float(np.mean(said.to_numpy()[both] == truth.to_numpy()[both])), n)


def next_returns(closes: pd.DataFrame) -> pd.DataFrame:
    """(days, members) simple returns from each close to the member's next row's close on the calendar, at the row
    of the first close: NaN where either close is missing, and on the last day."""
    return closes.shift(-1) / closes - 1
