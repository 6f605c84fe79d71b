"""Shared fixtures: an isolated home folder per test, CSV writers and synthetic series."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stockrnn.config import TrainConfig
from stockrnn.manifest import DataInfo, Manifest, TrainingInfo
from stockrnn.metrics import Scores

ROOT = Path(__file__).resolve().parent.parent
SP500 = ROOT / "sample_data" / "sp500.csv"

# Every test has its own home folder, but the programs JAX compiles for the tiny models are the same in all of them:
# one cache for the whole run (and its subprocesses) instead of one per home. tests/test_backend.py tests the home's.
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR", os.path.join(tempfile.gettempdir(), f"stockrnn-tests-jax-{os.getuid()}")
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the network: yfinance's Ticker is a stub that fails any download it is asked for.
    Tests of the symbol path install their own stub with scripted answers (see fake_yahoo.py)."""
    import yfinance

    from .fake_yahoo import FakeYahoo

    monkeypatch.setattr(yfinance, "Ticker", FakeYahoo())


@pytest.fixture
def yahoo(monkeypatch: pytest.MonkeyPatch):
    """yahoo(*answers) installs a FakeYahoo with scripted frames or exceptions as yfinance.Ticker and returns it;
    retries do not sleep."""
    import yfinance

    from stockrnn import yahoo as adapter

    from .fake_yahoo import FakeYahoo

    monkeypatch.setattr(adapter, "RETRY_DELAYS", (0.0, 0.0, 0.0))

    def install(*answers):
        stub = FakeYahoo(*answers)
        monkeypatch.setattr(yfinance, "Ticker", stub)
        return stub

    return install


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes models under its own temporary home, never the user's."""
    folder = tmp_path / "home"
    monkeypatch.setenv("STOCKRNN_HOME", str(folder))
    return folder


def price_frame(close: np.ndarray, start: str = "2015-01-02") -> pd.DataFrame:
    """A Yahoo-layout frame on business days around `close` (n,)."""
    dates = pd.bdate_range(start, periods=len(close))
    return pd.DataFrame(
        {
            "Date": dates.strftime("%Y-%m-%d"),
            "Open": close * 0.999,
            "High": close * 1.01,
            "Low": close * 0.99,
            "Close": close,
            "Adj Close": close,
            "Volume": np.arange(len(close)) * 10 + 1000,
        }
    )


def sine_prices(n: int = 600, period: float = 25.0, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A series with real, learnable signal: a sine on a level, optionally with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 10 * np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(n)


def random_walk(n: int = 600, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(n)))


@pytest.fixture
def write_csv(tmp_path: Path):
    """write_csv(name, text_or_frame) -> path of a CSV file in the test's folder."""

    def write(name: str, content: str | bytes | pd.DataFrame) -> Path:
        path = tmp_path / name
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


# The one tiny model of the test suite: small enough to train in a second or two on the CPU. Price target, so that
# tests can reason in price levels; tests/test_targets.py covers the return target and test_lecture.py the defaults.
TINY = {"target": "price", "window": 20, "layers": 1, "units": 8, "dropout": 0.0, "epochs": 4, "batch_size": 64,
        "patience": 0, "seed": 7}  # fmt: skip


def tiny_config(**overrides) -> TrainConfig:
    """The tiny model's config, with `overrides`."""
    return TrainConfig(**{**TINY, **overrides})


def tiny_args(**overrides) -> list[str]:
    """The tiny model's settings, with `overrides`, as command-line options (--window 20 ...)."""
    return [word for key, value in {**TINY, **overrides}.items() for word in (f"--{key.replace('_', '-')}", str(value))]


def tiny_options(**overrides) -> str:
    """The tiny model's settings, with `overrides`, as watchlist options (window=20 ...)."""
    return " ".join(f"{key}={value}" for key, value in {**TINY, **overrides}.items())


def a_manifest(**data) -> Manifest:
    """A complete manifest for tests of the registry that need no trained model."""
    return Manifest(
        created="2026-01-02T00:00:00+00:00",
        config=tiny_config(),
        data=DataInfo(
            "prices.csv", "csv", "0" * 64, "2020-01-02", "2020-12-31", "2020-01-02", "2020-12-31", 252, **data
        ),  # fmt: skip
        training=TrainingInfo("CPU:0", 4, 4, False, 0.5, 200, 23, "2020-12-01", "2020-12-31"),
        metrics={"one_step": Scores(rmse=1.0, skill=0.0), "persistence": Scores(rmse=1.0, skill=0.0)},
        interval={"method": "constant", "scores": [0.5, 1.0]},
        libraries={"keras": "3.0.0"},
    )


@pytest.fixture(scope="session")
def sine_300(tmp_path_factory: pytest.TempPathFactory):
    """300 days of a noisy sine, validated (`validate.Prices`): what the per-target contract tests train on."""
    from stockrnn.validate import load_csv

    csv = tmp_path_factory.mktemp("sine300") / "sine.csv"
    price_frame(sine_prices(300, noise=0.3)).to_csv(csv, index=False)
    return load_csv(csv)


@pytest.fixture(scope="session")
def trained_sine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Train one tiny model on a noisy sine, once per session: (home folder, CSV path). Symbol: SINE."""
    from stockrnn.app.training import train_prices as train
    from stockrnn.validate import load_csv

    folder = tmp_path_factory.mktemp("trained")
    csv = folder / "sine.csv"
    price_frame(sine_prices(600, noise=0.3)).to_csv(csv, index=False)
    saved = os.environ.get("STOCKRNN_HOME")
    os.environ["STOCKRNN_HOME"] = str(folder / "home")
    try:
        config = tiny_config(epochs=10, learning_rate=0.01, units=16, train_end="2016-12-30")
        train(load_csv(csv), "SINE", config)
    finally:
        if saved is None:
            os.environ.pop("STOCKRNN_HOME")
        else:
            os.environ["STOCKRNN_HOME"] = saved
    return folder / "home", csv


@pytest.fixture
def sine_model(trained_sine, home: Path) -> Path:
    """The session's trained SINE model, copied into this test's home; returns the CSV it was trained on."""
    shutil.copytree(trained_sine[0], home)
    return trained_sine[1]
