"""The Diebold-Mariano test (HLN-corrected) against hand-worked examples, and the verdicts it backs."""

import numpy as np
import pytest

from stockrnn.significance import ALPHA, Comparison, DMTest, compare, diebold_mariano


def t4_cdf(t: float) -> float:
    """Student's t with 4 degrees of freedom in closed form (no scipy): the reference for n = 5 below."""
    u = t * t / 4
    return 0.5 + 0.375 * t / np.sqrt(1 + u) * (1 - u / (1 + u) / 3)


def test_one_step_by_hand():
    # d = [3, -1, 2, 0, 1]: mean 1, deviations [2, -2, 1, -1, 0], gamma_0 = 10 / 5 = 2, V / n = 0.4,
    # DM = 1 / sqrt(0.4) = 1.5811; HLN factor sqrt((5 + 1 - 2) / 5) = sqrt(0.8): DM* = sqrt(2) = 1.41421.
    # p = 2 (1 - F_t4(sqrt 2)) = 2 (1 - 0.884901) = 0.230199.
    test = diebold_mariano(np.array([3.0, -1, 2, 0, 1]), np.zeros(5), h=1)
    assert test.statistic == pytest.approx(np.sqrt(2))
    assert test.p_value == pytest.approx(2 * (1 - t4_cdf(np.sqrt(2))))
    assert test.p_value == pytest.approx(0.230199, abs=1e-6)
    assert (test.n, test.lags) == (5, 0)


def test_two_steps_ahead_by_hand():
    # d = [0, 1, 3, 4, 2]: mean 2, deviations [-2, -1, 1, 2, 0]; gamma_0 = 10 / 5 = 2,
    # gamma_1 = ((-1)(-2) + (1)(-1) + (2)(1) + (0)(2)) / 5 = 0.6; V = 2 + 2 * 0.6 = 3.2, V / n = 0.64, DM = 2.5;
    # HLN factor sqrt((5 + 1 - 4 + 2 / 5) / 5) = sqrt(0.48): DM* = sqrt(3) = 1.73205, p = 0.158302.
    test = diebold_mariano(np.array([0.0, 1, 3, 4, 2]), np.zeros(5), h=2)
    assert test.statistic == pytest.approx(np.sqrt(3))
    assert test.p_value == pytest.approx(0.158302, abs=1e-6)
    assert test.lags == 1


def test_the_sign_says_which_is_better_and_the_test_is_symmetric():
    a, b = np.array([1.0, 4, 2, 5, 3, 2]), np.array([2.0, 3, 1, 1, 2, 1])
    forward, backward = diebold_mariano(a, b), diebold_mariano(b, a)
    assert forward.statistic == pytest.approx(-backward.statistic) and forward.statistic > 0
    assert forward.p_value == pytest.approx(backward.p_value)


def test_what_cannot_be_decided_has_no_p_value():
    assert diebold_mariano(np.array([1.0]), np.array([0.0])).reason == "1 day: too few to test"
    one_path = diebold_mariano(np.arange(20.0), np.zeros(20), h=20)  # one 20-day path is one observation
    assert one_path.p_value is None and "too few to test" in one_path.reason
    assert diebold_mariano(np.ones(4), np.ones(4)).p_value == 1.0  # the same losses every day


def test_a_real_edge_is_significant_and_noise_is_not():
    rng = np.random.default_rng(7)
    actual = np.cumsum(rng.normal(size=500))
    good, bad = actual + rng.normal(0, 0.5, 500), actual + rng.normal(0, 1.0, 500)
    clear = compare(actual, good, bad, "the other", "a window")
    assert clear.significant and clear.outcome == "beat" and clear.test.p_value < 1e-6
    twin = actual + rng.normal(0, 1.0, 500)  # as good as `bad`, by construction
    noise = compare(actual, twin, bad, "the other", "a window")
    assert noise.outcome == "no significant difference"
    # Under the null, p-values are uniform: about ALPHA of 200 equal pairs are called significant, not more.
    calls = sum(
        compare(actual, actual + rng.normal(0, 1, 500), actual + rng.normal(0, 1, 500), "b", "w").significant
        for _ in range(200)
    )
    assert calls <= 2 * ALPHA * 200


def test_verdict_words_state_the_evidence():
    beat = Comparison("persistence", "Jan", 5.0, 10.0, DMTest(-3.0, 0.004, 120, 0))
    assert beat.line() == (
        "verdict: the model BEAT persistence by 50% on Jan, significant at 5% (DM p = 0.00, 120 days; RMSE 5 vs 10)"
    )
    lost = Comparison("persistence", "Jan", 27.07, 9.28, DMTest(4.0, 0.01, 20, 0))
    assert lost.line().startswith("verdict: the model LOST to persistence, 192% worse on Jan, significant at 5%")
    unsure = Comparison("persistence", "Jan", 7.501, 7.516, DMTest(-0.5, 0.62, 120, 0))
    assert unsure.line() == (
        "verdict: no significant difference between the model and persistence on Jan "
        "(DM p = 0.62, 120 days; RMSE 7.501 vs 7.516, less than 0.5% apart)"
    )
    assert unsure.outcome == "no significant difference" and not unsure.significant
    bigger = Comparison("persistence", "Jan", 9.0, 10.0, DMTest(-1.2, 0.24, 20, 0))
    assert "(DM p = 0.24, 20 days; RMSE 9 vs 10, 10% better)" in bigger.line()  # a big edge on few days: not BEAT
    untested = Comparison("the naive forecast", "Jan", 30.0, 40.0, DMTest(None, None, 20, 19, "too few to test"))
    assert untested.outcome == "untested" and not untested.significant
    assert untested.line() == (
        "verdict: not tested (one 20-day forecast path is a single observation): the model against the naive "
        "forecast on Jan (RMSE 30 vs 40, 25% better, not a tested difference)"
    )
    assert "no significant difference" not in untested.line()
    data = beat.to_dict()
    assert (data["test"], data["p_value"], data["n"], data["outcome"]) == ("Diebold-Mariano (HLN)", 0.004, 120, "beat")


def test_stored_scores_rebuild_the_same_comparison():
    actual = np.array([10.0, 11, 12, 11, 13, 12, 14])
    from stockrnn.metrics import Scores, one_step_report

    report = one_step_report(actual, actual + np.array([0.5, -0.2, 0.1, 0.3, -0.4, 0.2, 0.1]), actual - 1)
    rebuilt = Comparison.from_scores(report["one_step"], report["persistence"], "persistence", "w")
    direct = compare(actual, actual + np.array([0.5, -0.2, 0.1, 0.3, -0.4, 0.2, 0.1]), actual - 1, "persistence", "w")
    assert rebuilt.test.p_value == pytest.approx(direct.test.p_value, abs=1e-4) and rebuilt.outcome == "beat"
    old = Comparison.from_scores(Scores.from_dict({"rmse": 1.0}), Scores.from_dict({"rmse": 2.0}), "persistence", "w")
    # saved before the test existed
    assert old.outcome == "untested" and "not tested when these scores were recorded" in old.line()


def test_untested_says_why_in_plain_words_and_keeps_the_jargon_in_the_json():
    few = compare(np.array([1.0]), np.array([1.5]), np.array([1.2]), "persistence", "one day")
    assert few.outcome == "untested" and few.test.why_untested == "too few days (n=1)"
    assert few.line().startswith("verdict: not tested (too few days (n=1)): the model against persistence on one day")
    # a constant-looking loss difference with lags: the long-run variance is not positive
    flat = diebold_mariano(np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0]), np.zeros(6), h=2)
    assert flat.p_value is None and "long-run variance" in flat.reason
    assert flat.why_untested == "too few days (n=6)"
    versus = Comparison("persistence", "w", 1.0, 2.0, flat)
    assert "variance" not in versus.line() and "variance" in versus.to_dict()["reason"]
    assert versus.to_dict()["outcome"] == "untested"
    assert versus.summary() == "not tested against persistence: too few days (n=6)"
    forecasts = DMTest(None, None, 3, 2, "3 forecasts with 2 lags are too few to test", "forecast")
    assert forecasts.why_untested == "too few forecasts (n=3)"
    assert DMTest(0.1, 0.5, 20, 0).why_untested is None


def test_a_recorded_comparison_still_reads_without_the_new_outcome():
    """A verdict recorded before "untested" existed (outcome "no significant difference", p_value None) keeps its
    words in its record; its test, read again, is untested now."""
    reason = "one 20-day forecast path is a single observation: too few to test"
    recorded = {"test": "Diebold-Mariano (HLN)", "statistic": None, "p_value": None, "n": 20, "lags": 19,
                "reason": reason, "unit": "day"}  # fmt: skip
    test = DMTest.from_dict(recorded)
    assert test.untested and test.why_untested == "one 20-day forecast path is a single observation"
    assert Comparison("the naive forecast", "w", 2.0, 1.0, test).outcome == "untested"


def test_summaries_name_the_outcome_in_few_words():
    assert Comparison("persistence", "w", 5.0, 10.0, DMTest(-3.0, 0.004, 120, 0)).summary() == (
        "BEAT persistence by 50% (DM p = 0.00, 120 days)"
    )
    assert Comparison("persistence", "w", 15.0, 10.0, DMTest(3.0, 0.01, 120, 0)).summary() == (
        "LOST to persistence, 50% worse (DM p = 0.01, 120 days)"
    )
    assert Comparison("persistence", "w", 9.9, 10.0, DMTest(-0.3, 0.4, 120, 0)).summary() == (
        "no significant difference from persistence (DM p = 0.40, 120 days)"
    )


def test_an_in_sample_verdict_says_so_first_and_in_its_record():
    unsure = Comparison("persistence", "Jan", 7.5, 7.6, DMTest(-0.5, 0.62, 120, 0), in_sample="in-sample")
    assert unsure.line().startswith("verdict (in-sample, not evidence): no significant difference")
    assert unsure.to_dict()["in_sample"] == "in-sample"
    assert "in_sample" not in Comparison("persistence", "Jan", 7.5, 7.6, DMTest(-0.5, 0.62, 120, 0)).to_dict()
