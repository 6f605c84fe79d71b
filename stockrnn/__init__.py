"""stockrnn: stock trend forecasting with stacked recurrent networks, honest about its skill.

Three layers: pure stages, one module each, the data flowing one way (sources -> validate -> windows -> model ->
train -> forecast / metrics / backtest / contest / track -> plot; what differs between targets is the targets
package's); the application layer `stockrnn.app`, the use-cases and the Python API, the only code that touches the
model registry, the forecast ledger and the price store; and the command line (cli) on top. Heavy libraries (Keras,
matplotlib, numpy, pandas) are imported lazily, so that `stockrnn --help` answers at once.

    from stockrnn import app
    app.train(app.PriceSource(csv="sample_data/sp500.csv", symbol="^GSPC"), app.TrainConfig(train_end="2016-12-30"))
"""

__version__ = "0.1.0"
__all__ = ["__version__", "app"]
