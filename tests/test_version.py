"""The version has one source, stockrnn/__init__.py's `__version__`, which pyproject.toml reads: the installed
package's metadata and `stockrnn --version` say the same."""

import ast
import importlib.metadata
import subprocess
import sys
import tomllib

import stockrnn

from .conftest import ROOT


def test_pyproject_reads_the_version_from_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "stockrnn.__version__"}
    # setuptools reads a plain literal from the file's text without importing the package; and the package imports
    # nothing, so that building the wheel never imports Keras or TensorFlow either way.
    module = ast.parse((ROOT / "stockrnn" / "__init__.py").read_text(encoding="utf-8"))
    assigned = [
        node
        for node in module.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
    ]
    assert len(assigned) == 1 and assigned[0].value.value == stockrnn.__version__
    assert not [node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]


def test_the_build_asks_for_a_setuptools_that_reads_the_license():
    """`license = "MIT"` is a PEP 639 license expression; setuptools reads one from 77.0.3 on (77.0.0 added it and
    is gone from PyPI), while 65.5 and 76.1, measured with --no-build-isolation, refuse the whole file."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"  # a string: the expression, not a {text = ...} table
    (setuptools,) = [Requirement(r) for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    assert not list(setuptools.specifier.filter(["65.5.0", "68.0.0", "76.1.0"]))  # each refuses the license
    assert setuptools.specifier.contains("77.0.3") and setuptools.specifier.contains("84.2.1")


def test_installed_metadata_and_the_command_agree():
    installed = importlib.metadata.version("stockrnn")
    assert installed == stockrnn.__version__, "the installed metadata is stale: pip install -e . again (make does)"
    result = subprocess.run(
        [sys.executable, "-m", "stockrnn", "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == f"stockrnn {installed}\n"
