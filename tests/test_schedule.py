"""Schedule: the crontab entry, refused when the nightly job could only fail, warned about symbol by symbol, and
as JSON. Cron keeps stderr (warnings and errors: mailed) and the log file gets every line."""

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockrnn import paths, registry
from stockrnn.app.scheduling import schedule
from stockrnn.cli import app
from stockrnn.errors import MissingInputError, UsageError
from stockrnn.schedule import cron_entry

from .conftest import a_manifest

runner = CliRunner()
WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)


def stored(symbol: str, source: Path | None = None, **data) -> None:
    """A stored champion of `symbol` trained on the file `source` (default: one that exists); no trained model is
    needed: scheduling reads manifests only."""
    if source is None:
        source = paths.home() / "prices.csv"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("Date,Close\n")
    manifest = a_manifest(**data)
    registry.save_version(symbol, b"PK", {}, replace(manifest, data=replace(manifest.data, source=str(source))))


def test_the_line_keeps_stderr_for_cron_and_logs_every_line(home):
    stored("AAA")
    entry = cron_entry("18:30", "America/New_York", None, now=WINTER)
    log = home / "logs" / "retrain.log"
    assert entry.command == [str(Path(sys.executable).parent / "stockrnn"), "retrain", "--all", "--log-file",
                             str(log), "--quiet"]  # fmt: skip
    assert entry.line == f"30 23 * * 1-5 STOCKRNN_HOME={home} {' '.join(entry.command)} >/dev/null"
    assert "2>" not in entry.line  # stderr is kept: cron mails what it says
    assert "warnings and errors also on stderr, which cron mails (MAILTO)" in entry.comment
    assert cron_entry("18:30", "America/New_York", None, now=WINTER, strict=True).command[-1] == "--strict"


def test_schedule_json_has_the_line_and_its_parts(home):
    stored("AAA")
    result = runner.invoke(app, ["schedule", "--json", "--at", "17:00"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["line"].split(" ", 5)[:5] == data["schedule"].split()
    assert data["line"].endswith(" >/dev/null") and data["comment"].startswith("# stockrnn: retrain at 17:00")
    assert (data["at"], data["timezone"], data["watchlist"], data["symbols"], data["warnings"]) == (
        "17:00", "America/New_York", None, ["AAA"], []
    )  # fmt: skip
    assert data["command"][1:3] == ["retrain", "--all"] and data["log_file"] == str(home / "logs" / "retrain.log")
    text = runner.invoke(app, ["schedule", "--at", "17:00"]).stdout.splitlines()
    assert text == [data["comment"], data["line"]]


def test_all_before_any_model_is_refused(home):
    with pytest.raises(MissingInputError, match="no model yet in .*: a nightly `retrain --all` would have nothing"):
        schedule("18:30", "America/New_York")
    result = runner.invoke(app, ["schedule"])
    assert result.exit_code == 66 and result.stdout == ""
    assert "train one first (stockrnn train SYMBOL)" in result.stderr


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("AAPL\nMSFT epochs=many\n", 2, "line 2: epochs='many' is not a valid value; nothing scheduled"),
        ("# nothing yet\n", 2, "the watchlist names no symbol; nothing scheduled"),
        (b"AAPL\n\xff\n", 2, "line 2: not UTF-8 text"),
    ],
)
def test_a_watchlist_the_job_would_fail_on_is_refused(tmp_path, text, code, words):
    path = tmp_path / "watch.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = runner.invoke(app, ["schedule", "--watchlist", str(path)])
    assert result.exit_code == code and result.stdout == ""
    assert words in " ".join(result.stderr.split())


def test_a_missing_or_unreadable_watchlist_is_refused(tmp_path, monkeypatch):
    result = runner.invoke(app, ["schedule", "--watchlist", str(tmp_path / "none.txt")])
    assert result.exit_code == 66 and "none.txt: no such watchlist file" in result.stderr
    locked = tmp_path / "locked.txt"
    locked.write_text("AAPL\n")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", denied)  # chmod 0 would not stop root
    result = runner.invoke(app, ["schedule", "--watchlist", str(locked)])
    assert result.exit_code == 66, result.output
    assert "locked.txt: cannot read the watchlist (Permission denied); nothing scheduled" in " ".join(
        result.stderr.split()
    )


def test_symbols_that_cannot_run_yet_are_warned_about(home, tmp_path, caplog):
    stored("OLD", tmp_path / "gone.csv")  # trained on a file since deleted
    (tmp_path / "prices.csv").write_text("Date,Close\n")
    stored("AAA")
    watch = tmp_path / "watch.txt"
    watch.write_text(f"AAA csv={tmp_path / 'prices.csv'}\nNEW\nGONE csv=missing.csv\nOLD\n")
    scheduled = schedule("18:30", "America/New_York", watch)
    assert scheduled.symbols == ["AAA", "NEW", "GONE", "OLD"]
    assert scheduled.warnings == [
        "NEW: no model yet: the first nightly retrain trains one on its prices from Yahoo, with the default settings",
        f"GONE: its csv= file {tmp_path / 'missing.csv'} does not exist: the nightly retrain fails for it until it "
        "does",
        f"OLD: its champion v1 was trained on {tmp_path / 'gone.csv'}, which no longer exists: the nightly retrain "
        "fails for OLD; name the file on its watchlist line (csv=FILE)",
    ]
    assert [r.levelname for r in caplog.records if r.message in scheduled.warnings] == ["WARNING"] * 3
    result = runner.invoke(app, ["schedule", "--watchlist", str(watch), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["warnings"] == scheduled.warnings


def test_bad_time_or_zone_is_a_usage_error():
    with pytest.raises(UsageError, match="--timezone 'Mars/Olympus' is not a time zone"):
        cron_entry("18:30", "Mars/Olympus", None)
