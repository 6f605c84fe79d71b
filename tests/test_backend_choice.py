"""Backend choice: which library Keras runs on, asked for or `auto`, one per process, refused when missing; the
versions it reports."""

import os

import pytest

from stockrnn import backend, backend_choice
from stockrnn.errors import UsageError


@pytest.mark.parametrize(
    ("requested", "env", "gpu", "jax_here", "chosen"),
    [
        (None, None, False, True, "jax"),  # auto on a CPU: JAX
        (None, None, True, True, "tensorflow"),  # auto with an NVIDIA GPU: TensorFlow's cuDNN LSTM
        ("auto", None, False, False, "tensorflow"),  # auto without JAX installed
        (None, "TensorFlow", False, True, "tensorflow"),  # $STOCKRNN_BACKEND, any case
        ("jax", "tensorflow", True, True, "jax"),  # the option before the environment
    ],
)
def test_choose(monkeypatch, requested, env, gpu, jax_here, chosen):
    monkeypatch.delenv(backend_choice.ENV, raising=False)
    if env:
        monkeypatch.setenv(backend_choice.ENV, env)
    monkeypatch.setattr(backend_choice, "gpu_visible", lambda: gpu)
    monkeypatch.setattr(backend_choice, "installed", lambda name: name != "jax" or jax_here)
    assert backend_choice.choose(requested) == chosen


def test_choose_refuses_unknown_and_missing_backends(monkeypatch):
    with pytest.raises(UsageError, match="--backend must be one of auto, jax, tensorflow, torch, not 'theano'"):
        backend_choice.choose("theano")
    monkeypatch.setattr(backend_choice, "installed", lambda name: name != "torch")
    with pytest.raises(UsageError, match=r"torch is not installed here \(pip install 'stockrnn\[torch\]'\)"):
        backend_choice.choose("torch")


def test_the_command_line_names_a_missing_backend(monkeypatch):
    from typer.testing import CliRunner

    from stockrnn.cli import app

    monkeypatch.setattr(backend_choice, "installed", lambda name: name != "torch")
    result = CliRunner().invoke(app, ["info", "--backend", "torch"])
    assert result.exit_code == 2 and "pip install 'stockrnn[torch]'" in result.output
    words = " ".join(CliRunner().invoke(app, ["predict", "--help"]).output.replace("│", " ").split())
    assert "torch (pip install 'stockrnn[torch]')" in words  # not eaten as rich markup


def test_gpu_hidden_by_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert not backend_choice.gpu_visible()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert not backend_choice.gpu_visible()


def test_one_backend_per_process(monkeypatch):
    backend.keras()
    other = next(b for b in ("tensorflow", "jax") if b != backend_choice.running())
    monkeypatch.setattr(backend_choice, "installed", lambda name: True)
    with pytest.raises(UsageError, match=f"this process already runs Keras on {backend_choice.running()}"):
        backend_choice.use(other)
    assert backend_choice.use(backend_choice.running()) == backend_choice.running() == os.environ["KERAS_BACKEND"]


def test_versions():
    found = backend_choice.library_versions()
    assert set(found) == {*backend_choice.LIBRARIES[backend_choice.name()], "keras"}
    assert found["keras"].startswith("3.")


def test_choosing_imports_no_keras():
    """The command line chooses for `--help` and for the workers it starts: choosing must not cost Keras' import."""
    import subprocess
    import sys

    code = "import sys; from stockrnn import backend_choice; backend_choice.use(); backend_choice.why(); "
    code += (
        "backend_choice.library_versions(); print(sorted({'keras', 'jax', 'tensorflow', 'numpy'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
