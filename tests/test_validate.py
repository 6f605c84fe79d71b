"""Validate stage: every accepted layout becomes the canonical frame; every refusal names what is wrong."""

import gzip
import logging
import re

import numpy as np
import pandas as pd
import pytest

from stockrnn.checks import checked
from stockrnn.errors import DataError, UsageError
from stockrnn.price_source import PriceSource
from stockrnn.sources import read_csv
from stockrnn.validate import file_symbol, load_csv, validate

from .conftest import ROOT, SP500

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
        ("Day,Value\n2020-01-02,1\n", "no 'close' column; found: 'Day', 'Value'"),
        ("Close,Open\n1,2\n", "no 'date' column; found: 'Close', 'Open'"),
        (
            "Date,Close\n2020-01-02,1\n2020-01-03,abc\n",
            "line 3 \\(2020-01-03\\), column 'Close': 'abc' is not a number",
        ),
        ("Date,Close\n2020-01-02,1\n2020-01-03,-5\n", "line 3 \\(2020-01-03\\), column 'Close': -5 is not a positive"),
        ("Date,Close\n2020-01-02,1\n2020-01-03,0\n", "line 3 \\(2020-01-03\\), column 'Close': 0 is not a positive"),
        ("Date,Open,Close\n2020-01-02,1,1\n2020-01-03,2,\n", "line 3 \\(2020-01-03\\), column 'Close' is empty"),
        ("Date,Close\n2020-01-02,1\n2020-13-45,2\n", "line 3, column 'Date': '2020-13-45' is not a date"),
        ("Date,Close\n2020-01-02,1\nyesterday,2\n", "line 3, column 'Date': 'yesterday' is not a date"),
        ("Date,Close\n2020-01-02,1\n2020-01-03,2\n2020-01-03,2.5\n", "2020-01-03 appears on lines 3, 4"),
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


# --- Layouts people export (issue 29, kind 7), generated shaped exactly as the exports write them ---


def investing_com(days: pd.DatetimeIndex, close: np.ndarray, volumes: list[str]) -> str:
    """investing.com's "Historical Data" download: every cell quoted, newest first, `May 08, 2018`, thousands
    separators, volumes with K/M/B, a Change % column; the close is the `Price` column."""
    rows = ['"Date","Price","Open","High","Low","Vol.","Change %"']
    for day, price, volume, change in reversed(list(zip(days, close, volumes, np.r_[0, np.diff(close)], strict=True))):
        cells = [f"{day:%b %d, %Y}", *(f"{v:,.2f}" for v in (price, price * 0.99, price * 1.01, price * 0.98))]
        rows.append(",".join(f'"{c}"' for c in [*cells, volume, f"{change:.2f}%"]))
    return "\n".join(rows) + "\n"


def quantmod(days: pd.DatetimeIndex, columns: dict[str, np.ndarray]) -> bytes:
    """R's quantmod `getSymbols` then `write.zoo(x, sep=",")`, gzipped as ../shared/data/panel keeps it: a quoted
    header `"Index","AAPL.Open",...`, quoted dates, numbers to 15 digits, NA for a missing value."""
    header = ",".join(f'"{name}"' for name in ["Index", *columns])
    rows = [
        ",".join([f'"{day:%Y-%m-%d}"', *("NA" if np.isnan(v[i]) else f"{v[i]:.15g}" for v in columns.values())])
        for i, day in enumerate(days)
    ]
    return gzip.compress(("\n".join([header, *rows]) + "\n").encode(), mtime=0)


def quantmod_columns(symbol: str, close: np.ndarray) -> dict[str, np.ndarray]:
    fields = {"Open": close * 0.99, "High": close * 1.01, "Low": close * 0.98, "Close": close,
              "Volume": np.full(len(close), 260556800.0), "Adjusted": close * 0.85}  # fmt: skip
    return {f"{symbol}.{name}": values for name, values in fields.items()}


DAYS = pd.bdate_range("2018-05-01", periods=6)
CLOSE = np.array([1012.5, 1020.25, 998.0, 1001.75, 1010.0, 1015.5])


def test_alpha_vantage_numbered_fields(write_csv):
    text = "timestamp,1. open,2. high,3. low,4. close,5. adjusted close,6. volume\n2020-01-02,1,2,0.5,1.5,1.4,100\n"
    frame = load_csv(write_csv("av.csv", text)).frame
    assert frame.iloc[0].tolist() == [1.0, 2.0, 0.5, 1.5, 100.0, 1.4]


def test_investing_com_export(write_csv, caplog):
    volumes = ["194.67K", "1.20M", "3.4B", "-", "850", "12.5k"]
    prices = load_csv(write_csv("investing.csv", investing_com(DAYS, CLOSE, volumes)))
    assert_canonical(prices.frame)
    assert prices.frame.index[0] == pd.Timestamp("2018-05-01") and prices.frame.index[-1] == pd.Timestamp("2018-05-08")
    assert prices.frame["close"].tolist() == CLOSE.tolist()  # Price: the close, as there is no Close
    assert prices.frame["volume"].tolist()[:3] == [194_670.0, 1_200_000.0, 3_400_000_000.0]
    assert np.isnan(prices.frame["volume"].iloc[3]) and prices.frame["volume"].iloc[4:].tolist() == [850.0, 12_500.0]
    assert prices.warnings == [] and "WARNING" not in caplog.text
    assert "sorted 6 rows into date order" in prices.repairs  # newest first


@pytest.mark.parametrize(
    "text",
    [
        'Date,Close\n"May 08, 2018",10\n"Sep 4, 2018",11\n',
        'Date,Close\nMay 8 2018,10\n"Sept. 04, 2018",11\n',
        'Date,Close\n"MAY 08, 2018",10\n"September 04, 2018",11\n',
    ],
)
def test_month_names(write_csv, text):
    frame = load_csv(write_csv("m.csv", text)).frame
    assert frame.index.tolist() == [pd.Timestamp("2018-05-08"), pd.Timestamp("2018-09-04")]


def test_a_month_that_is_no_month_is_not_a_date(write_csv):
    with pytest.raises(
        DataError, match="line 3, column 'Date': 'Foo 04, 2018' is not a date \\(expected .*Mon DD, YYYY"
    ):
        load_csv(write_csv("m.csv", 'Date,Close\n"May 08, 2018",10\n"Foo 04, 2018",11\n'))


@pytest.mark.parametrize(
    ("volumes", "header", "line", "cell"),
    [
        (["194.67K", "1.2X", "3", "4", "5", "6"], "Vol.", 6, "1.2X"),  # newest first: 2018-05-02 is line 6
        (["1", "2", "3", "4", "5", "-7"], "Vol.", 2, "-7"),
    ],
)
def test_a_column_the_model_does_not_read_never_refuses_the_file(write_csv, caplog, volumes, header, line, cell):
    """The volume (or open, high, low for a close model) is warned about, named with its first bad cell, and left
    empty; the model's column is read."""
    prices = load_csv(write_csv("investing.csv", investing_com(DAYS, CLOSE, volumes)))
    assert prices.frame["close"].tolist() == CLOSE.tolist()
    assert prices.frame["volume"].isna().all()
    (warning,) = prices.warnings
    assert f"investing.csv, line {line} (" in warning and f"column {header!r}" in warning and cell in warning
    assert warning.endswith("the model does not read it: left empty") and warning in caplog.text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Date,Open,Close\n2020-01-02,1,1\n2020-01-03,,2\n", "line 3 (2020-01-03), column 'Open' is empty"),
        ("Date,Open,Close\n2020-01-02,1,1\n2020-01-03,abc,2\n", "column 'Open': 'abc' is not a number"),
        ("Date,Open,Close\n2020-01-02,1,1\n2020-01-03,-1,2\n", "column 'Open': -1 is not a positive price"),
        ("Date,Close,Volume\n2020-01-02,1,-3\n", "column 'Volume': -3 is a negative volume"),
    ],
)
def test_unread_columns_warn_and_read_columns_refuse(write_csv, text, words):
    path = write_csv("p.csv", text)
    prices = load_csv(path)
    assert any(words in w for w in prices.warnings), prices.warnings
    name = "open" if "Open" in words else "volume"
    assert prices.frame[name].isna().all() and prices.frame["close"].notna().all()
    with pytest.raises(DataError, match=re.escape(words)):  # a download for the store, which every model reads
        validate(read_csv(path), every_column=True)
    if name == "open":  # the same cell refuses the file when the model reads that column
        with pytest.raises(DataError, match=re.escape(words)) as caught:
            load_csv(path, required=("open",))
        assert caught.value.exit_code == 65


def test_strict_refuses_what_validation_warned_about(write_csv):
    prices = load_csv(write_csv("p.csv", "Date,Open,Close\n2020-01-02,1,1\n2020-01-03,abc,1.01\n"))
    assert checked(prices, "close").warnings == prices.warnings  # kept, the checks finding nothing more
    with pytest.raises(DataError, match="'abc' is not a number.*--strict refuses data that looks wrong"):
        checked(prices, "close", strict=True)


def test_quantmod_export(write_csv):
    close = CLOSE.copy()
    close[2] = np.nan  # quantmod writes NA
    columns = quantmod_columns("BRK-B", close)
    columns["BRK-B.Open"][2] = columns["BRK-B.High"][2] = columns["BRK-B.Low"][2] = np.nan
    columns["BRK-B.Volume"][2] = columns["BRK-B.Adjusted"][2] = np.nan
    path = write_csv("download.csv.gz", quantmod(DAYS, columns))
    prices = load_csv(path)
    assert_canonical(prices.frame)
    assert list(prices.frame.columns) == [*CANONICAL, "adj_close"]  # Index: the date; Adjusted: adj_close
    assert prices.frame["close"].tolist() == [c for c in CLOSE.tolist() if c != CLOSE[2]]
    assert prices.frame["adj_close"].tolist() == pytest.approx(prices.frame["close"] * 0.85)
    assert prices.repairs == ["dropped 1 rows without prices (first: line 4, 2018-05-03)"]
    assert prices.ticker is None  # one ticker's columns: nothing to pick
    assert file_symbol(path) == "BRK-B"  # the model's default name, whatever the file is called
    assert PriceSource(csv=path).name == "BRK-B" and PriceSource(csv=path, symbol="X").name == "X"
    assert load_csv(path, required=("adj_close",), ticker="brk-b").ticker == "BRK-B"
    # which of the file's columns each canonical one came from, said in the file's words
    assert prices.headers == {
        "date": "Index",
        **{c: f"BRK-B.{c.title()}" for c in CANONICAL},
        "adj_close": "BRK-B.Adjusted",
    }
    assert prices.read_from("close") == (
        "read close from the column 'BRK-B.Close'; 'BRK-B.Adjusted' is the close adjusted for dividends too: "
        "--column adj_close learns it"
    )
    assert prices.read_from("adj_close") == "read adj_close from the column 'BRK-B.Adjusted'"


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("Close", None),  # named plainly: nothing to say
        ("Adj Close", None),
        ("Price", "read close from the column 'Price'"),  # investing.com's: the close, as there is no Close
        ("XYZ.Close", "read close from the column 'XYZ.Close'"),
    ],
)
def test_read_from_says_the_files_column_where_its_name_does_not(write_csv, header, said):
    column = "adj_close" if header == "Adj Close" else "close"
    prices = load_csv(write_csv("p.csv", f"Date,{header}\n2020-01-02,1\n2020-01-03,2\n"), required=(column,))
    assert prices.read_from(column) == said


@pytest.mark.parametrize(
    ("headers", "symbol"),
    [
        (["Index", "VOD.L.Open", "VOD.L.Close"], "VOD.L"),  # a ticker with a dot: the last dot splits
        (["Date", "Adj. Close", "Close"], None),  # a name with a dot is no prefix
        (["Date", "AAPL.Close", "MSFT.Close"], None),  # several: no default
        (["Date", "Close.1", "Close"], None),
        (["timestamp", "1. open", "4. close", "5. volume"], None),  # Alpha Vantage numbers its fields
    ],
)
def test_file_symbol(write_csv, headers, symbol):
    path = write_csv("f.csv", ",".join(headers) + "\n2020-01-02" + ",1" * (len(headers) - 1) + "\n")
    assert file_symbol(path) == symbol
    assert PriceSource(csv=path).name == (symbol or "F")


WIDE = "Index,AAPL.Close,AAPL.Volume,MSFT.Close,MSFT.Volume\n2020-01-02,10,100,20,200\n2020-01-03,11,110,21,210\n"


def test_several_tickers_in_the_column_names(write_csv):
    path = write_csv("wide.csv", WIDE)
    with pytest.raises(UsageError) as caught:
        load_csv(path)
    assert str(caught.value) == (
        f"{path}: 2 tickers in the column names (AAPL, MSFT); pick one with --ticker, e.g. --ticker AAPL"
    )
    assert caught.value.exit_code == 2
    msft = load_csv(path, ticker="msft")
    assert msft.frame["close"].tolist() == [20.0, 21.0] and msft.frame["volume"].tolist() == [200.0, 210.0]
    assert msft.ticker == "MSFT" and PriceSource(csv=path, ticker="msft").name == "MSFT"
    with pytest.raises(UsageError, match=re.escape(f"{path}: no ticker 'IBM' in the column names (AAPL, MSFT)")):
        load_csv(path, ticker="IBM")


def test_yfinance_download_of_several_tickers(write_csv):
    text = "Price,Close,Close,Volume,Volume\nTicker,AAPL,MSFT,AAPL,MSFT\nDate,,,,\n2024-01-02,185.6,370.9,8,9\n"
    path = write_csv("yf.csv", text)
    with pytest.raises(UsageError, match="2 tickers in the column names \\(AAPL, MSFT\\); pick one with --ticker"):
        load_csv(path)
    assert load_csv(path, ticker="MSFT").frame["close"].tolist() == [370.9]


def long_file(header: str, tickers: list[str], days: pd.DatetimeIndex = DAYS) -> str:
    """One row per ticker and day, the ticker in its own column, as a database export or Kaggle's
    all_stocks_5yr.csv (`date,open,high,low,close,volume,Name`) writes them."""
    columns = header.split(",")
    rows = [header]
    for k, ticker in enumerate(tickers, start=1):
        for day, close in zip(days, CLOSE[: len(days)] * k, strict=True):
            cells = {"date": f"{day:%Y-%m-%d}", "close": f"{close}", "open": f"{close}", "high": f"{close * 1.01}",
                     "low": f"{close * 0.99}", "volume": "1000"}  # fmt: skip
            rows.append(",".join(cells.get(c.lower(), ticker) for c in columns))
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    "header", ["Date,Symbol,Open,High,Low,Close,Volume", "date,open,high,low,close,volume,Name", "Ticker,Date,Close"]
)
def test_a_long_file_of_several_tickers(write_csv, header):
    path = write_csv("long.csv", long_file(header, ["AAA", "BBB", "CCC"]))
    column = next(c for c in header.split(",") if c.lower() in ("symbol", "name", "ticker"))
    with pytest.raises(UsageError) as caught:
        load_csv(path)
    assert str(caught.value) == (
        f"{path}: 3 tickers in column {column!r} (AAA, BBB, CCC); pick one with --ticker, e.g. --ticker AAA"
    )
    assert caught.value.exit_code == 2
    bbb = load_csv(path, ticker="bbb")
    assert_canonical(bbb.frame)
    assert bbb.frame["close"].tolist() == (CLOSE * 2).tolist() and bbb.ticker == "BBB"
    assert list(bbb.frame.index) == list(DAYS)
    with pytest.raises(UsageError, match=re.escape(f"no ticker 'ZZZ' in column {column!r} (AAA, BBB, CCC)")):
        load_csv(path, ticker="ZZZ")


def test_a_long_file_of_one_ticker_needs_no_choice(write_csv):
    prices = load_csv(write_csv("one.csv", long_file("Date,Symbol,Close", ["AAA"])))
    assert prices.frame["close"].tolist() == CLOSE.tolist() and prices.ticker is None


def test_many_tickers_are_counted_not_listed(write_csv):
    tickers = [f"T{i:03d}" for i in range(505)]
    path = write_csv("all.csv", long_file("date,close,Name", tickers, DAYS[:1]))
    with pytest.raises(UsageError, match=re.escape("505 tickers in column 'Name' (T000, T001, T002, T003, T004, T005, "
                                                   "T006, T007, T008, T009, ... (505 in all))")):  # fmt: skip
        load_csv(path)


def test_a_ticker_that_is_no_symbol_asks_for_one(write_csv):
    path = write_csv("names.csv", long_file("Date,Name,Close", ["Apple Inc", "Microsoft Corp"]))
    assert load_csv(path, ticker="apple inc").frame["close"].tolist() == CLOSE.tolist()
    with pytest.raises(UsageError, match="--ticker 'apple inc' names no model: .*; name it with --symbol NAME"):
        _ = PriceSource(csv=path, ticker="apple inc").name
    assert PriceSource(csv=path, ticker="apple inc", symbol="AAPL").name == "AAPL"


def test_a_ticker_for_a_file_of_one_series_is_refused(write_csv):
    path = write_csv("p.csv", "Date,Close\n2020-01-02,1\n")
    with pytest.raises(UsageError, match="--ticker AAPL, but the file holds one series .*leave --ticker out") as caught:
        load_csv(path, ticker="AAPL")
    assert caught.value.exit_code == 2


def test_one_date_twice_names_the_column_that_tells_the_rows_apart(write_csv):
    path = write_csv("stocks.csv", long_file("Date,Stock,Close", ["AAA", "BBB"]))
    with pytest.raises(DataError) as caught:
        load_csv(path)
    assert str(caught.value) == (
        f"{path}: 2018-05-01 appears on lines 2, 8 with different values; column 'Stock' differs there ('AAA', "
        "'BBB'): one series a file, or name that column Symbol and pick one with --ticker"
    )


PANEL = ROOT.parent / "shared" / "data" / "panel" / "AAPL.csv.gz"  # beside the clone in CI; absent elsewhere


@pytest.mark.skipif(not PANEL.is_file(), reason=f"no {PANEL}")
def test_a_real_quantmod_file():
    prices = load_csv(PANEL)
    assert_canonical(prices.frame)
    assert list(prices.frame.columns) == [*CANONICAL, "adj_close"]
    assert len(prices.frame) == 5033 and prices.frame.index[0] == pd.Timestamp("2003-10-30")
    assert prices.frame.loc["2003-10-30", "close"] == pytest.approx(0.412321001291275)
    assert prices.repairs == [] and prices.warnings == []
    assert file_symbol(PANEL) == "AAPL"


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


EPOCH_DAYS = pd.bdate_range("1998-12-30", periods=4).append(pd.bdate_range("2024-02-27", periods=4))  # 9 and 10 digits


@pytest.mark.parametrize("unit", ["s", "ms"])
@pytest.mark.parametrize("hour", [0, 9.5, 14.5, 23])  # the bar's time in UTC: Tokyo's open, New York's, a late close
@pytest.mark.parametrize("named", [False, True])
def test_unix_time_dates_are_read_as_their_utc_day(write_csv, unit, hour, named):
    stamps = ((EPOCH_DAYS + pd.Timedelta(hours=hour) - pd.Timestamp("1970-01-01")) // pd.Timedelta("1s")).to_numpy()
    stamps = stamps * (1000 if unit == "ms" else 1)
    text = "Date,Close\n" + "".join(f"{t},{10 + i}\n" for i, t in enumerate(stamps))
    date_format = {"s": "epoch", "ms": "epoch-ms"}[unit] if named else None
    prices = load_csv(write_csv("unix.csv", text), date_format=date_format)
    assert_canonical(prices.frame)
    assert prices.frame.index.tolist() == EPOCH_DAYS.tolist()
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
        (["20170103", "20170104"], None, "'20170103' is not a date \\(expected YYYY-MM-DD, M/D/YYYY, D/M/YYYY, Mon DD, "
         "YYYY or Unix time; or say which with --date-format"),
    ],
)  # fmt: skip
def test_what_is_not_unix_time_is_refused_with_its_line(write_csv, cells, date_format, message):
    text = "Date,Close\n" + "".join(f"{c},{10 + i}\n" for i, c in enumerate(cells))
    with pytest.raises(DataError, match=message):
        load_csv(write_csv("bad.csv", text), date_format=date_format)
