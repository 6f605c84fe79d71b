"""Metrics: each one against values worked out by hand."""

import numpy as np
import pytest

from stockrnn.metrics import drift_per_day, one_step_report, scores, skill


def test_scores_by_hand():
    actual = np.array([10.0, 12.0, 11.0, 13.0])
    predicted = np.array([11.0, 11.0, 12.0, 13.0])
    previous = np.array([9.0, 10.0, 12.0, 11.0])
    s = scores(actual, predicted, previous)
    # errors 1, -1, 1, 0: squares 1, 1, 1, 0
    assert s["rmse"] == pytest.approx(np.sqrt(3 / 4))
    assert s["mae"] == pytest.approx(3 / 4)
    assert s["mape"] == pytest.approx(100 * (1 / 10 + 1 / 12 + 1 / 11 + 0) / 4)
    # moves predicted: +2 +1 0 +2; actual: +1 +2 -1 +2 -> right, right, wrong, right
    assert s["direction_accuracy"] == pytest.approx(3 / 4)


def test_persistence_has_no_direction():
    actual = np.array([10.0, 11.0])
    previous = np.array([9.0, 10.0])
    assert scores(actual, previous, previous)["direction_accuracy"] is None


def test_skill_and_drift():
    assert skill(5.0, 10.0) == pytest.approx(0.5)
    assert skill(20.0, 10.0) == pytest.approx(-1.0)
    assert skill(1.0, 0.0) is None
    assert drift_per_day(np.array([10.0, 11.0, 13.0, 16.0])) == pytest.approx(2.0)


def test_one_step_report_skill_against_persistence():
    actual = np.array([10.0, 12.0, 14.0])
    previous = np.array([8.0, 10.0, 12.0])  # persistence misses by 2 every day
    report = one_step_report(actual, actual - 1, previous)  # the model misses by 1
    assert report["persistence"]["rmse"] == pytest.approx(2.0)
    assert report["one_step"]["skill"] == pytest.approx(0.5)


def test_verdict_says_who_won_and_by_how_much():
    from stockrnn.metrics import verdict

    assert (
        verdict(5.0, 10.0, "persistence", "Jan") == "verdict: the model BEAT persistence by 50% on Jan (RMSE 5 vs 10)"
    )
    assert verdict(27.07, 9.28, "persistence", "Jan") == (
        "verdict: the model LOST to persistence: 192% worse on Jan (RMSE 27.07 vs 9.28)"
    )
    for model in (33.04, 33.03, 33.1):  # within half a percent: no winner to name
        assert verdict(model, 33.04, "persistence", "Jan") == (
            f"verdict: the model TIED with persistence (less than 0.5% apart) on Jan (RMSE {model:.4g} vs 33.04)"
        )
    assert "BEAT persistence by 1%" in verdict(12.24, 12.31, "persistence", "Jan")  # 0.57%: the worked example


def test_conformal_half_width_and_coverage_by_hand():
    from stockrnn.metrics import conformal_half_width, coverage

    residuals = [0.5, 0.1, 0.4, 0.2, 0.3, 0.9, 0.8, 0.7, 0.6]  # n = 9
    assert conformal_half_width(residuals, 0.8) == pytest.approx(0.8)  # ceil(10 * 0.8) = 8th smallest
    assert conformal_half_width(residuals, 0.5) == pytest.approx(0.5)  # 5th smallest
    assert conformal_half_width(residuals, 0.95) is None  # needs the 10th of 9
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    assert coverage(actual, actual - 0.5, actual + 0.5) == 1.0
    assert coverage(actual, np.array([0.0, 2.5, 2.0, 4.0]), np.array([2.0, 3.0, 3.5, 4.0])) == 0.75
