"""Command line: every command through Typer's CliRunner, --json for scripts, exit codes, no tracebacks."""

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from stockrnn import __version__, backend_choice, parallel
from stockrnn.cli import app

from .conftest import price_frame, sine_prices, tiny_args

runner = CliRunner()
TINY = tiny_args(target="return", epochs=2)


def run(*args: str):
    return runner.invoke(app, list(args))


def command_paths(group=None, path=()) -> list[tuple[str, ...]]:
    """Every command and group of the Typer app, as the words that call it: ("train",), ("models", "promote")."""
    group = group or typer.main.get_command(app)
    found = []
    for name, command in group.commands.items():
        found.append((*path, name))
        if hasattr(command, "commands"):
            found += command_paths(command, (*path, name))
    return found


COMMANDS = command_paths()


def test_the_app_has_the_documented_commands():
    top = {path[0] for path in COMMANDS}
    assert top == {"fetch", "train", "backtest", "predict", "plot", "info", "retrain", "models", "schedule", "track",
                   "latest", "signal", "study"}  # fmt: skip
    assert {("models", "list"), ("models", "promote"), ("models", "rollback")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "Example: stockrnn " + " ".join(path) in " ".join(result.stdout.split())


def parameters(path: tuple[str, ...]) -> dict:
    command = typer.main.get_command(app)
    for word in path:
        command = command.commands[word]
    return {p.name: p for p in command.params if p.param_type_name == "option" and p.name != "help"}


# Same name, another meaning, on purpose: fetch downloads from --start; predict and plot forecast from it. --end is
# the last day included for both commands that take it: fetch downloads up to it, backtest scores up to it.
# --jobs: processes on this machine for both retrain (default: one per core, a night of symbols) and backtest
# (default 1: its folds' log lines in order, as before --jobs existed). --horizon: the trading days scored, after each
# cut-off for backtest (default 21), of each recorded forecast for track (default: all); --plot: the command's PNG.
# train's and backtest's --watchlist name a panel's members, for one global model, where the others' name one model
# each. study's --panel and --watchlist name a panel's members too, for a model per study period (no --name); its
# --fill the portfolio's (both|close|same-close), its --plot the equity curves; its training options override its
# --spec, as retrain's override a saved config. backtest's --fill is a strategy's (close|open) and, with --study, the
# study's; the study's other options (--spec, --top-k, --eras, ...) are one declaration for both commands.


OWN_MEANING = {("fetch", "start"), ("fetch", "end"), ("backtest", "jobs"), ("track", "horizon"), ("track", "plot_file"),
               ("predict", "out_file"), ("signal", "threshold"), ("signal", "watchlist"),
               ("train", "watchlist"), ("backtest", "watchlist"), ("study", "panel"), ("study", "watchlist"),
               ("study", "fill"), ("study", "plot_file"), ("backtest", "fill")}  # fmt: skip


OVERRIDING = {("retrain",): "the saved config", ("study",): "the --spec"}


def test_one_option_one_meaning_on_every_command():
    from stockrnn.cli.options import FIELDS

    first: dict[str, tuple] = {}
    checked = 0
    for path in COMMANDS:
        for name, option in parameters(path).items():
            if (path[0], name) in OWN_MEANING:
                continue
            if path in OVERRIDING and name in {f.name for f in FIELDS}:  # overrides of a saved config, a spec
                assert option.default is None and option.help.startswith(f"Override {OVERRIDING[path]}: "), name
                assert option.help.endswith(parameters(("train",))[name].help), name
                continue
            found = (option.bare_type(), option.default, option.help, tuple(option.opts))
            where, before = first.setdefault(name, (path, found))
            checked += where != path
            assert before == found, f"--{name} differs between {' '.join(where)} and {' '.join(path)}"
    assert checked > 20  # json, csv, symbol, offline, level, days, ... shared by several commands
    for path in (("train",), ("backtest",), ("predict",), ("plot",)):
        assert {"csv", "symbol"} <= set(parameters(path)), path  # every command that takes --csv takes --symbol


def test_version_and_bare_help():
    assert run("--version").stdout.strip() == f"stockrnn {__version__}"
    result = run("--help")
    assert result.exit_code == 0
    # The names in the help's command list, each the first word of its row (never found inside another name).
    commands = result.stdout.split("Commands", 1)[1]
    listed = {match[1] for match in re.finditer(r"^\W*([a-z]+)\s{2,}\S", commands, re.MULTILINE)}
    assert listed == {path[0] for path in COMMANDS}


def test_help_does_not_import_heavy_libraries():
    """--help imports no Keras backend, nor numpy or pandas (each a tenth of a second or more of its start)."""
    heavy = ("tensorflow", "keras", "jax", "torch", "matplotlib", "sklearn", "scipy", "pandas", "numpy")
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from stockrnn.cli import app\n"
        "for command in ([], ['train'], ['predict'], ['plot'], ['backtest']):\n"
        "    assert CliRunner().invoke(app, [*command, '--help']).exit_code == 0\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.fixture
def sine_csv(write_csv):
    return write_csv("sine.csv", price_frame(sine_prices(300, noise=0.3)))


def test_train_table_and_json(sine_csv, home):
    result = run("train", "--csv", str(sine_csv), *TINY)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "trained SINE v1" in text and "persistence" in text and "skill" in text
    assert "verdict: " in text and " on its validation tail 2016-" in text and "DM p = " in text
    assert f"model saved in {home.resolve()}/models/SINE/v1" in text

    result = run("train", "--csv", str(sine_csv), "--symbol", "wave", *TINY, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["symbol"] == "WAVE" and data["version"] == "v1"
    assert set(data["metrics"]["one_step"]) == {"rmse", "mae", "mape", "direction_accuracy", "skill", "test"}
    assert data["training"]["epochs_run"] == 2
    assert "comparison" not in data  # one name: the list, as predict's JSON has it
    comparison = data["comparisons"][0]  # the verdict's evidence, as numbers
    assert comparison["test"] == "Diebold-Mariano (HLN)" and comparison["n"] == data["training"]["val_windows"]
    assert 0 <= comparison["p_value"] <= 1 and comparison["verdict"] == data["verdict"]
    assert comparison["outcome"] in {"beat", "lost", "no significant difference"}


def test_predict_json_schema(sine_model):
    result = run("predict", "SINE", "--start", "2017-01-03", "--days", "5", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["date"] for row in data["rows"]][0] == "2017-01-03" and len(data["rows"]) == 5
    columns = {"date", "forecast", "lower", "upper", "one_step", "one_step_lower", "one_step_upper", "actual"}
    assert all(set(row) == columns for row in data["rows"])
    assert data["interval"]["level"] == 0.8 and "EWMA" in data["interval"]["forecast"]
    assert all(row["lower"] < row["forecast"] < row["upper"] for row in data["rows"])
    assert all(row["one_step_lower"] < row["one_step"] < row["one_step_upper"] for row in data["rows"])
    widths = [row["upper"] - row["lower"] for row in data["rows"]]
    assert widths[-1] > widths[0]  # five days ahead is less certain than one
    assert [c["test"] for c in data["comparisons"]] == ["Diebold-Mariano (HLN)"] * 2
    assert data["comparisons"][0]["n"] == 5 and data["comparisons"][0]["p_value"] is not None
    assert data["comparisons"][1]["p_value"] is None  # one 5-day path is a single observation
    assert [c["verdict"] for c in data["comparisons"]] == data["verdict"]
    assert all(isinstance(row["actual"], float) for row in data["rows"])
    assert {"forecast", "one_step", "persistence", "naive", "drift"} <= set(data["metrics"])
    assert len(data["verdict"]) == 2 and data["verdict"][0].startswith("verdict: the model ")
    for method in data["metrics"].values():
        assert {"rmse", "mae", "mape", "direction_accuracy"} <= set(method)

    future = json.loads(run("predict", "SINE", "--days", "3", "--json").stdout)
    assert [row["actual"] for row in future["rows"]] == [None, None, None]
    assert [row["one_step"] for row in future["rows"]] == [None, None, None]
    assert future["metrics"] == {}


def test_predict_table_labels_each_column(sine_model):
    result = run("predict", "SINE", "--start", "2017-01-03", "--days", "5")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "(real, recursive)" in text and "(used actual prices)" in text
    assert "persistence: tomorrow = today's actual price" in text
    assert any(
        sentence in text
        for sentence in (
            "verdict: the model BEAT persistence",
            "verdict: the model LOST to persistence",
            "verdict: no significant difference between the model and persistence",
        )
    )
    assert "verdict: not tested (one 5-day forecast path is a single observation): the model against" in text
    assert "on 2017-01-03..2017-01-09, recursive forecast" in text


def test_plot_writes_png(sine_model, tmp_path):
    out = tmp_path / "chart.png"
    result = run("plot", "SINE", "--start", "2017-01-03", "--days", "5", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"plot written to {out}" in " ".join(result.stdout.split())
    assert out.read_bytes()[:4] == b"\x89PNG"
    data = json.loads(run("plot", "SINE", "--days", "3", "--json").stdout)
    assert data["plot"].endswith(".png") and len(data["rows"]) == 3


def test_info_json(sine_model, home, monkeypatch):
    monkeypatch.setenv("STOCKRNN_DASK", "tcp://scheduler:8786")
    data = json.loads(run("info", "--json").stdout)
    assert data["stockrnn"] == __version__ and data["home"] == str(home.resolve())
    assert data["dask_scheduler"] == "tcp://scheduler:8786"
    assert data["dask"] == parallel.dask_versions()["distributed"]  # None where Dask is not installed
    assert data["symbols"] == ["SINE"]
    assert data["ledger"] == {"path": str(home.resolve() / "ledger.sqlite"), "forecasts": 0}  # fields, not prose
    assert data["devices"] and data["keras"].startswith("3.")  # JAX on a GPU lists only GPU:0: no CPU entry
    chosen = data["backend"]  # e.g. "jax", and why in its own field: "auto: no GPU visible"
    assert data["backend_reason"].startswith("auto: ") and chosen in backend_choice.BACKENDS
    assert data["gpu"] == any(d.startswith("GPU") for d in data["devices"])
    # what every backend sees: the running one as it said; the others asked where a GPU is visible, or not installed
    assert set(data["backends"]) == set(backend_choice.BACKENDS) and data["backends"][chosen] == data["devices"]
    for name, seen in data["backends"].items():
        if not backend_choice.installed(name):
            assert seen == "not installed"
        elif name != chosen:
            assert isinstance(seen, list) if backend_choice.gpu_visible() else seen == "not asked (no GPU visible)"


@pytest.mark.filterwarnings("error")  # the loading paths print only our own messages
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["train", "--csv", "{bad}"], 65, "line 3 (2020-01-03), column 'Close': 'oops' is not a number"),
        (["train", "--csv", "{missing}"], 66, "no such file"),
        (["train", "--csv", "{bad}", "--cell", "cnn"], 2, "--cell must be one of lstm, gru, rnn"),
        (["train", "--csv", "{bad}", "--symbol", "../x"], 2, "'../x' is not a valid symbol"),
        (["predict", "NOMODEL"], 66, "no model for NOMODEL"),
        (["predict", "a/b"], 2, "'a/b' looks like a file, not a symbol: to read prices from a file use --csv a/b"),
        (["train", "aapl.csv"], 2, "'aapl.csv' looks like a file, not a symbol: to read prices from a file use --csv"),
        (["plot", "NOMODEL"], 66, "no model for NOMODEL"),
        (["track", "NOMODEL"], 66, "no forecast of NOMODEL is recorded"),
        (["track", "--horizon", "0"], 2, "--horizon must be in the range 1 to 2520"),
    ],
)
def test_errors_are_one_line_with_exit_code(write_csv, tmp_path, args, code, message):
    bad = write_csv("bad.csv", "Date,Close\n2020-01-02,1\n2020-01-03,oops\n")
    args = [a.format(bad=bad, missing=tmp_path / "missing.csv") for a in args]
    result = run(*args)
    assert result.exit_code == code, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_predict_bad_dates_exit_2(sine_model):
    assert run("predict", "SINE", "--start", "someday").exit_code == 2
    result = run("predict", "SINE", "--start", "1990-01-02")
    assert result.exit_code == 2 and "is outside the data" in result.stderr


def test_fetch_prints_what_changed(yahoo):
    import pandas as pd

    from .fake_yahoo import history_frame

    days = pd.bdate_range("2024-01-02", periods=50)
    yahoo(history_frame(days, sine_prices(50)), history_frame(days, sine_prices(50)))
    first = json.loads(run("fetch", "aapl", "--json").stdout)["fetched"][0]
    assert (first["symbol"], first["added"], first["updated"], first["stored_rows"]) == ("AAPL", 50, 0, 50)
    assert first["requested"] == {"start": None, "end": None}
    result = run("fetch", "AAPL")
    assert result.exit_code == 0, result.output
    assert "AAPL" in result.stdout and "2024-03-11" in result.stdout


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        ("empty", 69, "Yahoo returned no prices for ZZZZ"),
        ("rate", 75, "rate limiting downloads: ZZZZ failed 4 times"),
        ("negative", 65, "yfinance ZZZZ, row 1"),
    ],
)
def test_fetch_exit_codes(yahoo, answer, code, message):
    import pandas as pd
    from yfinance.exceptions import YFRateLimitError

    from .fake_yahoo import history_frame

    days = pd.bdate_range("2024-01-02", periods=5)
    answers = {
        "empty": [history_frame(days[:0], sine_prices(0))],
        "rate": [YFRateLimitError()] * 4,
        "negative": [history_frame(days, -sine_prices(5))],
    }[answer]
    yahoo(*answers)
    result = run("fetch", "ZZZZ")
    assert result.exit_code == code, result.output
    assert message in " ".join(result.stderr.split())


def test_bad_symbol_exits_2_before_any_io(yahoo, home):
    stub = yahoo()
    for args in (["fetch", "AAPL", "../../etc"], ["train", "a b"], ["predict", "x;y"], ["plot", "ΑAPL"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "is not a valid symbol" in result.stderr
    assert stub.calls == [] and not home.exists()


def test_train_predict_plot_by_symbol(yahoo, tmp_path):
    import pandas as pd

    from .fake_yahoo import history_frame

    days = pd.bdate_range("2022-01-03", periods=300)
    close = sine_prices(300, noise=0.3)
    stub = yahoo(history_frame(days[:290], close[:290]), history_frame(days, close).iloc[280:])
    result = run("train", "WAVE", *TINY, "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["data"]["kind"] == "store" and manifest["config"]["adjusted"] is True
    assert manifest["data"]["last_day"] == f"{days[289]:%Y-%m-%d}"

    predicted = json.loads(run("predict", "WAVE", "--days", "3", "--json").stdout)  # fetches the 10 new days first
    assert predicted["origin"] == f"{days[-1]:%Y-%m-%d}"
    assert stub.calls[1]["start"] == f"{days[289] - pd.Timedelta(days=7):%Y-%m-%d}"

    offline = run("plot", "WAVE", "--offline", "--days", "3", "--out", str(tmp_path / "w.png"))
    assert offline.exit_code == 0, offline.output
    assert len(stub.calls) == 2  # --offline downloaded nothing


def test_train_symbol_without_network_or_store_exits_69(yahoo):
    yahoo(ConnectionError("no network"))
    result = run("train", "MSFT", *TINY)
    assert result.exit_code == 69
    assert "cannot download MSFT from Yahoo: ConnectionError: no network" in result.stderr


def test_csv_and_symbol_work_the_same_on_every_command(sine_model, tmp_path):
    copy = tmp_path / "sine.csv"  # the file's name is the default symbol, as for train
    copy.write_bytes(sine_model.read_bytes())
    by_name = json.loads(run("predict", "--csv", str(copy), "--days", "2", "--json").stdout)
    by_option = json.loads(run("predict", "--symbol", "sine", "--days", "2", "--json").stdout)
    assert by_name["symbol"] == by_option["symbol"] == "SINE" and by_name["rows"] == by_option["rows"]
    assert run("plot", "--symbol", "SINE", "--days", "2", "--out", str(tmp_path / "p.png")).exit_code == 0
    clash = run("predict", "SINE", "--symbol", "OTHER")
    assert clash.exit_code == 2 and "two names for one symbol: SINE and --symbol OTHER" in clash.stderr
    nothing = run("predict")
    assert nothing.exit_code == 2 and "name the SYMBOL whose model to use" in nothing.stderr


def test_train_needs_a_symbol_or_a_file():
    result = run("train")
    assert result.exit_code == 2 and "name a SYMBOL to train on, or a price file with --csv FILE" in result.stderr


def test_a_date_format_is_remembered_with_the_model(write_csv):
    frame = price_frame(sine_prices(120))
    frame["Date"] = pd.to_datetime(frame["Date"]).dt.strftime("%Y%m%d")  # 20150102: no layout we could guess
    csv = write_csv("compact.csv", frame)
    assert run("train", "--csv", str(csv), *TINY).exit_code == 65  # not a date, without the format
    result = run("train", "--csv", str(csv), "--date-format", "%Y%m%d", *TINY, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["data"]["date_format"] == "%Y%m%d"
    predicted = run("predict", "COMPACT", "--start", "2015-06-01", "--days", "2", "--json")  # reads it again so
    assert predicted.exit_code == 0, predicted.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "--synthetic", "--csv", "x.csv"], "--synthetic and --csv name two price sources"),
        (["train", "--csv", "x.csv", "--noise", "0.5"], "--noise is for the --synthetic series"),
        (["backtest", "--csv", "x.csv", "--raw"], "--raw is for a symbol's downloaded prices"),
        (["backtest", "--synthetic", "--jobs", "-1"], "--jobs must be in the range 1 to 256"),
        (["retrain", "AAA", "--jobs", "-2"], "--jobs must be in the range 0 to 256"),
        (["retrain", "--all", "AAA"], "--all retrains every symbol with a model; name SYMBOLs (AAA) or --all"),
        (["train", "AAA", "--ticker", "AAA"], "--ticker picks one ticker's prices out of a --csv file"),
        (["predict", "AAA", "--ticker", "AAA"], "--ticker picks one ticker's prices out of a --csv file"),
    ],
)
def test_options_that_contradict_each_other_are_refused(args, words):
    """Nothing a user asked for is silently ignored: two sources, a setting their source lacks, impossible jobs."""
    result = run(*args)
    assert result.exit_code == 2 and words in " ".join(result.stderr.split()), result.output


def test_a_file_of_several_tickers_trains_the_one_picked(write_csv, home):
    """A long file (a Symbol column) is refused with its tickers named, nothing written; --ticker picks one, the
    model is named after it, and predict and track read the same ticker again from the recorded source."""
    frames = [price_frame(sine_prices(120) * k).assign(Symbol=name) for k, name in ((1, "AAA"), (2, "BBB"))]
    csv = write_csv("long.csv", pd.concat(frames))
    refused = run("train", "--csv", str(csv), *TINY)
    assert refused.exit_code == 2, refused.output
    assert "2 tickers in column 'Symbol' (AAA, BBB); pick one with --ticker, e.g. --ticker AAA" in refused.stderr
    assert "Traceback" not in refused.output and not (home / "models").exists()
    result = run("train", "--csv", str(csv), "--ticker", "bbb", *TINY, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["data"]
    assert data["ticker"] == "BBB" and data["price_source"]["ticker"] == "bbb"
    assert (home / "models" / "BBB").is_dir() and not (home / "models" / "LONG").exists()
    recorded = json.loads(run("predict", "BBB", "--days", "2", "--json").stdout)  # the file, BBB's rows again
    named = json.loads(run("predict", "--csv", str(csv), "--ticker", "BBB", "--days", "2", "--json").stdout)
    assert recorded["rows"] == named["rows"] and recorded["symbol"] == named["symbol"] == "BBB"
    tracked = run("track", "BBB", "--offline", "--json")
    assert tracked.exit_code == 0, tracked.output


def test_a_quantmod_file_trains_under_its_ticker(write_csv, home):
    """quantmod's layout (Index, SYM.Open, ..., SYM.Adjusted) whatever the file is called: the model is SYM's."""
    frame = price_frame(sine_prices(120)).drop(columns="Adj Close")
    frame.columns = ["Index", *(f"XYZ.{c}" for c in frame.columns[1:])]
    frame["XYZ.Adjusted"] = frame["XYZ.Close"]
    result = run("train", "--csv", str(write_csv("download.csv", frame)), "--column", "adj_close", *TINY)
    assert result.exit_code == 0, result.output
    assert (home / "models" / "XYZ").is_dir()
    assert "read adj_close from the column 'XYZ.Adjusted'" in result.stdout  # which column it learned, said
    manifest = json.loads((home / "models" / "XYZ" / "v1" / "manifest.json").read_text())
    assert manifest["data"]["headers"]["adj_close"] == "XYZ.Adjusted"


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_takes_h_for_help(path):
    short, long = run(*path, "-h"), run(*path, "--help")
    assert short.exit_code == 0 and short.stdout == long.stdout


def test_cell_column_and_target_in_any_case(write_csv):
    bad = write_csv("bad.csv", "Date,Close\n2020-01-02,1\n2020-01-03,oops\n")
    result = run("train", "--csv", str(bad), "--cell", "LSTM", "--column", "Close", "--target", "Price")
    assert result.exit_code == 65, result.output  # past the options: the data is what is refused
    assert "--cell" not in result.stderr and "oops" in result.stderr


def test_predict_several_symbols_in_one_run(sine_model, tmp_path):
    result = run("predict", "SINE", "NOMODEL", "--days", "3", "--out", str(tmp_path / "f.csv"))
    assert result.exit_code == 66, result.output  # a symbol without a model: the others go on, non-zero at the end
    assert "NOMODEL: no model for NOMODEL" in " ".join(result.stderr.split())
    assert "SINE close: from" in result.stdout
    rows = pd.read_csv(tmp_path / "f.csv")
    assert list(rows.columns[:4]) == ["symbol", "model_version", "date", "forecast"]
    assert len(rows) == 3 and set(rows["symbol"]) == {"SINE"} and rows["forecast"].notna().all()

    data = json.loads(run("predict", "SINE", "NOMODEL", "--days", "2", "--json").stdout)
    assert [d["symbol"] for d in data] == ["SINE", "NOMODEL"]  # several: a list, in order
    assert len(data[0]["rows"]) == 2 and "no model for NOMODEL" in data[1]["error"]
    assert isinstance(json.loads(run("predict", "SINE", "--days", "2", "--json").stdout), dict)  # one: an object

    watchlist = tmp_path / "watch.txt"
    watchlist.write_text("SINE epochs=3\n", encoding="utf-8")
    listed = run("predict", "--watchlist", str(watchlist), "--days", "2", "--json")
    assert listed.exit_code == 0, listed.output
    assert [d["symbol"] for d in json.loads(listed.stdout)] == ["SINE"]
    both = run("predict", "SINE", "OTHER", "--csv", str(sine_model))
    assert both.exit_code == 2 and "with several SYMBOLs leave them out" in both.stderr


def test_latest_prints_the_recorded_forecast_without_keras(sine_model, home):
    assert run("predict", "SINE", "--days", "4").exit_code == 0  # a real forecast: recorded
    data = json.loads(run("latest", "SINE", "--json").stdout)
    assert data["symbol"] == "SINE" and data["model_version"] == "v1" and data["made_by"] == "predict"
    assert [row["step"] for row in data["rows"]] == [1, 2, 3, 4] and data["rows"][0]["forecast"] > 0
    code = (
        "import sys; from typer.testing import CliRunner; from stockrnn.cli import app; "
        "r = CliRunner().invoke(app, ['latest']); assert r.exit_code == 0, r.output; "
        "assert not {'keras', 'jax', 'tensorflow'} & set(sys.modules), 'a model library was loaded'; print(r.stdout)"
    )  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "SINE (model v1, " in done.stdout and "made by predict" in done.stdout
    missing = run("latest", "NOMODEL")
    assert missing.exit_code == 66 and "no forecast of NOMODEL is recorded: the ledger has SINE" in missing.stderr
    both = run("latest", "SINE", "NOMODEL", "--json")  # one without a forecast: its error, and the other printed
    assert both.exit_code == 66 and [d["symbol"] for d in json.loads(both.stdout)] == ["SINE", "NOMODEL"]
    assert "error" in json.loads(both.stdout)[1] and "no forecast of NOMODEL" in both.stderr


def test_messages_keep_text_that_looks_like_an_emoji_code(write_csv, capsys):
    bad = write_csv("colons.csv", "Date,Close\n2020-01-02,1\n2020-01-03,250:100:3\n")
    result = run("train", "--csv", str(bad))
    assert result.exit_code == 65, result.output
    assert "'250:100:3' is not a number" in result.stderr and "\N{HUNDRED POINTS SYMBOL}" not in result.stderr
    from stockrnn.cli.common import say

    say("scores :100: and :smile:")
    assert capsys.readouterr().out == "scores :100: and :smile:\n"
