"""Every command with a model of each output shape (shapes.py): a tiny direct head, a tiny encoder-decoder and a
tiny many-to-many (--sequence-loss) model through train, predict, plot, models, backtest (with --strategy
long-flat), signal, track and retrain; the shape said where a user reads the forecast."""

import json

import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from stockrnn import app as api
from stockrnn.cli import app

from .conftest import price_frame, sine_prices, tiny_args

runner = CliRunner()
DAYS, H = 8, 5  # forecast days, and the multi-day heads' outputs: a path longer than the head
SHAPES = {  # options, what the shape is called, how its path is made
    "direct": (["--output", "direct", "--output-days", str(H)], f"direct, {H} days", "direct"),
    "encoder-decoder": (
        ["--output", "encoder-decoder", "--output-days", str(H)],
        f"encoder-decoder, {H} days",
        "encoder-decoder",
    ),
    "sequence-loss": (["--sequence-loss"], "many-to-many training", "recursive"),
}


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_every_command_takes_a_model_of_each_shape(shape, home, tmp_path):
    options, name, words = SHAPES[shape]
    frame = price_frame(sine_prices(400, noise=0.3))
    walk = tmp_path / "walk.csv"
    frame.iloc[:370].to_csv(walk, index=False)
    tiny = tiny_args(epochs=2)
    trained = " ".join(run("train", "--csv", str(walk), "--symbol", "WAVE", *tiny, *options).stdout.split())
    assert trained.startswith(f"trained WAVE v1 ({name}) on ")  # the summary line names a non-default shape

    data = json.loads(run("predict", "WAVE", "--days", str(DAYS), "--json").stdout)  # a real forecast: recorded
    assert (data["shape"], data["path"], len(data["rows"])) == (name, words, DAYS)
    if shape == "sequence-loss":
        assert data["path_note"] is None  # a recursive path has nothing more to say
    else:  # --output-days shorter than --days is said
        assert data["path_note"] == (f"the network outputs {H} days at once (--output-days {H}); days {H + 1} to "
                                     f"{DAYS} continue from its outputs, {H} at a time")  # fmt: skip
    text = " ".join(run("predict", "WAVE", "--days", str(DAYS)).stdout.split())
    assert f"(model v1, {name})" in text  # the title says the shape
    scored = " ".join(run("predict", "WAVE", "--start", "2016-05-02", "--days", str(DAYS)).stdout.split())
    continued = "" if shape == "sequence-loss" else f" for {H} days, then continued from its outputs"
    assert f"forecast: model, {words} from the origin{continued} (" in scored  # how the scored path was made
    result = api.predict("WAVE", start="2016-05-02", days=DAYS)
    header = "recursive" if shape == "sequence-loss" else f"{words}, then continued"
    assert result.render()[0].columns[1].header == f"forecast\n({header}, in-sample)"  # the column says it too
    figure = Figure()
    result.draw(figure)
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    marks = [t for t in legend if t.startswith("the network's last output")]
    assert marks == ([] if shape == "sequence-loss" else [f"the network's last output, day {H} (2016-05-06); "
                                                          "later days continue from it"])  # fmt: skip
    assert f"(model v1, {name})" in figure.get_suptitle()  # the shape in the plot's title
    assert (data["path_note"] or "") in text
    out = tmp_path / "wave.png"
    run("plot", "WAVE", "--days", str(DAYS), "--out", str(out))
    assert out.stat().st_size > 0
    listed = json.loads(run("models", "WAVE", "--json").stdout)["WAVE"]
    assert [v["shape"] for v in listed] == [name]

    backtest = ["backtest", "--csv", str(walk), "--symbol", "WAVE", "--folds", "2", "--horizon", str(DAYS), *tiny]
    report = json.loads(run(*backtest, *options, "--json").stdout)
    assert (report["shape"], report["path"], report["path_note"]) == (name, words, data["path_note"])  # predict's
    assert report["pooled"]["path"] == words
    assert report["pooled"]["comparisons"][1]["window"].endswith(f"{words} forecast")
    assert report["pooled"]["comparisons"][1]["lags"] == DAYS - 1  # the H-day paths overlap: H - 1 lags
    steps = report["pooled"]["interval"]["forecast"]["step_coverage"]  # the band's coverage per step, over folds
    assert len(steps) == DAYS and all(c in (0.0, 0.5, 1.0) for c in steps)  # 2 folds: 0, 1 or 2 of 2 inside
    text = " ".join(run(*backtest, *options).stdout.split())
    assert (data["path_note"] or "") in text  # the continuation past the head, as predict says it
    assert f"the {words} path vs naive" in text and f"coverage per step after the cut-off (h = 1..{DAYS})" in text
    strategy = json.loads(run(*backtest, *options, "--strategy", "long-flat", "--json").stdout)
    assert strategy["pooled"]["path"] == words

    assert json.loads(run("signal", "WAVE", "--json").stdout)
    frame.iloc[:385].to_csv(walk, index=False)  # the recorded forecast's days pass
    tracks = json.loads(run("track", "WAVE", "--json", "--offline").stdout)["tracks"]
    whole = tracks[0]
    assert (whole["forecasts"], whole["matured"], whole["steps"]) == (1, 1, DAYS)  # each step a forecast of its day
    run("retrain", "WAVE", "--force", "--holdout", "10")
    assert [v["shape"] for v in json.loads(run("models", "WAVE", "--json").stdout)["WAVE"]] == [name, name]


@pytest.mark.slow
def test_a_multi_day_band_on_a_short_validation_tail_is_warned_by_train_and_predict(home, tmp_path, caplog):
    short = tmp_path / "short.csv"
    price_frame(sine_prices(120, noise=0.3)).to_csv(short, index=False)  # about 10 validation origins
    options = ["--output", "direct", "--output-days", str(H)]
    thin = "validation origins per step (fewer than 20)"
    with caplog.at_level("WARNING", logger="stockrnn"):
        trained = json.loads(
            run("train", "--csv", str(short), "--symbol", "SHORT", *tiny_args(), *options, "--json").stdout
        )
        assert any(thin in w for w in trained["warnings"])  # said, and kept in the JSON a script reads
        assert trained["shape"] == f"direct, {H} days"  # as predict's JSON says it
        assert sum(thin in r.getMessage() for r in caplog.records) == 1
        caplog.clear()
        run("predict", "SHORT", "--days", "3")
        assert [r.getMessage() for r in caplog.records if thin in r.getMessage()] == [
            w for w in trained["warnings"] if thin in w
        ]  # predict repeats it from the stored calibration
    caplog.clear()
    with caplog.at_level("WARNING", logger="stockrnn"):
        plain = run("train", "--csv", str(short), "--symbol", "PLAIN", *tiny_args())  # the band: the h-day moves
        assert plain.stdout.startswith("trained PLAIN v1 on ")  # the default shape goes unsaid
        assert not any(thin in r.getMessage() for r in caplog.records)
