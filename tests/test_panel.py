"""A panel as input: a folder of price files (quantmod's layout, as ../shared/data/panel keeps it, generated here)
or a watchlist, read into one `Panel` with ragged histories and a common calendar; bad input said in one line."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stockrnn import app
from stockrnn.calendar import sessions
from stockrnn.errors import DataError, MissingInputError, SourceUnavailableError, UsageError
from stockrnn.panel import Read, assemble
from stockrnn.price_source import PanelSource

from .test_validate import quantmod, quantmod_columns

DAYS = sessions(pd.Timestamp("2020-01-02"), pd.Timestamp("2020-06-30"), "XNYS")[:60]  # no day the checks doubt


def write_member(folder: Path, name: str, symbol: str, days: pd.DatetimeIndex, level: float = 50.0) -> Path:
    """A quantmod file of `symbol` on `days`, under the file name `name` (which need not say the symbol)."""
    close = level * np.exp(np.cumsum(0.01 * np.sin(np.arange(len(days)))))
    path = folder / name
    path.write_bytes(quantmod(days, quantmod_columns(symbol, close)))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three members with ragged histories (CCC joins 20 days late, BBB lacks one day), and a README."""
    panel = tmp_path / "panel"
    panel.mkdir()
    write_member(panel, "AAA.csv.gz", "AAA", DAYS)
    write_member(panel, "download-2.csv.gz", "BBB", DAYS.delete(30), 20.0)  # named by its columns, not its file
    write_member(panel, "CCC.csv.gz", "CCC", DAYS[20:], 80.0)
    (panel / "README.md").write_text("not prices\n")
    return panel


def test_a_folder_of_quantmod_files_is_a_panel(folder, caplog):
    with caplog.at_level("INFO", logger="stockrnn"):
        panel = app.load_panel(PanelSource(folder=folder), column="adj_close")
    renamed = [r.getMessage() for r in caplog.records if "its columns name" in r.getMessage()]
    assert renamed == [f"{folder / 'download-2.csv.gz'}: its columns name BBB, so the member is BBB, not DOWNLOAD-2"]
    assert panel.symbols == ("AAA", "BBB", "CCC") and panel.skipped == ()  # README.md: no price file, not a member
    assert panel.calendar.equals(pd.DatetimeIndex(DAYS, name="date"))  # every day some member trades
    spans = panel.spans()
    assert (spans["AAA"].first_day, spans["AAA"].rows, spans["AAA"].missing) == ("2020-01-02", 60, 0)
    assert (spans["BBB"].rows, spans["BBB"].missing) == (59, 1)  # the day it lacks, on the common calendar
    assert spans["CCC"].first_day == f"{DAYS[20]:%Y-%m-%d}" and spans["CCC"].rows == 40
    assert spans["BBB"].source.endswith("download-2.csv.gz")
    matrix = panel.matrix("adj_close")  # (days, members)
    assert matrix.shape == (60, 3) and list(matrix.columns) == ["AAA", "BBB", "CCC"]
    assert matrix["CCC"].iloc[:20].isna().all() and matrix["CCC"].iloc[20:].notna().all()  # ragged: its own start
    assert matrix["BBB"].isna().sum() == 1 and np.isnan(matrix["BBB"].iloc[30])
    assert matrix["AAA"].to_numpy() == pytest.approx(panel.members["AAA"].frame["adj_close"].to_numpy())
    # quantmod's Adjusted is the adjusted close, and each member says which of its file's columns that was
    assert panel.members["BBB"].headers["adj_close"] == "BBB.Adjusted"


def test_until_gives_every_member_one_end(folder):
    panel = app.load_panel(PanelSource(folder=folder))
    day = DAYS[10]
    cut = panel.until(day)
    assert all(p.frame.index[-1] <= day for p in cut.members.values())
    assert cut.symbols == ("AAA", "BBB") and cut.calendar[-1] == day
    assert [(s.symbol, s.why) for s in cut.skipped] == [
        ("CCC", f"its first day {DAYS[20]:%Y-%m-%d} is after {day:%Y-%m-%d}")
    ]
    assert len(panel.members["AAA"].frame) == 60  # its input unchanged
    assert panel.without({"AAA"}).symbols == ("BBB", "CCC")


def test_a_member_that_fails_validation_is_left_out_and_said(folder, caplog):
    bad = folder / "DDD.csv"
    bad.write_text('"Index","DDD.Close"\n"2020-01-02",1\n"2020-01-03",oops\n')
    with caplog.at_level(logging.WARNING, logger="stockrnn"):
        panel = app.load_panel(PanelSource(folder=folder))
    assert panel.symbols == ("AAA", "BBB", "CCC")
    assert [(s.symbol, s.where) for s in panel.skipped] == [("DDD", str(bad))]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [
        f"{bad}: left out of the panel ({bad}, line 3 (2020-01-03), column 'Close': 'oops' is not a number)"
    ]
    with pytest.raises(DataError, match=r"'oops' is not a number \(--strict refuses the panel when a member fails; 1"):
        app.load_panel(PanelSource(folder=folder, strict=True))


def test_a_member_file_of_a_header_only_is_left_out_not_a_traceback(folder, caplog):
    """A quantmod file holding its header and no row is left out, said, instead of failing the cut at the end."""
    header_only = folder / "DDD.csv.gz"
    header_only.write_bytes(quantmod(DAYS[:0], quantmod_columns("DDD", np.array([]))))
    with caplog.at_level(logging.WARNING, logger="stockrnn"):
        panel = app.load_panel(PanelSource(folder=folder))
    assert panel.symbols == ("AAA", "BBB", "CCC")
    assert [(s.symbol, s.why) for s in panel.skipped] == [("DDD", f"{header_only}: no price rows, only a header")]
    assert panel.until(DAYS[30]).symbols == ("AAA", "BBB", "CCC")  # the cut every training makes
    assert any("DDD.csv.gz: left out of the panel" in r.getMessage() for r in caplog.records)
    with pytest.raises(DataError, match=r"DDD.csv.gz: no price rows, only a header \(--strict refuses the panel"):
        app.load_panel(PanelSource(folder=folder, strict=True))


def test_two_files_claiming_one_symbol_refuse_the_panel(folder):
    write_member(folder, "aaa-again.csv.gz", "AAA", DAYS)
    with pytest.raises(DataError, match=r"aaa-again.csv.gz: claims AAA, as .*AAA.csv.gz does; a panel holds one"):
        app.load_panel(PanelSource(folder=folder))


def test_a_folder_without_price_files(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    none = r"empty: no price files \(.csv, .csv.gz, .txt, .zip, ...\) in this folder; it is empty"
    with pytest.raises(MissingInputError, match=none):
        app.load_panel(PanelSource(folder=empty))
    (empty / "README.md").write_text("x")
    with pytest.raises(MissingInputError, match="in this folder; it holds README.md$"):
        app.load_panel(PanelSource(folder=empty))
    with pytest.raises(MissingInputError, match="nowhere: no such folder"):
        app.load_panel(PanelSource(folder=tmp_path / "nowhere"))


def test_a_panel_with_no_member_left_is_refused(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "A.csv").write_text("Date,Close\n2020-01-02,oops\n")
    with pytest.raises(DataError, match=r"bad: no member of the panel could be read: .*A.csv: left out"):
        app.load_panel(PanelSource(folder=folder))


def test_a_watchlist_is_a_panel(folder, tmp_path):
    watchlist = tmp_path / "list.txt"
    watchlist.write_text(
        f"XXX csv={folder / 'AAA.csv.gz'} ticker=AAA\nYYY csv={folder / 'CCC.csv.gz'} ticker=ccc\nZZZ\n"
    )
    panel = app.load_panel(PanelSource(watchlist=watchlist, offline=True))
    assert panel.symbols == ("XXX", "YYY")  # the lines name the members; ticker= says the file's own is meant
    assert panel.members["YYY"].frame.index[0] == DAYS[20]
    (zzz,) = panel.skipped  # no stored prices offline: left out, said
    assert zzz.symbol == "ZZZ" and "--offline forbids downloading" in zzz.why
    with pytest.raises(SourceUnavailableError, match="no stored prices for ZZZ"):
        app.load_panel(PanelSource(watchlist=watchlist, offline=True, strict=True))
    watchlist.write_text(f"XXX csv={folder / 'AAA.csv.gz'} epochs=3\n")
    with pytest.raises(UsageError, match="XXX epochs=3: a panel trains one model with one configuration"):
        app.load_panel(PanelSource(watchlist=watchlist))


def test_a_watchlist_line_whose_file_is_another_symbols_is_refused(folder, tmp_path):
    watchlist = tmp_path / "list.txt"
    watchlist.write_text(f"# two members\nAAA csv={folder / 'AAA.csv.gz'}\nBBB csv={folder / 'CCC.csv.gz'}\n")
    with pytest.raises(DataError) as caught:
        app.load_panel(PanelSource(watchlist=watchlist))
    assert str(caught.value) == (
        f"{watchlist}, line 3: BBB csv={folder / 'CCC.csv.gz'}: the file's columns say CCC, not BBB; name the line "
        "CCC, or add ticker=CCC to keep CCC's prices as BBB"
    )
    assert caught.value.exit_code == 65
    watchlist.write_text(f"AAA csv={folder / 'AAA.csv.gz'}\nCCC csv={folder / 'CCC.csv.gz'}\n")  # as the files say
    assert app.load_panel(PanelSource(watchlist=watchlist)).symbols == ("AAA", "CCC")


def test_a_panel_source_is_a_folder_or_a_watchlist(tmp_path):
    for given in ({}, {"folder": tmp_path, "watchlist": tmp_path / "w.txt"}):
        with pytest.raises(UsageError, match="--panel DIR .* or --watchlist FILE; give one"):
            PanelSource(**given)
    assert PanelSource(folder=tmp_path).to_json() == {"kind": "folder", "path": str(tmp_path), "adjusted": True,
                                                      "strict": False}  # fmt: skip


def test_the_fingerprint_follows_each_members_data(folder):
    before, again = (app.load_panel(PanelSource(folder=folder)) for _ in range(2))
    write_member(folder, "CCC.csv.gz", "CCC", DAYS[20:], 81.0)
    after = app.load_panel(PanelSource(folder=folder))
    assert before.sha256 == again.sha256 and before.sha256 != after.sha256


def test_a_member_without_the_column(folder):
    panel = app.load_panel(PanelSource(folder=folder))
    (folder / "EEE.csv").write_text("Date,Close\n2020-01-02,1\n2020-01-03,2\n")
    with pytest.raises(DataError, match=r"EEE.csv: no 'adj_close' prices for EEE, a member of the panel"):
        app.load_panel(PanelSource(folder=folder)).matrix("adj_close")
    assert panel.matrix("close").shape == (60, 3)


def test_assemble_keeps_reads_in_symbol_order_and_names_the_failed():
    with pytest.raises(
        DataError, match=r"w: no member of the panel could be read: x.csv: left out of the panel \(boom\)"
    ):
        assemble([Read("X", "x.csv", error=DataError("boom"))], "w")
