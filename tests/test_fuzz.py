"""Fuzz: mutated price files through the command line's loader end in a documented exit code and one line of
error (after our own log lines, if any), never a traceback, and a refused file leaves nothing under the home
folder."""

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stockrnn.cli import app

from .conftest import price_frame, sine_prices, tiny_args

VALID = price_frame(sine_prices(45, noise=0.3)).to_csv(index=False).encode()
CELLS = [b"", b"nan", b"inf", b"-inf", b"1e400", b"-1", b"0", b"9" * 400, b"1,5", b"2020-13-45", b"\xff\xfe", b"\x00"]
EXAMPLES = 40


def truncate(data: bytes, at: float) -> bytes:
    return data[: int(len(data) * at)]


def insert(data: bytes, at: float, junk: bytes) -> bytes:
    cut = int(len(data) * at)
    return data[:cut] + junk + data[cut:]


def swap_columns(data: bytes, a: int, b: int) -> bytes:
    rows = [line.split(b",") for line in data.split(b"\n")]
    for row in rows:
        if max(a, b) < len(row):
            row[a], row[b] = row[b], row[a]
    return b"\n".join(b",".join(row) for row in rows)


def replace_cell(data: bytes, line: int, column: int, cell: bytes) -> bytes:
    lines = data.split(b"\n")
    row = lines[line % len(lines)].split(b",")
    row[column % len(row)] = cell
    lines[line % len(lines)] = b",".join(row)
    return b"\n".join(lines)


MUTATIONS = st.one_of(
    st.builds(truncate, st.just(VALID), st.floats(0, 1)),
    st.builds(insert, st.just(VALID), st.floats(0, 1), st.binary(min_size=1, max_size=64)),
    st.builds(insert, st.just(VALID), st.floats(0, 1), st.just(b"x" * 200_000)),  # a very long line
    st.builds(swap_columns, st.just(VALID), st.integers(0, 6), st.integers(0, 6)),
    st.builds(replace_cell, st.just(VALID), st.integers(0, 46), st.integers(0, 6), st.sampled_from(CELLS)),
)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MUTATIONS)
def test_mutated_files_exit_cleanly_and_refusals_write_nothing(data):
    with tempfile.TemporaryDirectory() as folder:
        csv, home = Path(folder) / "prices.csv", Path(folder) / "home"
        csv.write_bytes(data)
        args = ["train", "--csv", str(csv), *tiny_args(window=5, epochs=1, units=2)]
        result = CliRunner().invoke(app, args, env={"STOCKRNN_HOME": str(home)})
        assert result.exit_code in (0, 2, 65, 66), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        if result.exit_code != 0:
            *notes, last = result.stderr.splitlines()
            assert last.startswith("error: "), result.stderr  # one error line, last
            assert all(re.match(r"\d{4}-\d\d-\d\dT[\d:]+ (INFO|WARNING) ", note) for note in notes), notes  # ours
            assert not home.exists() or not any(home.rglob("*")), sorted(home.rglob("*"))
