"""Regenerate sample_data/ from the data sets that the `arch` package bundles.

    pip install arch && python scripts/make_sample_data.py

arch is needed only here, never at run time: the CSV files it writes are committed.
"""

from pathlib import Path

from arch.data import nasdaq, sp500

OUT = Path(__file__).resolve().parent.parent / "stockrnn" / "sample_data"  # package data; sample_data/ links here
COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]


def main() -> None:
    for name, module in (("sp500", sp500), ("nasdaq", nasdaq)):
        frame = module.load()[COLUMNS]
        frame.index.name = "Date"
        path = OUT / f"{name}.csv"
        # %.6f keeps every digit that arch's files hold; lineterminator pins LF on every platform.
        frame.to_csv(path, float_format="%.6f", date_format="%Y-%m-%d", lineterminator="\n")
        print(f"{path}: {len(frame)} rows, {frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d}")


if __name__ == "__main__":
    main()
