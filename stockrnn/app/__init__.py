"""The application layer: stockrnn's use-cases, and its Python API (for notebooks and scripts).

Each use-case composes the pure stages (prices, validate, windows, model, train, forecast, backtest, contest,
track, plot) with the three stores that hold state under the home folder: the model registry (registry.py), the
forecast ledger (ledger.py) and the price store (pricestore.py). Stages import none of those; the command line
imports nothing else of stockrnn (tests/test_architecture.py keeps both so).

    from stockrnn import app
    result = app.train(app.PriceSource(csv="sample_data/sp500.csv", symbol="^GSPC"),
                       app.TrainConfig(train_start="2012-01-01", train_end="2016-12-30"))
    forecast = app.predict("^GSPC", start="2017-01-03", days=20)
    forecast.to_json()["metrics"]

Names are loaded when first used (PEP 562), so that `stockrnn --help` imports none of numpy, pandas or Keras.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module, attribute): the API, and the few settings and checks the command line declares its options with
_API = {
    # use-cases
    "fetch": ("prices", "fetch"),
    "load": ("prices", "load"),
    "load_panel": ("panel", "load_panel"),
    "global_model": ("panel_forecast", "global_model"),
    "train": ("training", "train"),
    "train_panel": ("panel", "train_panel"),
    "panel_backtest": ("panel_backtesting", "panel_backtest"),
    "model_backtest": ("panel_backtesting", "model_backtest"),
    "predict": ("forecast", "predict"),
    "plot": ("forecast", "plot"),
    "plan_forecasts": ("batch", "plan"),
    "predict_each": ("batch", "predict_each"),
    "export_forecasts": ("batch", "export"),
    "members_table": ("..targets.members_view", "members_table"),
    "latest": ("latest", "latest"),
    "latest_json": ("latest", "to_json"),
    "latest_each": ("latest", "latest_each"),
    "backtest": ("backtesting", "backtest"),
    "study": ("study", "study"),
    "retrain": ("nightly", "retrain"),
    "retrain_all": ("nightly", "retrain_all"),
    "plan": ("nightly", "plan"),
    "track": ("tracking", "track"),
    "signal": ("signals", "signal"),
    "models": ("champions", "models"),
    "choose_champion": ("champions", "choose_champion"),
    "schedule": ("scheduling", "schedule"),
    "info": ("installation", "info"),
    "exit_code": ("..contest", "exit_code"),
    "use_backend": ("runtime", "use_backend"),
    "connect": ("runtime", "connect"),
    "start": ("runtime", "start"),
    "record_error": ("runtime", "record_error"),
    # values
    "PriceSource": ("..price_source", "PriceSource"),
    "PanelSource": ("..price_source", "PanelSource"),
    "TrainConfig": ("..config", "TrainConfig"),
    "Rule": ("..rules", "Rule"),
    "PortfolioRule": ("..rules", "PortfolioRule"),
    "StudySpec": ("..study", "StudySpec"),
    "study_config": ("..study", "study_config"),
    "Trading": ("..study", "Trading"),
    "parse_eras": ("..eras", "parse"),
    "check_symbol": ("..paths", "check_symbol"),
    "check_output": ("..paths", "check_output"),
    "symbol_from_path": ("..paths", "symbol_from_path"),
    "looks_like_file": ("..paths", "looks_like_file"),
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _API[name]
    found = getattr(importlib.import_module(module if module.startswith("..") else f".{module}", __name__), attribute)
    globals()[name] = found  # once
    return found


def __dir__() -> list[str]:
    return __all__
