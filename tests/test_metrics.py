"""Metrics: each one against values worked out by hand."""

import numpy as np
import pytest

from stockrnn.baselines import Drift
from stockrnn.metrics import one_step_report, scores, skill


def test_scores_by_hand():
    actual = np.array([10.0, 12.0, 11.0, 13.0])
    predicted = np.array([11.0, 11.0, 12.0, 13.0])
    previous = np.array([9.0, 10.0, 12.0, 11.0])
    s = scores(actual, predicted, previous)
    # errors 1, -1, 1, 0: squares 1, 1, 1, 0
    assert s.rmse == pytest.approx(np.sqrt(3 / 4))
    assert s.mae == pytest.approx(3 / 4)
    assert s.mape == pytest.approx(100 * (1 / 10 + 1 / 12 + 1 / 11 + 0) / 4)
    # moves predicted: +2 +1 0 +2; actual: +1 +2 -1 +2 -> right, right, wrong, right
    assert s.direction_accuracy == pytest.approx(3 / 4)


def test_persistence_has_no_direction():
    actual = np.array([10.0, 11.0])
    previous = np.array([9.0, 10.0])
    assert scores(actual, previous, previous).direction_accuracy is None


def test_skill_and_drift():
    assert skill(5.0, 10.0) == pytest.approx(0.5)
    assert skill(20.0, 10.0) == pytest.approx(-1.0)
    assert skill(1.0, 0.0) is None
    assert Drift.fit(np.array([10.0, 11.0, 13.0, 16.0])).per_day == pytest.approx(2.0)


def test_one_step_report_skill_against_persistence():
    actual = np.array([10.0, 12.0, 14.0])
    previous = np.array([8.0, 10.0, 12.0])  # persistence misses by 2 every day
    report = one_step_report(actual, actual - 1, previous)  # the model misses by 1
    assert report["persistence"].rmse == pytest.approx(2.0)
    assert report["one_step"].skill == pytest.approx(0.5)
    test = report["one_step"].test.to_dict()  # d = 1 - 4 = -3 every day: no variance, and no doubt
    assert test["test"] == "Diebold-Mariano (HLN)" and test["n"] == 3 and test["p_value"] == 0.0


def test_coverage_by_hand():
    from stockrnn.metrics import coverage

    actual = np.array([1.0, 2.0, 3.0, 4.0])
    assert coverage(actual, actual - 0.5, actual + 0.5) == 1.0
    assert coverage(actual, np.array([0.0, 2.5, 2.0, 4.0]), np.array([2.0, 3.0, 3.5, 4.0])) == 0.75
