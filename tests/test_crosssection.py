"""Cross-sectional classes: above or below the day's median of the members present, ties, absent members, thin days;
and the accuracy of scores against them."""

import numpy as np
import pandas as pd
import pytest

from stockrnn.crosssection import accuracy, next_returns, rank_labels

DAYS = pd.bdate_range("2024-01-01", periods=4)
NAN = np.nan


def test_rank_labels_by_hand():
    returns = pd.DataFrame(
        {
            "A": [0.03, 0.01, NAN, 0.02],
            "B": [-0.01, 0.01, 0.05, NAN],
            "C": [0.00, 0.01, -0.02, NAN],
            "D": [0.02, NAN, 0.01, NAN],
        },
        index=DAYS,
    )
    before = returns.copy()
    labels = rank_labels(returns)
    # Day 1: four present, median of (-0.01, 0, 0.02, 0.03) = 0.01: A and D above, B and C below: half each.
    # Day 2: three present, all 0.01 = the median: none is above, all 0 (ties count as "not above").
    # Day 3: three present (-0.02, 0.01, 0.05), median 0.01: B above; D equals the median, 0; C below; A absent.
    # Day 4: one member present: no median to be above, NaN for all.
    expected = pd.DataFrame(
        {"A": [1.0, 0.0, NAN, NAN], "B": [0.0, 0.0, 1.0, NAN], "C": [0.0, 0.0, 0.0, NAN], "D": [1.0, NAN, 0.0, NAN]},
        index=DAYS,
    )
    pd.testing.assert_frame_equal(labels, expected)
    pd.testing.assert_frame_equal(returns, before)  # the input is not changed


def test_half_the_members_are_class_one_on_an_even_day_and_fewer_on_an_odd_one():
    rng = np.random.default_rng(1)
    even = rank_labels(pd.DataFrame(rng.normal(size=(50, 10))))
    odd = rank_labels(pd.DataFrame(rng.normal(size=(50, 11))))
    assert (even.sum(axis=1) == 5).all() and (odd.sum(axis=1) == 5).all()  # floor(11 / 2)


def test_next_returns_sit_at_the_row_of_the_first_close():
    closes = pd.DataFrame({"A": [100, 110, 99.0], "B": [10, NAN, 12.0]}, index=DAYS[:3])
    found = next_returns(closes)
    assert found["A"].iloc[:2].tolist() == pytest.approx([0.1, -0.1]) and np.isnan(found["A"].iloc[2])
    assert found["B"].isna().all()  # a missing close on either side: no return


def test_accuracy_counts_the_cells_with_both_a_score_and_a_class():
    labels = pd.DataFrame({"A": [1.0, 0.0, 1.0], "B": [0.0, 1.0, NAN], "C": [1.0, 0.0, 0.0]}, index=DAYS[:3])
    scores = pd.DataFrame({"A": [0.9, 0.2, 0.9], "B": [0.1, 0.1, 0.5], "C": [0.3, 0.8, 0.1]}, index=DAYS[:3])
    # The scores' classes: day 1 (median 0.3): A 1, B 0, C 0; day 2 (median 0.2): A 0, B 0, C 1; day 3 (median 0.5):
    # A 1, B 0, C 0. Against the labels: day 1 A, B right, C wrong; day 2 A right, B, C wrong; day 3 A, C right
    # (B has no label): 5 of 8.
    found = accuracy(scores, labels)
    assert (found.share, found.n) == (pytest.approx(5 / 8), 8)
    assert accuracy(scores.iloc[:0], labels).share is None
