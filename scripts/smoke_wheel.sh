#!/usr/bin/env bash
# The package as a user installs it: build the wheel, install it alone into a new virtual environment, and run
# `stockrnn` from a folder outside the checkout, on the samples the wheel ships. The wheel's dependencies are
# borrowed from .venv (a .pth line), so that this takes seconds, not a second download of TensorFlow; the
# stockrnn that runs is the wheel's (checked), never the checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv/bin/python
build=$(pwd)/build
rm -rf "$build/wheel" "$build/smoke"
"$venv" -m pip wheel --quiet --no-deps --wheel-dir "$build/wheel" .
python_bin=$("$venv" -c 'import sys; print(sys._base_executable)')
"$python_bin" -m venv --without-pip "$build/smoke"
"$venv" -m pip --python "$build/smoke/bin/python" install --quiet --no-deps "$build"/wheel/stockrnn-*.whl
"$venv" -c 'import sysconfig; print(sysconfig.get_path("purelib"))' \
    >"$("$build/smoke/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/_stockrnn_deps.pth"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export STOCKRNN_HOME="$work/home"
"$build/smoke/bin/python" -c 'import stockrnn, sys; f = stockrnn.__file__; sys.exit(0 if "/build/smoke/" in f else f"not the wheel: {f}")'
"$build/smoke/bin/python" -m stockrnn --version
"$build/smoke/bin/stockrnn" train ^GSPC --offline --epochs 1 --json >"$work/train.json"
"$build/smoke/bin/stockrnn" predict ^GSPC --offline --days 3 --json >"$work/predict.json"
"$build/smoke/bin/python" - "$work" <<'CHECK'
import json, sys
from pathlib import Path
work = Path(sys.argv[1])
trained, predicted = (json.loads((work / f"{name}.json").read_text()) for name in ("train", "predict"))
assert "/build/smoke/" in trained["data"]["source"], trained["data"]["source"]  # the sample the wheel ships
assert trained["training"]["epochs_run"] == 1 and len(predicted["rows"]) == 3
print(f"wheel smoke test: trained ^GSPC from {trained['data']['source']}; predicted {len(predicted['rows'])} days")
CHECK
