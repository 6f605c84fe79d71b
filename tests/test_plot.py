"""Plot stage: a real image in the format its name asks for, written atomically, and no window; the backtest's
title and skill panel."""

import pytest

from stockrnn.app import plot as predict_and_plot
from stockrnn.errors import CannotWriteError, UsageError
from stockrnn.targets.panels import MIN_SKILL_RANGE, backtest_title, draw_skill, noise_band

PNG = b"\x89PNG\r\n\x1a\n"


def test_plot_with_actuals(sine_model, tmp_path):
    out = tmp_path / "plots" / "p.png"
    with pytest.raises(CannotWriteError, match="no folder .*plots"):  # a folder the user named must exist
        predict_and_plot("SINE", start="2017-01-03", days=10, out=out)
    out.parent.mkdir()
    result, path = predict_and_plot("SINE", start="2017-01-03", days=10, out=out)
    assert path == out
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 20_000
    assert result.metrics
    assert [p.name for p in out.parent.iterdir()] == ["p.png"]  # no temporary file left


def test_plot_default_path_under_home(sine_model, home):
    result, path = predict_and_plot("SINE", days=5)
    assert path == home.resolve() / "plots" / f"SINE_{result.origin:%Y-%m-%d}.png"
    assert path.read_bytes()[:8] == PNG


def test_unwritable_plot_exits_73(sine_model, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CannotWriteError) as caught:
        predict_and_plot("SINE", days=5, out=blocker / "p.png")
    assert caught.value.exit_code == 73


@pytest.mark.parametrize("name, head", [("p.pdf", b"%PDF"), ("p.svg", b"<?xml"), ("p.PNG", PNG), ("p", PNG)])
def test_a_plot_is_written_in_the_format_its_name_asks_for(sine_model, tmp_path, name, head):
    _, path = predict_and_plot("SINE", days=3, out=tmp_path / name)
    assert path.read_bytes()[: len(head)] == head


def test_a_suffix_matplotlib_cannot_write_is_refused_before_the_work(sine_model, tmp_path, monkeypatch):
    from stockrnn.app import forecast

    monkeypatch.setattr(forecast, "predict", lambda *a, **k: pytest.fail("the forecast ran before the check"))
    with pytest.raises(UsageError, match=r"cannot write a plot as p.docx: .docx is not an image format; use one of "
                                         r".*\.pdf.*\.png.*\.svg"):  # fmt: skip
        predict_and_plot("SINE", days=3, out=tmp_path / "p.docx")
    assert not (tmp_path / "p.docx").exists()


def skill_axes():
    from stockrnn.plot import _figure

    return _figure(6, 3).subplots()


def test_the_skill_panel_greys_out_noise_and_keeps_a_sane_range():
    import statistics

    ax = skill_axes()
    skills, p_values = [0.0075, -0.0135, -0.0026], [0.36, 0.20, None]
    draw_skill(ax, ["a", "b", "c"], skills, p_values, "persistence")
    low, high = ax.get_ylim()
    assert low <= -MIN_SKILL_RANGE and high >= MIN_SKILL_RANGE  # +-0.009 does not fill the panel
    bars = [p for p in ax.patches if p.get_height() != 0 or p.get_width() != 0][:3]
    assert {b.get_facecolor()[:3] for b in bars} == {(0.65, 0.65, 0.65)}  # none significant: all grey
    half = noise_band(skills)
    assert half == pytest.approx(2 * statistics.stdev(skills) / 3**0.5)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("noise: 0 +-2 standard errors") for label in labels)


def test_a_significant_fold_is_a_win_or_a_loss():
    from matplotlib.colors import to_rgb

    ax = skill_axes()
    draw_skill(ax, ["a", "b"], [0.3, -0.2], [0.001, 0.01], "the base rate")
    colors = [p.get_facecolor()[:3] for p in ax.patches[:2]]
    assert colors == [to_rgb("tab:green"), to_rgb("tab:red")]
    assert ax.get_ylim()[1] >= 0.3  # large skills are shown whole
    assert noise_band([0.3]) is None  # one fold has no spread to measure


def test_backtest_plots_name_the_symbol_and_the_period():
    from stockrnn import targets
    from stockrnn.plot import _figure

    metrics = {name: {"rmse": 1.0, "skill": 0.01, "test": {"p_value": 0.5}}
               for name in ("one_step", "persistence", "forecast", "naive")}  # fmt: skip
    folds = [{"fold": n, "cutoff": f"2020-0{n}-01", "start": f"2020-0{n}-02", "end": f"2020-0{n}-28",
              "metrics": metrics} for n in (1, 2)]  # fmt: skip
    report = {"symbol": "^GSPC", "folds": folds, "verdict": ["verdict: the model LOST"],
              "pooled": {"interval": {"level": 0.8, "forecast": None, "one_step": None}}}  # fmt: skip
    figure = _figure(11, 8)
    targets.get("price").draw_backtest(figure, report)
    title = figure.get_suptitle()
    assert title.startswith("^GSPC: walk-forward backtest of the forecasts, 2 folds scored 2020-01-02 to 2020-02-28")
    assert "the model LOST" in title
    assert backtest_title({**report, "symbol": None}, "P(up)").startswith("prices: walk-forward backtest of P(up)")
    shaped = backtest_title({**report, "shape": "direct, 5 days"}, "the forecasts")
    assert shaped.startswith("^GSPC: walk-forward backtest of the forecasts (direct, 5 days), 2 folds")
    assert backtest_title({**report, "shape": "many-to-one"}, "P(up)") == backtest_title(report, "P(up)")  # unsaid
