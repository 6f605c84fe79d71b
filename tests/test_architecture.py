"""The layering, kept by tests: pure stages below, one application layer that alone touches the stores, and a
command line that imports nothing of stockrnn but the application layer and the values it declares options with.
No module outside the targets package asks which kind of target it holds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "stockrnn"
STORES = {"registry", "ledger", "pricestore"}  # the state under the home folder
# What the command line may import of stockrnn: the application layer (which it calls), and the values and words
# it declares its options and messages with.
CLI_MAY_IMPORT = {
    "app",
    "config",
    "errors",
    "formatting",
    "price_source",
    "rules",
    "",
}  # "": the package, for __version__


def stockrnn_imports(path: Path) -> set[str]:
    """The stockrnn modules `path` imports (relative to the package, dotted: "app", "targets.base", "registry"),
    wherever the import statement stands; "" for the package itself."""
    where = path.relative_to(PACKAGE).with_suffix("").parts[:-1]  # the importing module's package
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(where[: len(where) - node.level + 1])
            module = [*base, *(node.module.split(".") if node.module else [])]
            if node.module:
                found.add(".".join(module))
            else:  # from . import a, b: a module of that package, or a name its __init__ defines
                for alias in node.names:
                    inside = PACKAGE.joinpath(*module, alias.name)
                    is_module = inside.with_suffix(".py").exists() or inside.is_dir()
                    found.add(".".join([*module, alias.name]) if is_module else ".".join(module))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "stockrnn":
            found.add(node.module.removeprefix("stockrnn").removeprefix("."))
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix("stockrnn").removeprefix(".") for a in node.names if a.name.startswith("stockrnn")
            }
    return found


def layer(path: Path) -> str:
    name = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    return "app" if name == "app" else "cli" if name == "cli" else "store" if name in STORES else "stage"


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name not in ("__main__.py",))


def test_the_parser_sees_relative_imports():
    """The checks below would pass on a parser that finds nothing: it finds what these modules are known to import."""
    assert {"registry", "ledger", "forecast", "config"} <= stockrnn_imports(PACKAGE / "app" / "forecast.py")
    assert "app" in stockrnn_imports(PACKAGE / "cli" / "train.py")
    assert {"targets.base", "targets.value"} <= {m for m in stockrnn_imports(PACKAGE / "targets" / "__init__.py")}


def test_stages_touch_no_store_nor_the_layers_above():
    stages = [p for p in MODULES if layer(p) == "stage" and p.name != "__init__.py" or p.parent.name == "targets"]
    assert len(stages) > 25
    found = {
        str(p.relative_to(PACKAGE)): sorted(
            m for m in stockrnn_imports(p) if m.split(".")[0] in {*STORES, "app", "cli"}
        )
        for p in stages
    }
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_the_command_line_imports_only_the_application_layer():
    commands = [p for p in MODULES if layer(p) == "cli"]
    assert len(commands) >= 12  # one file per command, and what they share
    found = {
        str(p.relative_to(PACKAGE)): sorted(
            m for m in stockrnn_imports(p) if m.split(".")[0] not in CLI_MAY_IMPORT | {"cli"}
        )
        for p in commands
    }
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_one_file_per_command():
    from typer.main import get_command

    from stockrnn.cli import app

    group = get_command(app)
    files = {p.stem for p in (PACKAGE / "cli").glob("*.py")} - {"__init__", "common", "options"}
    assert set(group.commands) == files  # `models` holds its sub-commands


BRANCHES = re.compile(
    r"""["'](p_up|brier|reliability)["'] in\b|isinstance\([^)]*Forecast|\.probability\b|FORECAST not in|"""
    r"""\.target ==|config\.target in|target\.name ==|== ["'](direction|price|return)["']"""
)


def test_no_branch_on_the_kind_of_target_outside_the_targets_package():
    """What differs between targets is asked of the target (targets/base.py), never sniffed from a result's keys or
    type: the grep the seams were measured by."""
    outside = [p for p in MODULES if "targets" not in p.relative_to(PACKAGE).parts]
    found = {
        f"{p.relative_to(PACKAGE)}:{n}": line.strip()
        for p in outside
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if BRANCHES.search(line)
    }
    assert found == {}
    assert BRANCHES.search('if "p_up" in rows:') and BRANCHES.search("isinstance(result, TrendForecast)")


def test_the_command_line_reads_the_environment_names_the_core_reads():
    """The command line declares --dask's and --backend's environment variables without importing the modules that
    read them (they would load Keras' chooser and Dask's client with every --help): the names must agree."""
    from stockrnn import backend_choice, parallel
    from stockrnn.cli.common import BACKEND_ENV, DASK_ENV

    assert (DASK_ENV, BACKEND_ENV) == (parallel.ENV, backend_choice.ENV)
