"""The lecture case end to end on the bundled S&P 500, with a tiny model: train on 2012-2016, predict January 2017."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stockrnn.cli import app

from .conftest import SP500, tiny_args

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("options", [[], ["--sequence-loss"]], ids=["many-to-one", "sequence-loss"])
def test_lecture_protocol(options, home, tmp_path):
    """Today's many-to-one network, and the lecture's many-to-many training (every step in the loss) beside it."""
    runner = CliRunner()
    lecture = ["--csv", str(SP500), "--symbol", "^GSPC", "--train-start", "2012-01-01", "--train-end", "2016-12-30"]
    tiny = tiny_args(target="return", window=60, epochs=2)  # the default target and window, a tiny network
    train = runner.invoke(app, ["train", *lecture, *tiny, *options, "--json"])
    assert train.exit_code == 0, train.output
    manifest = json.loads(train.stdout)
    assert (manifest["data"]["train_start"], manifest["data"]["train_end"]) == ("2012-01-03", "2016-12-30")
    assert manifest["data"]["train_rows"] == 1258  # NYSE sessions of 2012-2016
    assert manifest["config"]["window"] == 60 and manifest["config"]["sequence_loss"] is bool(options)

    predict = runner.invoke(app, ["predict", "^gspc", "--start", "2017-01-03", "--days", "20", "--json"])
    assert predict.exit_code == 0, predict.output
    result = json.loads(predict.stdout)
    dates = [row["date"] for row in result["rows"]]
    assert result["origin"] == "2016-12-30"
    assert dates[0] == "2017-01-03" and dates[-1] == "2017-01-31" and len(dates) == 20
    assert "2017-01-16" not in dates  # Martin Luther King Jr. Day

    # The baselines, worked out here straight from the CSV.
    close = pd.read_csv(SP500, index_col="Date", parse_dates=True)["Close"]
    january = close.loc["2017-01-03":"2017-01-31"].to_numpy()
    yesterday = close.loc["2016-12-30":"2017-01-30"].to_numpy()
    assert [row["actual"] for row in result["rows"]] == pytest.approx(january.tolist(), abs=1e-4)
    persistence = np.sqrt(np.mean((january - yesterday) ** 2))
    assert result["metrics"]["persistence"]["rmse"] == pytest.approx(persistence)
    naive = np.sqrt(np.mean((january - close.loc["2016-12-30"]) ** 2))
    assert result["metrics"]["naive"]["rmse"] == pytest.approx(naive)

    out = tmp_path / "lecture.png"
    plot = runner.invoke(app, ["plot", "^GSPC", "--start", "2017-01-03", "--days", "20", "--out", str(out)])
    assert plot.exit_code == 0, plot.output
    assert out.read_bytes()[:4] == b"\x89PNG"
