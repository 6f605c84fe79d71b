"""Source stage: the file layouts people really have, and files that are not CSV at all."""

import pytest

from stockrnn.errors import DataError, MissingInputError
from stockrnn.sources import read_csv


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
    assert list(raw.frame.columns) == ["Date", "Close", "High", "Low", "Open", "Volume"]
    assert list(raw.frame.index) == [4, 5]


def test_yfinance_several_tickers_is_refused(write_csv):
    text = "Price,Close,Close\nTicker,AAPL,MSFT\nDate,,\n2024-01-02,1,2\n"
    with pytest.raises(DataError, match="several tickers \\(AAPL, MSFT\\)"):
        read_csv(write_csv("two.csv", text))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"Date,Close\n2020-01-02,10\n2020-01-03,\xff\xfe\n", "line 3: not UTF-8"),
        (b"Date,Close\n2020-01-02,10\n2020-01-03,11,12,13\n", "line 3"),
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
