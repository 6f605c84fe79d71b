"""The symbol path: yfinance adapter, price store, incremental fetch, fallback. yfinance's network call is faked."""

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import yfinance
from yfinance.exceptions import YFRateLimitError, YFTzMissingError

from stockrnn import pricestore
from stockrnn import yahoo as adapter
from stockrnn.app import prices as source
from stockrnn.errors import DataError, SourceUnavailableError, TemporaryError

from .fake_yahoo import FakeYahoo, download_frame, history_frame

# Loading prints only our own messages: any warning a library raises on these paths fails the test.
pytestmark = pytest.mark.filterwarnings("error")

DAYS = pd.bdate_range("2024-01-02", periods=120)
CLOSE = 100 + np.cumsum(np.sin(np.arange(120) / 5))


def test_first_fetch_takes_the_full_history(yahoo, home):
    stub = yahoo(history_frame(DAYS, CLOSE))
    report = source.fetch("aapl")
    assert stub.calls == [
        {"symbol": "AAPL", "interval": "1d", "auto_adjust": True, "actions": False, "repair": False, "period": "max"}
    ]
    assert (report.added, report.updated, report.stored_rows) == (120, 0, 120)
    assert (report.first_day, report.last_day) == ("2024-01-02", f"{DAYS[-1]:%Y-%m-%d}")
    stored = pricestore.read(home.resolve(), "AAPL", adjusted=True)
    assert stored.frame.index.tz is None and list(stored.frame.index) == list(DAYS)
    np.testing.assert_allclose(stored.frame["close"], CLOSE)
    assert (home / "cache" / "yfinance").is_dir()  # yfinance's caches live under the home folder


def test_end_is_the_last_day_included(yahoo, home):
    stub = yahoo(history_frame(DAYS[:10], CLOSE[:10]))
    report = source.fetch("AAPL", start="2024-01-02", end="2024-01-12")
    assert stub.calls[0]["end"] == "2024-01-13"  # yfinance's end is exclusive: the day after
    assert report.requested == ("2024-01-02", "2024-01-12")


def test_second_fetch_asks_only_for_new_days_and_replaces_revisions(yahoo, home):
    yahoo(history_frame(DAYS[:100], CLOSE[:100]))
    source.fetch("AAPL")
    revised = CLOSE.copy()
    revised[97] += 1.5  # Yahoo revised one stored bar
    stub = yahoo(history_frame(DAYS, revised).iloc[95:])
    report = source.fetch("AAPL")
    overlap_start = f"{DAYS[99] - pd.Timedelta(days=source.OVERLAP_DAYS):%Y-%m-%d}"
    assert stub.calls[0]["start"] == overlap_start and stub.calls[0]["end"] is None
    assert "period" not in stub.calls[0]
    assert (report.added, report.updated, report.stored_rows) == (20, 1, 120)
    stored = pricestore.read(home.resolve(), "AAPL", adjusted=True).frame
    assert stored.loc[DAYS[97], "close"] == pytest.approx(CLOSE[97] + 1.5)
    assert stored.loc[DAYS[96], "close"] == pytest.approx(CLOSE[96])


def test_raw_prices_are_a_separate_series_with_adj_close(yahoo, home):
    stub = yahoo(history_frame(DAYS, CLOSE, adjusted=False))
    source.fetch("AAPL", adjusted=False)
    assert stub.calls[0]["auto_adjust"] is False
    assert pricestore.read(home.resolve(), "AAPL", adjusted=True) is None
    raw = pricestore.read(home.resolve(), "AAPL", adjusted=False).frame
    np.testing.assert_allclose(raw["adj_close"], CLOSE * 0.98)
    with sqlite3.connect(home / "prices.sqlite") as db:
        assert db.execute("SELECT DISTINCT adjusted, source FROM bars").fetchall() == [(0, "yfinance")]


def test_timezone_aware_index_keeps_the_exchange_day(yahoo, home):
    yahoo(history_frame(DAYS, CLOSE, tz="Asia/Tokyo"))  # 00:00+09:00 is the previous day in UTC
    source.fetch("7203.T")
    stored = pricestore.read(home.resolve(), "7203.T", adjusted=True).frame
    assert list(stored.index) == list(DAYS)


def test_multiindex_download_shape_is_normalized():
    frame = adapter.normalize(download_frame("MSFT", DAYS, CLOSE), "MSFT")
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert frame.index.tz is None and frame.index.name == "Date"
    np.testing.assert_allclose(frame["Close"], CLOSE)
    with pytest.raises(DataError, match="holds \\['MSFT'\\], not AAPL"):
        adapter.normalize(download_frame("MSFT", DAYS, CLOSE), "AAPL")


def test_empty_frame_names_the_symbol(yahoo):
    yahoo(history_frame(DAYS[:0], CLOSE[:0]))
    with pytest.raises(SourceUnavailableError, match="Yahoo returned no prices for ZZZZ") as caught:
        source.fetch("ZZZZ")
    assert caught.value.exit_code == 69


def test_unknown_symbol_exits_69(yahoo):
    yahoo(YFTzMissingError("ZZZZ"))
    with pytest.raises(SourceUnavailableError, match="Yahoo has no daily prices for ZZZZ"):
        source.fetch("ZZZZ")


def test_rate_limit_retries_then_gives_up_with_75(yahoo, monkeypatch):
    stub = yahoo(*[YFRateLimitError()] * 4)
    with pytest.raises(TemporaryError, match="rate limiting downloads: AAPL failed 4 times") as caught:
        source.fetch("AAPL")
    assert caught.value.exit_code == 75 and len(stub.calls) == 4


def test_rate_limit_backs_off_then_succeeds(yahoo, monkeypatch, home):
    waits = []
    monkeypatch.setattr(adapter, "RETRY_DELAYS", (1.0, 2.0, 4.0))
    monkeypatch.setattr(
        yfinance, "Ticker", FakeYahoo(YFRateLimitError(), YFRateLimitError(), history_frame(DAYS, CLOSE))
    )
    frame = adapter.download("AAPL", None, None, True, cache=str(home), sleep=waits.append)
    assert waits == [1.0, 2.0] and len(frame) == 120


def test_downloads_go_through_the_one_validator(yahoo, home):
    bad = CLOSE.copy()
    bad[10] = -1.0
    yahoo(history_frame(DAYS, bad))
    with pytest.raises(
        DataError, match="yfinance AAPL, row 11 \\(2024-01-16\\), column 'Open': -0.995 is not a positive"
    ):
        source.fetch("AAPL")
    assert pricestore.read(home.resolve(), "AAPL", adjusted=True) is None  # nothing stored


def test_network_failure_falls_back_to_stored_prices_with_their_age(yahoo, home, caplog):
    yahoo(history_frame(DAYS, CLOSE))
    source.fetch("AAPL")
    with sqlite3.connect(home / "prices.sqlite") as db:  # pretend that download happened three days ago
        old = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
        db.execute("UPDATE fetches SET fetched_at = ?", (old,))
    yahoo(ConnectionError("Could not resolve host: query2.finance.yahoo.com"))
    prices = source.symbol_prices("AAPL")
    assert len(prices.frame) == 120 and prices.kind == "store"
    assert "cannot download AAPL from Yahoo: ConnectionError" in caplog.text
    said = f"the stored prices up to {DAYS[-1]:%Y-%m-%d}, downloaded 3 days ago, stand in for them"
    assert said in caplog.text and "WARNING" in caplog.text
    assert prices.substitute is not None and prices.substitute.startswith("not today's prices of AAPL")
    assert said in prices.substitute  # carried with the prices: the retrain record and the manifest keep it
    with pytest.raises(SourceUnavailableError, match=f"--strict refuses the stored prices up to {DAYS[-1]:%Y-%m-%d}"):
        source.symbol_prices("AAPL", strict=True)
    yahoo(history_frame(DAYS, CLOSE))
    assert source.symbol_prices("AAPL", strict=True).substitute is None  # the download worked: its own prices
    assert source.symbol_prices("AAPL", offline=True, strict=True).substitute is None  # stored, as asked


def test_offline_never_downloads(yahoo, home):
    yahoo(history_frame(DAYS, CLOSE))
    source.fetch("AAPL")
    stub = yahoo()  # any call would fail the test
    assert len(source.symbol_prices("AAPL", offline=True).frame) == 120
    assert stub.calls == []
    with pytest.raises(SourceUnavailableError, match="no stored prices for MSFT, and --offline forbids"):
        source.symbol_prices("MSFT", offline=True)


def test_no_stored_prices_and_no_network_exits_69(yahoo):
    yahoo(ConnectionError("offline"))
    with pytest.raises(SourceUnavailableError, match="cannot download MSFT from Yahoo") as caught:
        source.symbol_prices("MSFT")
    assert caught.value.exit_code == 69


def test_bundled_samples_reachable_by_symbol_offline(yahoo):
    stub = yahoo()
    prices = source.symbol_prices("^gspc", offline=True)
    assert prices.frame.index[0] == pd.Timestamp("1999-01-04") and len(prices.frame) == 5031
    assert stub.calls == []
    assert len(source.symbol_prices("^IXIC", offline=True).frame) == 5031
    assert "bundled sample sp500.csv (1999-2018) stands in" in (prices.substitute or "")  # said, and kept
    with pytest.raises(SourceUnavailableError, match="--strict refuses it: run stockrnn fetch \\^GSPC"):
        source.symbol_prices("^GSPC", offline=True, strict=True)


KILLED_WRITER = """
import sys, time
import numpy as np, pandas as pd
from pathlib import Path
from stockrnn import pricestore


home = Path(sys.argv[1])
days = pd.bdate_range("2024-01-02", periods=5000)
frame = pd.DataFrame({"close": np.linspace(10, 20, 5000)}, index=pd.DatetimeIndex(days, name="date"))
slow = pricestore._nullable
def nullable(row):
    if row[3] > 15:  # half-way through the rows of one transaction
        print("writing", flush=True)
        time.sleep(60)
    return slow(row)
pricestore._nullable = nullable
pricestore.write(home, "AAPL", True, frame, "yfinance", (None, None))
"""


def test_fetch_killed_mid_write_leaves_the_store_as_it_was(yahoo, home):
    yahoo(history_frame(DAYS, CLOSE))
    source.fetch("AAPL")
    before = pricestore.read(home.resolve(), "AAPL", adjusted=True).frame
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(home.resolve())], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
    after = pricestore.read(home.resolve(), "AAPL", adjusted=True).frame
    pd.testing.assert_frame_equal(before, after)
    with closing(sqlite3.connect(home / "prices.sqlite")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM fetches").fetchone() == (1,)


def test_a_partial_bar_is_dropped_with_a_warning_and_the_fetch_goes_on(yahoo, home, caplog):
    frame = history_frame(DAYS, CLOSE)
    frame.iloc[-1, frame.columns.get_loc("High")] = np.nan  # today's bar, still open: some prices missing
    frame.iloc[50, frame.columns.get_loc("Close")] = np.nan
    yahoo(frame)
    report = source.fetch("AAPL")
    assert report.added == len(DAYS) - 2 and report.last_day == f"{DAYS[-2]:%Y-%m-%d}"
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert (
        f"yfinance AAPL: dropped 2 partial bars (some prices missing): {DAYS[50]:%Y-%m-%d}, {DAYS[-1]:%Y-%m-%d}"
        in warning
    )


def test_reading_the_store_never_writes_and_works_where_writing_cannot(yahoo, home, monkeypatch):
    yahoo(history_frame(DAYS, CLOSE))
    source.fetch("AAPL")
    with pricestore.reader(home.resolve()) as db, pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("DELETE FROM bars")
    real = sqlite3.connect

    def no_shm(database, **options):  # what a read-only folder does to a WAL store opened read-only
        if "immutable" not in database:
            raise sqlite3.OperationalError("unable to open database file")
        return real(database, **options)

    monkeypatch.setattr(sqlite3, "connect", no_shm)
    assert len(pricestore.read(home.resolve(), "AAPL", adjusted=True).frame) == len(DAYS)


def test_a_cache_folder_that_cannot_be_made_is_a_write_error(tmp_path):
    from stockrnn.errors import CannotWriteError
    from stockrnn.yahoo import _yfinance

    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder would go")
    with pytest.raises(CannotWriteError, match="cannot make yfinance's cache folder"):
        _yfinance(str(blocker / "yfinance"))
