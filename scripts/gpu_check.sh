#!/usr/bin/env bash
# The GPU check (docs/gpu.md): what stockrnn must pass on a machine with an NVIDIA GPU, and how fast it runs there,
# in under 8 minutes on the issue's H200 machine (16 cores). Runs from the checkout, offline, in a home folder of its
# own (the user's models are not touched); needs pytest (the dev extra), not TensorFlow.
#
#   make gpu-check                     # or: bash scripts/gpu_check.sh
#   PYTHON=/path/to/python bash scripts/gpu_check.sh
#   SUITE=none BENCH_ARGS="--epochs 1 --folds 2" bash scripts/gpu_check.sh    # a smoke run of the check itself
#
# 1. What the driver shows (nvidia-smi) and what each installed backend sees (stockrnn info).
# 2. The suite: its fast tier (SUITE=full: every test) on auto's backend; then the model and runtime tests
#    (test_model.py, test_backend.py, slow ones included) on each other backend that sees the GPU. Several test
#    processes share the GPU: none preallocates its memory.
# 3. bench/bench_gpu.py: whole commands on each GPU backend and on the CPU, in the time left of BUDGET seconds (480);
#    the table in out/gpu_check.md (and .json), printed too.
# Exit status: 1 when a test or a command failed, 3 when no GPU is visible (the CPU row alone was measured), else 0.
set -u
cd "$(dirname "$0")/.."
began=$SECONDS
budget=${BUDGET:-480}
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=$(command -v python3); fi
fi
workers=${WORKERS:-$(( $(nproc) / 2 > 1 ? $(nproc) / 2 : 1 ))}
home=$(mktemp -d "${TMPDIR:-/tmp}/stockrnn-gpu-check-XXXXXX")
trap 'rm -rf "$home"' EXIT
export STOCKRNN_HOME="$home"
unset STOCKRNN_BACKEND KERAS_BACKEND
status=0

echo "== the GPUs the driver shows"
if command -v nvidia-smi >/dev/null; then nvidia-smi -L || true; else echo "(no nvidia-smi)"; fi
if ! ls /proc/driver/nvidia/gpus/* >/dev/null 2>&1 || [ "${CUDA_VISIBLE_DEVICES-unset}" = "" ] \
        || [ "${CUDA_VISIBLE_DEVICES-unset}" = "-1" ]; then
    echo "NO NVIDIA GPU VISIBLE: the driver shows none, or CUDA_VISIBLE_DEVICES hides it; the check runs on the CPU"
fi
echo "== what each installed backend sees (stockrnn info)"
"$PYTHON" -m stockrnn info || status=1
gpu_backends=$("$PYTHON" -c "
from stockrnn import backend_choice as b
print(' '.join(n for n, d in b.seen().items() if b.gpus(d)))")
echo "backends that see a GPU: ${gpu_backends:-none}"
auto=$("$PYTHON" -c "from stockrnn import backend_choice; print(backend_choice.choose('auto'))")

# Several test processes on one GPU: JAX would take 75% of its memory in each, TensorFlow nearly all of it.
export XLA_PYTHON_CLIENT_PREALLOCATE=false TF_FORCE_GPU_ALLOW_GROWTH=true
run_tests() {  # $1: the backend; the rest: pytest's arguments
    local backend=$1
    shift
    echo "== tests on $backend: $*"
    if ! "$PYTHON" -c "import pytest, xdist" 2>/dev/null; then
        echo "pytest and pytest-xdist are not installed here (pip install -e '.[dev]' --no-deps, then pytest"
        echo "pytest-xdist hypothesis scikit-learn): the suite was not run"
        status=1
        return
    fi
    STOCKRNN_BACKEND=$backend "$PYTHON" -m pytest -q -n "$workers" --dist loadgroup -p no:cacheprovider "$@" \
        || status=1
}
case "${SUITE:-fast}" in
    none) echo "== tests: not run (SUITE=none)" ;;
    full) run_tests "$auto" ;;
    *) run_tests "$auto" -m "not slow"
       run_tests "$auto" -m slow tests/test_backend.py tests/test_model.py tests/test_parallel.py \
           tests/test_backend_choice.py "tests/test_adversarial.py::test_nothing_is_written_outside_the_home_folder" ;;
esac
if [ "${SUITE:-fast}" != none ]; then
    for backend in $gpu_backends; do
        [ "$backend" = "$auto" ] || run_tests "$backend" tests/test_model.py tests/test_backend.py
    done
fi
unset XLA_PYTHON_CLIENT_PREALLOCATE TF_FORCE_GPU_ALLOW_GROWTH  # the bench measures what a user's command does

left=$(( budget - (SECONDS - began) ))
echo "== bench: whole commands on each GPU backend and on the CPU ($left s left of $budget)"
# shellcheck disable=SC2086  # BENCH_ARGS: words
"$PYTHON" bench/bench_gpu.py --budget "$(( left > 60 ? left - 60 : 0 ))" ${BENCH_ARGS:-}
bench=$?
echo "== the GPU check took $(( SECONDS - began )) s"
if [ "$bench" -eq 1 ] || [ "$status" -ne 0 ]; then exit 1; fi
exit "$bench"
