"""Validate stage: every accepted layout becomes the canonical frame; every refusal names what is wrong."""

import logging

import numpy as np
import pandas as pd
import pytest

from stockrnn.errors import DataError
from stockrnn.validate import load_csv

from .conftest import SP500

# Loading prints only our own messages: any warning a library raises on these paths fails the test.
pytestmark = pytest.mark.filterwarnings("error")

CANONICAL = ["open", "high", "low", "close", "volume"]


def assert_canonical(frame: pd.DataFrame) -> None:
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.tz is None
    assert frame.index.name == "date"
    assert frame.index.is_unique and frame.index.is_monotonic_increasing
    assert list(frame.columns[:5]) == CANONICAL
    assert all(dtype == np.float64 for dtype in frame.dtypes)


def test_sample_data_loads():
    prices = load_csv(SP500)
    assert_canonical(prices.frame)
    assert list(prices.frame.columns) == [*CANONICAL, "adj_close"]
    assert len(prices.frame) == 5031
    assert prices.frame.index[0] == pd.Timestamp("1999-01-04")
    assert prices.frame.loc["2016-12-30", "close"] == pytest.approx(2238.830078)
    assert prices.repairs == []


@pytest.mark.parametrize(
    "text",
    [
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n2020-01-03,1.5,2,1,1.8,200\n",
        "Date,Open,High,Low,Close,Volume\n1/2/2020,1,2,0.5,1.5,100\n1/3/2020,1.5,2,1,1.8,200\n",
        "Date,Open,High,Low,Close,Volume\n01/02/2020,1,2,0.5,1.5,100\n01/03/2020,1.5,2,1,1.8,200\n",
        # yfinance's timezone-aware index written by to_csv: the local trading day counts
        "Date,Open,High,Low,Close,Volume\n2020-01-02 00:00:00-05:00,1,2,0.5,1.5,100\n"
        "2020-01-03 00:00:00-05:00,1.5,2,1,1.8,200\n",
        # an Asian exchange: +09:00 must not move the day back when converted
        "Date,Open,High,Low,Close,Volume\n2020-01-02 00:00:00+09:00,1,2,0.5,1.5,100\n"
        "2020-01-03 00:00:00+09:00,1.5,2,1,1.8,200\n",
        # thousands separators as published price files print them, plus extra columns
        'Date,Open,High,Low,Close,Volume,Dividends,Note\n2020-01-02,"1",2,0.5,"1.5","100",0,x\n'
        '2020-01-03,1.5,2,1,1.8,"200",0,y\n',
        # nasdaq.com's layout: Close/Last with dollar signs, newest first
        "Date,Close/Last,Volume,Open,High,Low\n01/03/2020,$1.8,200,$1.5,$2,$1\n01/02/2020,$1.5,100,$1,$2,$0.5\n",
    ],
)
def test_layouts(write_csv, text):
    frame = load_csv(write_csv("p.csv", text)).frame
    assert_canonical(frame)
    assert list(frame.index) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert frame["close"].tolist() == [1.5, 1.8]
    assert frame["volume"].tolist() == [100.0, 200.0]


def test_plain_files_read_as_the_cleaning_path_reads_them(write_csv):
    """Plain numbers and YYYY-MM-DD dates take a quick reading; one published-style cell in a column sends that
    column through the cleaning reading: both give the same frame, to the last bit."""
    text = SP500.read_text(encoding="utf-8")
    header, first, rest = text.split("\n", 2)
    day, opening, high, low, close, adjusted, volume = first.split(",")
    assert day == "1999-01-04"
    published = f'01/04/1999,${opening},{high},{low},"${float(close):,.6f}",{adjusted},"{int(volume):,}"'
    quick, cleaned = load_csv(SP500).frame, load_csv(write_csv("published.csv", f"{header}\n{published}\n{rest}")).frame
    pd.testing.assert_frame_equal(quick, cleaned, check_exact=True)


def test_thousands_separators_and_adj_close(write_csv):
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        '2017-01-03,"2,251.57","2,263.88","2,245.13","2,257.83","2,257.83","3,770,530,000"\n'
        '2017-01-04,"2,261.60","2,272.82","2,261.60","2,270.75","2,270.75","3,764,890,000"\n'
    )
    frame = load_csv(write_csv("sp.csv", text)).frame
    assert frame["close"].tolist() == [2257.83, 2270.75]
    assert frame["adj_close"].tolist() == [2257.83, 2270.75]
    assert frame["volume"].iloc[0] == 3_770_530_000


def test_yfinance_to_csv_round_trip(write_csv):
    """A frame shaped like a yfinance download (MultiIndex columns, tz-aware index), written by pandas."""
    index = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], tz="America/New_York", name="Date")
    columns = pd.MultiIndex.from_product(
        [["Close", "High", "Low", "Open", "Volume"], ["AAPL"]], names=["Price", "Ticker"]
    )
    values = np.array(
        [
            [185.6, 188.4, 183.8, 187.1, 82488700],
            [184.2, 185.8, 183.4, 184.2, 58414500],
            [181.9, 183.0, 180.8, 182.1, 71983600],
        ]
    )
    path = write_csv("yf.csv", "")
    pd.DataFrame(values, index=index, columns=columns).to_csv(path)
    frame = load_csv(path).frame
    assert_canonical(frame)
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert frame["close"].tolist() == [185.6, 184.2, 181.9]


def test_repairs_are_made_and_counted(write_csv, caplog):
    caplog.set_level(logging.INFO, logger="stockrnn")
    # unsorted, one exact duplicate, one holiday row without a price
    text = "Date,Close\n2020-01-06,3\n2020-01-02,1\n2020-01-03,2\n2020-01-03,2\n2020-01-01,null\n"
    prices = load_csv(write_csv("r.csv", text))
    assert prices.frame["close"].tolist() == [1.0, 2.0, 3.0]
    assert any("dropped 1 rows without prices (first: line 6" in r for r in prices.repairs)
    assert "dropped 1 exact duplicate rows" in prices.repairs
    assert "sorted 3 rows into date order" in prices.repairs
    assert "no 'open', 'high', 'low', 'volume' columns: left empty" in prices.repairs
    assert prices.frame["volume"].isna().all()
    assert "sorted 3 rows" in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Day,Price\n2020-01-02,1\n", "no 'close' column; found: 'Day', 'Price'"),
        ("Close,Open\n1,2\n", "no 'date' column; found: 'Close', 'Open'"),
        (
            "Date,Close\n2020-01-02,1\n2020-01-03,abc\n",
            "line 3 \\(2020-01-03\\), column 'Close': 'abc' is not a number",
        ),
        ("Date,Close\n2020-01-02,1\n2020-01-03,-5\n", "line 3 \\(2020-01-03\\), column 'Close': -5 is not a positive"),
        ("Date,Close\n2020-01-02,1\n2020-01-03,0\n", "line 3 \\(2020-01-03\\), column 'Close': 0 is not a positive"),
        ("Date,Open,Close\n2020-01-02,1,1\n2020-01-03,,2\n", "line 3 \\(2020-01-03\\), column 'Open' is empty"),
        ("Date,Close\n2020-01-02,1\n2020-13-45,2\n", "line 3, column 'Date': '2020-13-45' is not a date"),
        ("Date,Close\n2020-01-02,1\nyesterday,2\n", "line 3, column 'Date': 'yesterday' is not a date"),
        ("Date,Close\n2020-01-02,1\n2020-01-03,2\n2020-01-03,2.5\n", "2020-01-03 appears on lines 3, 4"),
        ("Date,Close,Volume\n2020-01-02,1,-3\n", "column 'Volume': -3 is a negative volume"),
        ("Date,Close,close\n2020-01-02,1,1\n", "'Close' and 'close' both look like 'close'"),
        ("Date,Close\n2020-01-02,inf\n", "'inf' is not a number"),
    ],
)
def test_refusals_name_file_row_column_value(write_csv, text, message):
    with pytest.raises(DataError, match=message) as caught:
        load_csv(write_csv("bad.csv", text))
    assert "bad.csv" in str(caught.value)
    assert caught.value.exit_code == 65


def test_required_column_follows_the_option(write_csv):
    path = write_csv("c.csv", "Date,Close\n2020-01-02,1\n")
    with pytest.raises(DataError, match="no 'adj_close' column"):
        load_csv(path, required=("adj_close",))


def test_european_file_semicolons_decimal_commas_dotted_dates(write_csv):
    text = "Date;Open;High;Low;Close;Volume\n02.01.2020;1.234,50;1.250,00;1.230,00;1.240,25;1.000\n"
    text += "03.01.2020;1.240,25;1.245,00;1.200,75;1.210,50;2.000\n"
    prices = load_csv(write_csv("eu.csv", text))
    assert prices.frame.index.tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]  # day first
    assert prices.frame["close"].tolist() == [1240.25, 1210.5]
    assert prices.frame["volume"].tolist() == [1000.0, 2000.0]


def test_day_first_only_when_the_file_proves_it(write_csv):
    us = load_csv(write_csv("us.csv", "Date,Close\n1/2/2020,10\n1/3/2020,11\n"))
    assert us.frame.index[0] == pd.Timestamp("2020-01-02")  # M/D/YYYY unless a first field is above 12
    proven = load_csv(write_csv("uk.csv", "Date,Close\n10/1/2020,10\n13/1/2020,11\n"))
    assert proven.frame.index.tolist() == [pd.Timestamp("2020-01-10"), pd.Timestamp("2020-01-13")]
    assert "read dates day first (D/M/YYYY): line 3 has '13/1/2020'" in proven.repairs
    said = load_csv(write_csv("said.csv", "Date,Close\n1/2/2020,10\n2/2/2020,11\n"), date_format="%d/%m/%Y")
    assert said.frame.index[0] == pd.Timestamp("2020-02-01") and said.date_format == "%d/%m/%Y"
    with pytest.raises(DataError, match="line 2 has '13/1/2020' \\(day first\\) but line 3 has '1/13/2020'"):
        load_csv(write_csv("mixed.csv", "Date,Close\n13/1/2020,10\n1/13/2020,11\n"))
    with pytest.raises(DataError, match="line 3, column 'Date': '2020-01-03' is not a date \\(--date-format %d/%m/%Y"):
        load_csv(write_csv("iso.csv", "Date,Close\n01/02/2020,10\n2020-01-03,11\n"), date_format="%d/%m/%Y")


@pytest.mark.parametrize("header", ["Date", "Datetime", "timestamp", "DAY", "Trade Date"])
def test_a_bad_date_names_the_files_own_date_column(write_csv, header):
    if header == "Trade Date":  # not a date header stockrnn knows: refused for that, naming what it found
        with pytest.raises(DataError, match="no 'date' column; found: 'Trade Date', 'Close'"):
            load_csv(write_csv("d.csv", f"{header},Close\n2020-01-02,1\n"))
        return
    with pytest.raises(DataError, match=f"line 3, column '{header}': 'yesterday' is not a date"):
        load_csv(write_csv("d.csv", f"{header},Close\n2020-01-02,1\nyesterday,2\n"))
    with pytest.raises(DataError, match=f"column '{header}': '2020-01-03' is not a date \\(--date-format %d/%m/%Y"):
        load_csv(write_csv("f.csv", f"{header},Close\n01/02/2020,10\n2020-01-03,11\n"), date_format="%d/%m/%Y")


DAYS = pd.bdate_range("1998-12-30", periods=4).append(pd.bdate_range("2024-02-27", periods=4))  # 9 and 10 digits


@pytest.mark.parametrize("unit", ["s", "ms"])
@pytest.mark.parametrize("hour", [0, 9.5, 14.5, 23])  # the bar's time in UTC: Tokyo's open, New York's, a late close
@pytest.mark.parametrize("named", [False, True])
def test_unix_time_dates_are_read_as_their_utc_day(write_csv, unit, hour, named):
    stamps = ((DAYS + pd.Timedelta(hours=hour) - pd.Timestamp("1970-01-01")) // pd.Timedelta("1s")).to_numpy()
    stamps = stamps * (1000 if unit == "ms" else 1)
    text = "Date,Close\n" + "".join(f"{t},{10 + i}\n" for i, t in enumerate(stamps))
    date_format = {"s": "epoch", "ms": "epoch-ms"}[unit] if named else None
    prices = load_csv(write_csv("unix.csv", text), date_format=date_format)
    assert_canonical(prices.frame)
    assert prices.frame.index.tolist() == DAYS.tolist()
    what = f"Unix time in {'seconds' if unit == 's' else 'milliseconds'}"
    assert (f"read dates as {what} (UTC days): line 2 has '{stamps[0]}'" in prices.repairs) != named


@pytest.mark.parametrize(
    ("cells", "date_format", "message"),
    [
        (["1483401600", "1483488000", "20170105"], None, "line 4, column 'Date': '20170105' is not a date \\(expected "
         "Unix time in seconds, as line 2 has"),
        (["1483401600000", "1483488000"], None, "line 3, column 'Date': '1483488000' is not a date"),
        (["1483401600", "x"], "epoch", "line 3, column 'Date': 'x' is not a date \\(--date-format epoch: Unix time"),
        (["99999999999999999999"], "epoch-ms", "line 2, column 'Date': '99999999999999999999' is not a date"),
        (["20170103", "20170104"], None, "'20170103' is not a date \\(expected YYYY-MM-DD, M/D/YYYY, D/M/YYYY or "
         "Unix time; or say which with --date-format"),
    ],
)  # fmt: skip
def test_what_is_not_unix_time_is_refused_with_its_line(write_csv, cells, date_format, message):
    text = "Date,Close\n" + "".join(f"{c},{10 + i}\n" for i, c in enumerate(cells))
    with pytest.raises(DataError, match=message):
        load_csv(write_csv("bad.csv", text), date_format=date_format)
