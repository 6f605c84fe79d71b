# Two commands do all the set-up: `make demo` and `make test` each create .venv when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_OUT := out

.PHONY: demo lint check test bench gpu-check clean

# __init__.py holds the version that the installed metadata reports (pyproject.toml reads it): a new version reinstalls.
# constraints.txt: the Keras and backend versions stockrnn/keras_shims.py was checked on (pyproject keeps ranges).
$(STAMP): pyproject.toml stockrnn/__init__.py constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,dask]'  # dask: the cluster tests run a real LocalCluster
	touch $(STAMP)

# The lecture case on the bundled S&P 500: train on 2012-2016, predict January 2017 against the actual prices.
demo: $(STAMP)
	$(BIN)/stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-start 2012-01-01 --train-end 2016-12-30
	$(BIN)/stockrnn predict ^GSPC --start 2017-01-03 --days 20
	mkdir -p $(DEMO_OUT)
	$(BIN)/stockrnn plot ^GSPC --start 2017-01-03 --days 20 --out $(DEMO_OUT)/sp500_jan2017.png
	@echo "model: $$($(BIN)/python -c 'from stockrnn.registry import models_dir; print(models_dir("^GSPC"))')"
	@echo "plot:  $(abspath $(DEMO_OUT))/sp500_jan2017.png"

lint: $(STAMP)
	$(BIN)/ruff check stockrnn tests scripts bench
	$(BIN)/ruff format --check stockrnn tests scripts bench
	$(BIN)/mypy  # typecheck: pyproject.toml's [tool.mypy] names the files and the untyped libraries

# The fast tier, while working: the linters and every test not marked slow, without the wheel smoke test.
check: lint
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadgroup

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup  # one worker a core (2-core machines); a group's tests share one
	bash scripts/smoke_wheel.sh

# The lecture recipe vs the defaults, 3 seeds each, plus start-up costs: about 20 minutes on 2 cores; then whole
# commands (train, predict, a 10-fold backtest) per Keras backend beside stockrnn before the backend choice (docs/backends.md):
# about 40 minutes (torch only when installed: pip install -e '.[torch]'); then the interval methods on calm and
# turbulent periods (docs/intervals.md): about 10 minutes; then what the forecast ledger adds to predict: a minute;
# then each Keras shim on and off (docs/backends.md): about 2 minutes.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,dask]'
	mkdir -p $(DEMO_OUT)
	$(BIN)/python bench/bench_training.py --json $(DEMO_OUT)/bench_training.json
	$(BIN)/python bench/bench_backends.py --lecture $(DEMO_OUT)/bench_training.json --json $(DEMO_OUT)/bench_backends.json
	$(BIN)/python bench/bench_intervals.py
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_shims.py

# The GPU check (docs/gpu.md): the suite, then whole commands on each backend that sees the GPU and on the CPU, in
# under 8 minutes; the table in out/gpu_check.md. Nothing is installed first: a GPU machine's environment may hold JAX
# and PyTorch with CUDA and no TensorFlow, which the install step would add. Exit 3: no GPU visible.
gpu-check:
	PYTHON=$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) bash scripts/gpu_check.sh

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache build
