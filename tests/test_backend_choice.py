"""Backend choice: which library Keras runs on, asked for or `auto` (by device: what each installed library sees, on a
simulated GPU), one per process, refused when missing or broken; the versions it reports."""

import json
import os
import subprocess
import sys

import pytest

from stockrnn import backend, backend_choice
from stockrnn.errors import UsageError

from .conftest import ROOT, price_frame, sine_prices, tiny_args

ALL_SEE_THE_CPU = {"jax": ["CPU:0"], "tensorflow": ["CPU:0"], "torch": "not installed"}
H200 = {"jax": ["GPU:0"], "tensorflow": "not installed", "torch": ["CPU:0", "GPU:0"]}  # the machine


@pytest.mark.parametrize(
    ("requested", "env", "gpu", "here", "sees", "chosen", "because"),
    [
        (None, None, False, {"jax", "tensorflow"}, None, "jax", "auto: no GPU visible"),  # auto on a CPU: JAX
        (None, None, False, {"tensorflow"}, None, "tensorflow", "auto: no GPU visible, JAX not installed"),
        ("auto", None, False, {"torch"}, None, "torch", "auto: no GPU visible, JAX not installed"),
        # auto with an NVIDIA GPU: TensorFlow's cuDNN LSTM where TensorFlow sees it
        (None, None, True, {"jax", "tensorflow"}, {**ALL_SEE_THE_CPU, "tensorflow": ["CPU:0", "GPU:0"]}, "tensorflow",
         "auto: an NVIDIA GPU is visible and tensorflow sees it (GPU:0)"),
        # no TensorFlow (the H200 of the issue): JAX with CUDA, and why TensorFlow was passed over
        (None, None, True, {"jax", "torch"}, H200, "jax",
         "auto: an NVIDIA GPU is visible and jax sees it (GPU:0); tensorflow: not installed"),
        # TensorFlow and JAX CPU builds, PyTorch with CUDA
        (None, None, True, {"jax", "tensorflow", "torch"}, {**ALL_SEE_THE_CPU, "torch": ["CPU:0", "GPU:0"]}, "torch",
         "and torch sees it (GPU:0); tensorflow: sees no GPU (CPU:0); jax: sees no GPU (CPU:0)"),
        # a GPU none of them sees (CPU builds, missing CUDA libraries): the CPU rule, said so
        (None, None, True, {"jax", "tensorflow"}, {**ALL_SEE_THE_CPU, "tensorflow": "cannot list its devices (x)"},
         "jax", "no installed backend sees it (tensorflow: cannot list its devices (x); jax: sees no GPU (CPU:0); "
         "torch: not installed): jax on the CPU"),
        (None, "TensorFlow", False, {"jax", "tensorflow"}, None, "tensorflow", "asked for"),  # $STOCKRNN_BACKEND
        ("jax", "tensorflow", True, {"jax", "tensorflow"}, None, "jax", "asked for"),  # the option before the env
    ],
)  # fmt: skip
def test_choose(monkeypatch, requested, env, gpu, here, sees, chosen, because):
    monkeypatch.delenv(backend_choice.ENV, raising=False)
    if env:
        monkeypatch.setenv(backend_choice.ENV, env)
    monkeypatch.setattr(backend_choice, "gpu_visible", lambda: gpu)
    monkeypatch.setattr(backend_choice, "installed", lambda name: name in here)

    def seen(fresh=False, known=None):
        assert gpu and sees is not None, "asked what the libraries see where no GPU is visible"
        return sees

    monkeypatch.setattr(backend_choice, "seen", seen)
    assert backend_choice.choose(requested) == chosen
    name, why = backend_choice._choice(requested)
    assert name == chosen and because in why


def test_auto_without_any_backend_is_a_usage_error(monkeypatch):
    monkeypatch.setattr(backend_choice, "gpu_visible", lambda: False)
    monkeypatch.setattr(backend_choice, "installed", lambda name: False)
    with pytest.raises(UsageError, match="no Keras backend is installed here: pip install jax"):
        backend_choice.choose("auto")


def test_what_the_libraries_see_is_asked_once_and_kept(monkeypatch, home):
    """The probes cost seconds: their answers are kept under the home folder until what they depend on changes;
    `fresh` (stockrnn info) asks again, and an answer this process already has is not asked for."""
    asked = []

    def probe(names):
        asked.append(sorted(names))
        return {name: ["CPU:0", "GPU:0"] for name in names}

    monkeypatch.setattr(backend_choice, "probe", probe)
    monkeypatch.setattr(backend_choice, "installed", lambda name: name != "torch")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    first = backend_choice.seen()
    assert first == {"jax": ["CPU:0", "GPU:0"], "tensorflow": ["CPU:0", "GPU:0"], "torch": "not installed"}
    assert backend_choice.seen() == first and asked == [["jax", "tensorflow"]]  # kept
    assert (home / "cache" / "devices.json").is_file()
    assert backend_choice.seen(fresh=True, known={"jax": ["GPU:0"]})["jax"] == ["GPU:0"]
    assert asked[-1] == ["tensorflow"]  # jax's answer was known
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")  # another GPU: asked again
    backend_choice.seen()
    assert asked[-1] == ["jax", "tensorflow"] and len(asked) == 3


def test_a_probe_that_fails_says_why_in_one_line(monkeypatch):
    monkeypatch.setattr(backend_choice, "PROBE", "import sys; print('noise', file=sys.stderr); sys.exit('no CUDA')")
    assert backend_choice.probe(["jax"]) == {"jax": "cannot list its devices (no CUDA)"}


def test_a_probe_lists_what_the_library_sees():
    """The real thing, in a process of its own: JAX's devices, as the running backend reports them."""
    found = backend_choice.probe(["jax"])["jax"]
    assert isinstance(found, list) and found and all(d.split(":")[0] in ("CPU", "GPU", "TPU") for d in found)
    if backend_choice.name() == "jax":
        assert found == backend.devices()


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


def test_info_lists_what_each_backend_sees_where_a_gpu_is_visible(monkeypatch):
    """On a (simulated) GPU machine, info says why auto chose and what every installed library sees, asked again;
    the running backend answers for itself (here JAX on this machine's CPU)."""
    from typer.testing import CliRunner

    from stockrnn.cli import app

    backend.keras()  # this process runs JAX or TensorFlow already: the simulation must choose that one
    running = backend_choice.running()
    other = "tensorflow" if running == "jax" else "jax"
    asked = []

    def probe(names):
        asked.append(sorted(names))
        return {name: ["CPU:0"] if name == other else ["GPU:0"] for name in names}

    monkeypatch.delenv(backend_choice.ENV, raising=False)
    monkeypatch.setattr(backend_choice, "gpu_visible", lambda: True)
    monkeypatch.setattr(backend_choice, "installed", lambda name: name in ("jax", "tensorflow"))
    monkeypatch.setattr(backend_choice, "probe", probe)
    monkeypatch.setattr(backend_choice, "GPU_ORDER", (other, running, "torch"))
    result = CliRunner().invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["backend"] == running
    assert (
        data["backend_reason"]
        == f"auto: an NVIDIA GPU is visible and {running} sees it (GPU:0); {other}: sees no GPU (CPU:0)"
    )
    assert data["backends"] == {running: backend.devices(), other: ["CPU:0"], "torch": "not installed"}
    assert asked == [["jax", "tensorflow"], [other]]  # auto asked both; info asked again all but the running one


def test_a_library_hidden_from_the_import_system_is_not_installed(monkeypatch):
    """A None entry in sys.modules makes an import fail: how the tests hide TensorFlow, as on the issue's H200."""
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    assert not backend_choice.installed("tensorflow") and backend_choice.installed("jax")
    from typer.testing import CliRunner

    from stockrnn.cli import app

    result = CliRunner().invoke(app, ["info", "--backend", "tensorflow"])
    assert result.exit_code == 2 and "tensorflow is not installed here (pip install tensorflow)" in result.output
    assert "Traceback" not in result.output


def test_a_backend_that_cannot_be_imported_is_a_usage_error():
    """Installed but broken (a CUDA library missing, a mismatched build): one line, exit 2, no traceback."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from stockrnn import backend, backend_choice\n"
        "backend_choice.installed = lambda name: True\n"
        "backend_choice.use('torch')\n"
        "try:\n    backend.keras()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.stdout.startswith("UsageError --backend torch: torch cannot be imported here"), result.stderr[-2000:]
    assert "choose another" in result.stdout


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
    code = "import sys; from stockrnn import backend_choice; backend_choice.use(); backend_choice.why(); "
    code += (
        "backend_choice.library_versions(); print(sorted({'keras', 'jax', 'tensorflow', 'numpy'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_auto_asks_the_libraries_in_processes_of_their_own():
    """On a (simulated) GPU machine, `auto` probes the installed libraries for real, in other processes: this one
    still imports none of them, and the answers are kept in the home folder."""
    code = (
        "import json, sys; from stockrnn import backend_choice, paths\n"
        "backend_choice.gpu_visible = lambda: True\n"
        "name = backend_choice.use(); why = backend_choice.why()\n"
        "imported = sorted({'keras', 'jax', 'tensorflow', 'torch'} & set(sys.modules))\n"
        "kept = json.loads((paths.home() / 'cache' / 'devices.json').read_text())['seen']\n"
        "print(json.dumps({'name': name, 'why': why, 'imported': imported, 'kept': kept}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["imported"] == []
    assert set(found["kept"]) == set(backend_choice.BACKENDS) and isinstance(found["kept"]["jax"], list)
    assert found["why"].startswith("auto: an NVIDIA GPU is visible")
    if not any(backend_choice.gpus(devices) for devices in found["kept"].values()):  # this machine: no real GPU
        assert found["name"] == "jax" and "no installed backend sees it" in found["why"]


# The H200: no TensorFlow, JAX and PyTorch with CUDA. TensorFlow is hidden from the import system, the driver
# shows a GPU, and the probe answers as that machine's libraries did; JAX itself runs on this machine's CPU.
H200_PROCESS = """
import json, sys
sys.modules["tensorflow"] = None
from stockrnn import backend_choice
backend_choice.gpu_visible = lambda: True
installed = backend_choice.installed
backend_choice.installed = lambda name: name == "torch" or installed(name)  # PyTorch, whether or not it is here
backend_choice.probe = lambda names: {{name: {{"jax": ["GPU:0"], "torch": ["CPU:0", "GPU:0"]}}[name] for name in names}}
from stockrnn.cli import app
try:
    app({args!r})
except SystemExit as exc:
    print(json.dumps({{"exit": exc.code, "tensorflow_imported": sys.modules.get("tensorflow") is not None}}))
"""


@pytest.mark.slow
def test_a_gpu_machine_without_tensorflow_trains_on_jax(tmp_path):
    """Where TensorFlow is not installed, `info` and `train` choose JAX (which sees the GPU) and say why, instead of
    ending in ModuleNotFoundError; the fallback to the CPU (JAX here sees none) is stated."""
    csv = tmp_path / "sine.csv"
    price_frame(sine_prices(300)).to_csv(csv, index=False)
    env = {k: v for k, v in os.environ.items() if k != backend_choice.ENV}
    runs = {}
    for command in (["info", "--json"], ["train", "--csv", str(csv), "--symbol", "S", *tiny_args(epochs=1)]):
        # a home each: info keeps what JAX really sees here (the CPU), which the next command would believe
        env["STOCKRNN_HOME"] = str(tmp_path / command[0])
        result = subprocess.run([sys.executable, "-c", H200_PROCESS.format(args=command)], capture_output=True,
                                text=True, timeout=300, cwd=ROOT, env=env)  # fmt: skip
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        runs[command[0]] = result
    info = json.loads("\n".join(runs["info"].stdout.splitlines()[:-1]))  # the last line is the process's own
    assert info["backend"] == "jax"
    assert info["backend_reason"].startswith("auto: an NVIDIA GPU is visible and jax sees it (GPU:0); tensorflow: not")
    assert info["backends"]["tensorflow"] == "not installed" and info["backends"]["torch"] == ["CPU:0", "GPU:0"]
    for result in runs.values():
        assert json.loads(result.stdout.splitlines()[-1]) == {"exit": 0, "tensorflow_imported": False}
    assert "an NVIDIA GPU is visible but jax does not see it: it runs on the CPU" in runs["train"].stderr
