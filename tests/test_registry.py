"""Store: versions that appear whole or not at all, the champion pointer, checksums."""

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockrnn import registry
from stockrnn.cli import app
from stockrnn.config import TrainConfig
from stockrnn.errors import CannotWriteError, DataError, MissingInputError, UsageError
from stockrnn.manifest import SCHEMA_VERSION
from stockrnn.metrics import Scores
from stockrnn.paths import sha256_file
from stockrnn.trend import Chances

from .conftest import a_manifest

SCALER = {"kind": "minmax", "feature_range": [0, 1], "data_min": 1.0, "data_max": 2.0}


def test_versions_and_current_pointer(home):
    first = registry.save_version("AAA", b"one", SCALER, a_manifest())
    second = registry.save_version("AAA", b"two", SCALER, a_manifest())
    assert (first.name, second.name) == ("v1", "v2")
    current = registry.load_current("aaa")
    assert current.folder == second
    assert (current.manifest.version, current.manifest.symbol) == ("v2", "AAA")
    assert current.model_path.read_bytes() == b"two"
    assert (first / "model.keras").read_bytes() == b"one"  # old versions stay intact
    assert not [p for p in second.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_failed_save_keeps_the_previous_version(home, monkeypatch):
    registry.save_version("AAA", b"good", SCALER, a_manifest())

    def full_disk(path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(registry, "fsync_dir", full_disk)
    with pytest.raises(CannotWriteError, match="No space left") as caught:
        registry.save_version("AAA", b"bad", SCALER, a_manifest())
    assert caught.value.exit_code == 73
    current = registry.load_current("AAA")
    assert current.manifest.version == "v1" and current.model_path.read_bytes() == b"good"
    assert sorted(p.name for p in current.folder.parent.iterdir()) == ["champions.json", "current", "v1"]


def test_tampered_model_is_refused(home):
    folder = registry.save_version("AAA", b"good", SCALER, a_manifest())
    (folder / "model.keras").write_bytes(b"evil")
    with pytest.raises(DataError, match="does not match its checksum"):
        registry.load_current("AAA")


def test_no_model_exits_66(home):
    with pytest.raises(MissingInputError, match="no model for ZZZ") as caught:
        registry.load_current("zzz")
    assert caught.value.exit_code == 66


def test_a_version_from_a_newer_stockrnn_is_refused_by_file_with_what_to_do(home, caplog):
    registry.save_version("AAA", b"old", SCALER, a_manifest())
    newer = registry.save_version("AAA", b"new", SCALER, a_manifest())
    path = newer / "manifest.json"
    raw = json.loads(path.read_text())
    raw["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(raw))
    # Its own checksum rewritten too, as the newer stockrnn would have written it: the schema is what is refused.
    (newer / "manifest.sha256").write_text(sha256_file(path) + "\n")
    with pytest.raises(DataError) as caught:
        registry.load_current("AAA")
    message = str(caught.value)
    assert message.startswith(f"{path}: written by a newer stockrnn (manifest schema_version {SCHEMA_VERSION + 1};")
    assert "upgrade stockrnn" in message and message.endswith("roll back (stockrnn models rollback AAA) or retrain AAA")
    assert caught.value.exit_code == 65
    assert registry.load_version("AAA", "v1").model_path.read_bytes() == b"old"  # the versions before still load
    assert [v["version"] for v in registry.model_versions("AAA")] == ["v1"]  # the listing leaves it out, saying why
    assert f"{path}: written by a newer stockrnn" in caplog.text


def test_the_listing_of_every_symbol_leaves_a_damaged_one_out(home, caplog):
    from stockrnn import app

    registry.save_version("AAA", b"good", SCALER, a_manifest())
    registry.save_version("BBB", b"good", SCALER, a_manifest())
    (registry.models_dir("BBB") / "current").write_text("v9\n")  # names no stored version
    assert list(app.models()) == ["AAA"] and "BBB: left out of the listing" in caplog.text
    with pytest.raises(DataError, match="v9"):
        app.models("BBB")  # asked for by name: said as an error


def test_the_listing_shows_target_metric_training_end_and_validation_days(home):
    """Scores of versions validated on other days, or in other metrics, are shown beside their days and said to be
    incomparable, never ranked as if they were one column."""
    price = a_manifest()
    later = dataclasses.replace(price, training=dataclasses.replace(price.training, val_start="2021-01-04",
                                                                      val_end="2021-02-01"))  # fmt: skip
    direction = dataclasses.replace(
        later,
        config=TrainConfig(target="direction"),
        metrics={"p_up": Chances(0.24, 0.68, 0.55), "base_rate": Chances(0.25, 0.69, 0.52)},
    )
    for manifest in (price, later, direction):
        registry.save_version("AAA", b"PK", {}, manifest)
    result = CliRunner().invoke(app, ["models", "AAA"])
    assert result.exit_code == 0, result.output
    rows = [line.split("│")[1:-1] for line in result.stdout.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["v1", "price", "2020-12-31", "2020-12-01..12-31", "RMSE 1", "+0.00"],
        ["v2", "price", "2020-12-31", "2021-01-04..02-01", "RMSE 1", "+0.00"],
        ["v3 *", "direction", "2020-12-31", "2021-01-04..02-01", "Brier 0.24", "+0.040"],
    ]
    assert "AAA: each score is on its version's own validation days, in its target's metric: scores on different " \
        "days are not comparable" in " ".join(result.stdout.split())  # fmt: skip
    listing = json.loads(CliRunner().invoke(app, ["models", "AAA", "--json"]).stdout)["AAA"]
    assert [(v["target"], v["metric"], v["val_score"], v["baseline"], v["val_start"]) for v in listing] == [
        ("price", "rmse", 1.0, "persistence", "2020-12-01"),
        ("price", "rmse", 1.0, "persistence", "2021-01-04"),
        ("direction", "brier", 0.24, "base_rate", "2021-01-04"),
    ]
    assert listing[2]["skill"] == pytest.approx(1 - 0.24 / 0.25) and listing[2]["val_rmse"] is None


def test_an_entry_holds_one_kind_of_model():
    assert registry.holds_panel("AAA") is None  # nothing stored yet
    registry.save_version("AAA", b"one", SCALER, a_manifest())
    registry.save_version("PANEL", b"one", SCALER, a_manifest(panel={"members": {}}))
    assert registry.holds_panel("AAA") is False and registry.holds_panel("PANEL") is True
    registry.refuse_other_kind("AAA", panel=False)  # the same kind: no objection
    registry.refuse_other_kind("PANEL", panel=True)
    registry.refuse_other_kind("NEW", panel=True)
    with pytest.raises(UsageError, match="--name AAA: .* holds a single symbol's model of AAA"):
        registry.refuse_other_kind("AAA", panel=True)
    with pytest.raises(UsageError, match="PANEL: .* holds a global model named PANEL"):
        registry.refuse_other_kind("PANEL", panel=False)


def test_models_shows_every_cell_whole_at_80_columns(home):
    """A validation tail across a year's end (2022-07-29..2023-01-26) goes on two lines rather than being cut."""
    manifest = a_manifest()
    training = dataclasses.replace(manifest.training, val_start="2022-07-29", val_end="2023-01-26")
    metrics = {"one_step": Scores(rmse=123.456789, skill=-0.0015347), "persistence": Scores(rmse=123.2674, skill=0.0)}
    config = dataclasses.replace(manifest.config, target="return")
    wide = dataclasses.replace(manifest, training=training, metrics=metrics, config=config)
    registry.save_version("WIDE", b"one", SCALER, wide)
    text = CliRunner().invoke(app, ["models", "WIDE"], env={"COLUMNS": "80", "TERM": "dumb"}).stdout
    table = text[: text.index("* champion")]
    assert "2022-07-29.." in table and "2023-01-26" in table and "return" in table
    assert "…" not in text
    assert max(len(line) for line in table.splitlines()) <= 80


def test_models_json_gives_a_symbols_val_days_and_no_member_days(home):
    registry.save_version("ONE", b"one", SCALER, a_manifest())
    listed = json.loads(CliRunner().invoke(app, ["models", "ONE", "--json"]).stdout)["ONE"][0]
    assert listed["val_days"] == 23 and "val_member_days" not in listed
