"""Old model folders: what earlier stockrnn versions saved (tests/fixtures/models) still loads through the registry
and forecasts the numbers it forecast on the day it was made; a legacy manifest loads, a newer one is refused."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from stockrnn import registry
from stockrnn.app import predict
from stockrnn.manifest import SCHEMA_VERSION
from stockrnn.paths import sha256_file
from stockrnn.price_source import PriceSource

from .conftest import ROOT, SP500

FIXTURES = ROOT / "tests" / "fixtures" / "models"
# Each fixture's manifest checksum (its manifest.sha256), pinned here: the manifest holds the checksums of the model
# and the scaler, so a folder regenerated or edited by accident fails. A new fixture is added here, never changed.
PINNED = {"v1-2026-11-29": "68f7dea0b003129683135608a5b14e9fdcbdc1d83e482c3c2a440f9024a687b8"}
SYMBOL = "^GSPC"  # every fixture so far: the lecture's index, forecast from the bundled sample
COLUMNS = ("forecast", "lower", "upper", "one_step", "one_step_lower", "one_step_upper", "actual")


def in_log_space(rows: dict[str, np.ndarray], origin_price: float) -> dict[str, np.ndarray]:
    """The bands a fixture recorded before the bands moved to log space, as today's stockrnn builds them from the
    same calibration: the forecast band's half-width origin_price * (exp(q sigma) - 1) becomes exp(log(forecast)
    -/+ q sigma); the one-step band's half-width, a relative error times yesterday's price, becomes the log move
    log(1 + relative error) around the prediction."""
    path, one_step = rows["forecast"], rows["one_step"]
    move = np.log1p((rows["upper"] - path) / origin_price)
    relative = (rows["one_step_upper"] - one_step) / np.r_[origin_price, rows["actual"][:-1]]
    return {
        **rows,
        "lower": path * np.exp(-move),
        "upper": path * np.exp(move),
        "one_step_lower": one_step / (1 + relative),
        "one_step_upper": one_step * (1 + relative),
    }


def install(name: str, home: Path) -> Path:
    """Copy fixture `name`'s symbol folder into the test's home, as the store lays it out; return the version."""
    shutil.copytree(FIXTURES / name / SYMBOL, home / "models" / SYMBOL)
    return home / "models" / SYMBOL / "v1"


def rewrite_manifest(version: Path, change) -> None:
    """Edit a version's manifest as a stockrnn would have written it: its own checksum rewritten beside it."""
    path = version / "manifest.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    (version / "manifest.sha256").write_text(sha256_file(path) + "\n", encoding="utf-8")


def test_every_fixture_is_pinned_and_todays_schema_has_one():
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(PINNED)
    # Raising SCHEMA_VERSION without a model folder saved in the new layout fails here.
    assert any(name.startswith(f"v{SCHEMA_VERSION}-") for name in PINNED)
    for name, digest in PINNED.items():
        version = FIXTURES / name / SYMBOL / "v1"
        assert (version / "manifest.sha256").read_text().strip() == digest == sha256_file(version / "manifest.json")
        assert (FIXTURES / name / "README.md").is_file() and (FIXTURES / name / "expected.json").is_file()


@pytest.mark.parametrize("name", sorted(PINNED))
def test_an_old_model_folder_loads_and_forecasts_as_it_did(name, home):
    expected = json.loads((FIXTURES / name / "expected.json").read_text())
    install(name, home)
    stored = registry.load_current(SYMBOL)  # the champion pointer, every checksum, the manifest migrated
    raw = json.loads((stored.folder / "manifest.json").read_text())
    assert raw.get("schema_version", 0) == int(name.split("-")[0][1:])  # the folder is named after its layout
    assert (stored.manifest.symbol, stored.manifest.version) == (SYMBOL, "v1")
    assert stored.manifest.data.train_end == "2016-12-30" and stored.manifest.config.units == 4

    result = predict(SYMBOL, PriceSource(csv=SP500), start="2017-01-03", days=20)
    data = result.to_json()
    assert data["model_version"] == "v1" and data["origin"] == expected["origin"] == "2016-12-30"
    assert [r["date"] for r in data["rows"]] == [r["date"] for r in expected["rows"]]
    assert len(data["rows"]) == 20 and data["rows"][-1]["date"] == "2017-01-31"
    recorded = {column: np.array([r[column] for r in expected["rows"]], dtype=float) for column in COLUMNS}
    for column, values in in_log_space(recorded, float(result.history.iloc[-1])).items():
        found = np.array([r[column] for r in data["rows"]], dtype=float)
        assert np.isfinite(found).all(), column
        # rtol: the rows were rounded to 4 decimals when recorded; another backend or a GPU differs in float32's
        # last digits (TensorFlow on the same CPU agreed to the fourth decimal)
        np.testing.assert_allclose(found, values, rtol=1e-4, err_msg=column)
    first = data["rows"][0]
    assert first["lower"] < first["forecast"] < first["upper"]  # the calibrated band survived the migration too
    for method, scores in expected["metrics"].items():
        assert result.metrics[method].rmse == pytest.approx(scores["rmse"], rel=1e-4), method
        assert result.metrics[method].mae == pytest.approx(scores["mae"], rel=1e-4), method


def test_a_legacy_manifest_without_schema_version_loads(home):
    version = install(sorted(PINNED)[0], home)
    modern = registry.load_current(SYMBOL).manifest
    rewrite_manifest(version, lambda raw: raw.pop("schema_version"))  # as every manifest before the number looked
    legacy = registry.load_current(SYMBOL)
    assert "schema_version" not in json.loads((legacy.folder / "manifest.json").read_text())
    assert legacy.manifest == modern  # read as today's layout: nothing in it changed meaning
    result = predict(SYMBOL, PriceSource(csv=SP500), start="2017-01-03", days=3)
    assert len(result.rows) == 3 and np.isfinite(result.rows["forecast"]).all()


def test_a_model_from_a_newer_stockrnn_is_refused_in_one_line(home):
    from typer.testing import CliRunner

    from stockrnn.cli import app

    version = install(sorted(PINNED)[0], home)
    rewrite_manifest(version, lambda raw: raw.update(schema_version=SCHEMA_VERSION + 1))
    result = CliRunner().invoke(app, ["predict", SYMBOL, "--csv", str(SP500), "--days", "2"])
    assert result.exit_code == 65, result.output
    said = " ".join(result.stderr.split())  # the console wraps long lines to its width
    assert f"{version / 'manifest.json'}: written by a newer stockrnn (manifest schema_version 2;" in said
    assert "upgrade stockrnn" in said and "retrain ^GSPC" in said
    assert "Traceback" not in result.output and result.stdout == ""
