"""Source stage: the file layouts people really have, and files that are not CSV at all."""

import bz2
import gzip
import io
import lzma
import time
import zipfile

import pytest

from stockrnn.errors import DataError, MissingInputError
from stockrnn.sources import column_names, read_csv

# Loading prints only our own messages: any warning a library raises on these paths fails the test.
pytestmark = pytest.mark.filterwarnings("error")


def test_line_numbers_follow_the_file(write_csv):
    path = write_csv("a.csv", "Date,Close\n2020-01-02,10\n\n2020-01-03,11\n")
    raw = read_csv(path)
    assert list(raw.frame.index) == [2, 4]  # the blank line 3 is dropped, numbering kept
    assert raw.frame["Close"].tolist() == ["10", "11"]
    assert len(raw.sha256) == 64


def test_bom_and_crlf(write_csv):
    path = write_csv("bom.csv", "\ufeffDate,Close\r\n2020-01-02,10\r\n2020-01-03,11\r\n".encode())
    raw = read_csv(path)
    assert list(raw.frame.columns) == ["Date", "Close"]
    assert raw.frame["Close"].tolist() == ["10", "11"]


def test_yfinance_multirow_header(write_csv):
    text = (
        "Price,Close,High,Low,Open,Volume\n"
        "Ticker,AAPL,AAPL,AAPL,AAPL,AAPL\n"
        "Date,,,,,\n"
        "2024-01-02,185.6,188.4,183.8,187.1,82488700\n"
        "2024-01-03,184.2,185.8,183.4,184.2,58414500\n"
    )
    raw = read_csv(write_csv("aapl.csv", text))
    # Named as quantmod names them: validate strips the one ticker (and offers it as the model's name).
    assert list(raw.frame.columns) == ["Date", "AAPL.Close", "AAPL.High", "AAPL.Low", "AAPL.Open", "AAPL.Volume"]
    assert list(raw.frame.index) == [4, 5]


def test_yfinance_several_tickers_keep_each_ticker_in_its_column_names(write_csv):
    text = "Price,Close,Close,Adj Close\nTicker,AAPL,MSFT,^GSPC\nDate,,,\n2024-01-02,1,2,3\n"
    raw = read_csv(write_csv("two.csv", text))  # validate picks one with --ticker
    assert list(raw.frame.columns) == ["Date", "AAPL.Close", "MSFT.Close", "^GSPC.Adj Close"]
    assert raw.frame.loc[4].tolist() == ["2024-01-02", "1", "2", "3"]


@pytest.mark.parametrize(
    ("name", "content", "names"),
    [
        (
            "q.csv.gz",
            gzip.compress(b'"Index","AAPL.Open","AAPL.Close"\n"2003-10-30",0.4,0.41\n', mtime=0),
            ["Index", "AAPL.Open", "AAPL.Close"],
        ),
        ("yf.csv", b"Price,Close\nTicker,AAPL\nDate,\n2024-01-02,1\n", ["Date", "AAPL.Close"]),
        ("eu.csv", b"\xef\xbb\xbfDate;Close\r\n02.01.2020;1,5\r\n", ["Date", "Close"]),
        ("bad.csv", b"\x89PNG\r\n\x1a\n\x00\x00", []),  # read_csv says why
    ],
    ids=["quantmod-gzip", "yfinance", "semicolons-bom", "binary"],
)
def test_column_names_read_the_header_alone(write_csv, tmp_path, name, content, names):
    assert column_names(write_csv(name, content)) == names
    assert column_names(tmp_path / "absent.csv") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"Date,Close\n2020-01-02,10\n2020-01-03,\xff\xfe\n", "line 3: not UTF-8"),
        (b"Date,Close\n2020-01-02,10\n2020-01-03,11,12,13\n", "line 3"),
        (b"Date,Close\n2020-01-02,10,12\n2020-01-03,11\n", "expected 2 fields in line 2, saw 3"),  # was a warning
    ],
)
def test_not_a_csv(write_csv, content, message):
    with pytest.raises(DataError, match=message) as caught:
        read_csv(write_csv("bad.csv", content))
    assert "bad.csv" in str(caught.value)
    assert caught.value.exit_code == 65


def test_missing_file_exits_66(tmp_path):
    with pytest.raises(MissingInputError, match="no such file") as caught:
        read_csv(tmp_path / "nope.csv")
    assert caught.value.exit_code == 66


PLAIN = "Date,Close\n2020-01-02,10\n2020-01-03,11\n"


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("prices.csv.gz", lambda b: gzip.compress(b, mtime=0)),
        ("prices.bz2", lambda b: bz2.compress(b)),
        ("prices.csv.xz", lambda b: lzma.compress(b)),
        ("prices.dat", lambda b: gzip.compress(b, mtime=0)),  # known by its first bytes, not by its name
        ("prices.zip", lambda b: zipped({"prices.csv": b, "__MACOSX/._prices.csv": b"x"})),
    ],
)
def test_compressed_files_read_as_the_plain_one(write_csv, name, pack):
    raw = read_csv(write_csv(name, pack(PLAIN.encode())))
    plain = read_csv(write_csv("plain.csv", PLAIN))
    assert raw.frame.equals(plain.frame)
    assert raw.sha256 != plain.sha256  # the fingerprint is of the file as it is on disk


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip archive of `members` (name -> bytes), the same bytes whenever it is made."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            # A fixed date: writestr(name) stamps each member with the clock, and these archives are made while
            # pytest collects, once in each xdist worker; bytes that differ between workers are different tests.
            archive.writestr(zipfile.ZipInfo(member, date_time=(2020, 1, 2, 0, 0, 0)), data)
    return buffer.getvalue()


def test_the_archives_are_the_same_whenever_they_are_made(monkeypatch):
    members = {"a.csv": b"x", "b.csv": b"y"}
    first = zipped(members)
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)  # a clock in 2033: what writestr(name) would stamp
    assert zipped(members) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert [i.date_time for i in archive.infolist()] == [(2020, 1, 2, 0, 0, 0)] * 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (zipped({"a.csv": b"x", "b.csv": b"y"}), "a zip archive must hold exactly one CSV file; it holds a.csv, b.csv"),
        (
            zipped({"[Content_Types].xml": b"x", "xl/workbook.xml": b"y"}),
            r"an Excel workbook \(.xlsx\).* save it as CSV",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"an Excel workbook \(.xls\).* save it as CSV"),
        (gzip.compress(PLAIN.encode(), mtime=0)[:-12], "a damaged gzip file"),
    ],
    # Named: an id spelled out from the bytes (pytest 8 spells out all bytes, pytest 9 those up to 100 long)
    # changes whenever the bytes do, and names say which case failed.
    ids=["two-csv-zip", "xlsx", "xls", "damaged-gzip"],
)
def test_archives_that_are_not_one_csv_say_what_to_do(write_csv, content, message):
    with pytest.raises(DataError, match=message) as caught:
        read_csv(write_csv("bad.csv", content))
    assert caught.value.exit_code == 65


def test_semicolons_with_decimal_commas_and_tabs(write_csv):
    european = read_csv(
        write_csv("eu.csv", "Date;Open;Close\n02.01.2020;1.234,50;1.240,25\n03.01.2020;1.240,25;99,5\n")
    )
    assert list(european.frame.columns) == ["Date", "Open", "Close"] and european.decimal == ","
    tabs = read_csv(write_csv("tabs.tsv", "Date\tClose\n2020-01-02\t1234.5\n"))
    assert list(tabs.frame.columns) == ["Date", "Close"] and tabs.decimal == "."
    semicolon_points = read_csv(write_csv("p.csv", "Date;Close\n2020-01-02;1234.5\n"))
    assert semicolon_points.decimal == "."  # a semicolon alone does not make commas decimal


def test_a_header_past_the_csv_modules_field_limit_is_a_clean_refusal(write_csv):
    """Python's csv module refuses a field over 131072 characters with its own error: the names read from a header
    give none, and the file is refused as a file, never with csv's error escaping (the fuzz test found it)."""
    from stockrnn.errors import DataError
    from stockrnn.sources import column_names
    from stockrnn.validate import load_csv

    path = write_csv("long.csv", "x" * 150_000 + "Date,Close\n2015-01-02,1.5\n")
    assert column_names(path) == []
    with pytest.raises(DataError):
        load_csv(path)
