"""Manifest: typed, written and read back unchanged, old manifests migrated, newer layouts and anything else refused
by name."""

import json

import pytest

from stockrnn import __version__
from stockrnn.errors import DataError
from stockrnn.manifest import SCHEMA_VERSION, Manifest

from .conftest import a_manifest


def test_round_trip_through_json():
    manifest = a_manifest(synthetic={"points": 600, "step": 0.1, "noise": 0.0, "seed": 42})
    data = json.loads(json.dumps(manifest.to_dict()))
    assert list(data) == ["schema_version", "created", "config", "data", "training", "metrics", "interval", "libraries"]
    assert data["schema_version"] == SCHEMA_VERSION == 1  # today's layout; raising it needs a migration and fixture
    assert data["config"]["window"] == 20 and data["data"]["synthetic"]["points"] == 600
    assert Manifest.from_dict(data) == manifest
    assert "synthetic" not in a_manifest().to_dict()["data"]  # only synthetic data has generator parameters


def test_the_validation_cadence_round_trips_and_says_what_the_run_counted():
    import dataclasses

    from .conftest import tiny_config

    manifest = dataclasses.replace(a_manifest(), config=tiny_config(validate_every="256"))
    checked = dataclasses.replace(
        manifest, training=dataclasses.replace(manifest.training, epochs_run=12, best_epoch=2, check_windows=256)
    )
    data = json.loads(json.dumps(checked.to_dict()))
    assert data["config"]["validate_every"] == "256" and data["training"]["check_windows"] == 256
    loaded = Manifest.from_dict(data)
    assert loaded == checked and loaded.training.unit == "check"
    windows = loaded.training.train_windows
    assert loaded.training.run_words().startswith(f"12 checks of 256 windows ({12 * 256 / windows:.2f} passes), best 2")
    assert manifest.training.unit == "epoch" and "epochs" in manifest.training.run_words()


def test_stored_identity_is_written_only_once_known():
    stored = Manifest.from_dict({**a_manifest().to_dict(), "symbol": "AAA", "version": "v2", "files": {"m": "0"}})
    assert (stored.symbol, stored.version, stored.files) == ("AAA", "v2", {"m": "0"})
    assert list(stored.to_dict())[-3:] == ["symbol", "version", "files"]


def test_old_manifests_are_migrated_when_loaded():
    old = a_manifest().to_dict()
    del old["schema_version"]  # written before the number existed: the legacy layout
    old["metrics"] = {"model": {"rmse": 2.0, "skill": 0.1}, "persistence": {"rmse": 2.2, "skill": 0.0}}
    del old["config"]["target"]  # saved before the return target existed: a price model
    del old["config"]["validate_every"], old["training"]["check_windows"]  # saved before --validate-every
    old["data"]["a_field_from_the_future"] = 1
    del old["interval"]
    old["abs_residuals"] = [0.25, 0.5]  # before volatility-adaptive intervals: sorted absolute errors
    loaded = Manifest.from_dict(old)
    assert loaded.interval == {"method": "constant", "scores": [0.25, 0.5]}
    assert {name: s.to_dict() for name, s in loaded.metrics.items()} == {
        "one_step": {"rmse": 2.0, "skill": 0.1},
        "persistence": {"rmse": 2.2, "skill": 0.0},
    }
    assert loaded.config.target == "price"
    summary = loaded.summary()
    assert loaded.config.validate_every == "epoch"  # saved before --validate-every: checked once an epoch
    assert loaded.training.check_windows is None and loaded.training.unit == "epoch"
    assert summary["val_rmse"] == summary["val_score"] == 2.0 and summary["metric"] == "rmse"
    assert summary["baseline"] == "persistence" and summary["skill"] == pytest.approx(1 - 2.0 / 2.2)


@pytest.mark.parametrize(
    "broken",
    [[], {"created": "x"}, {**a_manifest().to_dict(), "config": None}, {**a_manifest().to_dict(), "data": {}}],
)
def test_anything_else_is_refused_by_name(broken):
    with pytest.raises(DataError, match="models/X/v1: not a stockrnn manifest") as caught:
        Manifest.from_dict(broken, "models/X/v1")
    assert caught.value.exit_code == 65


def test_a_saved_config_with_a_bad_value_is_bad_data_not_bad_usage():
    saved = a_manifest().to_dict()
    saved["config"]["cell"] = "cnn"
    with pytest.raises(DataError, match="models/X/v1: the saved config is invalid .*cell") as caught:
        Manifest.from_dict(saved, "models/X/v1")
    assert caught.value.exit_code == 65


def test_a_manifest_without_schema_version_reads_as_todays_when_nothing_else_changed():
    legacy = a_manifest().to_dict()
    del legacy["schema_version"]
    assert Manifest.from_dict(legacy) == a_manifest()
    assert Manifest.from_dict(legacy).to_dict()["schema_version"] == SCHEMA_VERSION  # written back in today's layout


def test_a_newer_layout_is_refused_with_what_to_do():
    newer = {**a_manifest().to_dict(), "schema_version": SCHEMA_VERSION + 1}
    with pytest.raises(DataError) as caught:
        Manifest.from_dict(newer, "models/X/v1/manifest.json")
    message = str(caught.value)
    assert message == (
        f"models/X/v1/manifest.json: written by a newer stockrnn (manifest schema_version {SCHEMA_VERSION + 1}; "
        f"stockrnn {__version__} reads up to {SCHEMA_VERSION}); upgrade stockrnn (pip install --upgrade stockrnn) "
        "to load it"
    )
    assert "\n" not in message and caught.value.exit_code == 65


@pytest.mark.parametrize("found", ["1", 1.0, True, 0, -1, None, [1]])
def test_a_schema_version_that_is_no_whole_number_from_1_is_refused(found):
    with pytest.raises(DataError, match=r"models/X/v1: not a stockrnn manifest \(schema_version .* is not a whole"):
        Manifest.from_dict({**a_manifest().to_dict(), "schema_version": found}, "models/X/v1")
