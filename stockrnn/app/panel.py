"""Application layer, panels: a `PanelSource` (a folder of price files, or a watchlist) read into a `Panel`, and a
global model trained on it and stored as one registry entry.

Input: a `PanelSource`, the price column a model would learn and the exchange calendar; for training a name and a
`TrainConfig`. Output: `panel.Panel`, each member validated and looked at (`checks`) as a single symbol's prices
are; what cannot be read is left out with a warning naming the file (or, with `strict`, refuses the panel). See
panel.py for the rules. `train_panel` stores `panel_train.fit_panel`'s model under its name (`PanelTrainResult`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import backend, registry
from ..checks import checked
from ..config import CALENDAR, TrainConfig
from ..errors import DataError, MissingInputError, StockRNNError, UsageError
from ..features import covers
from ..manifest import Manifest
from ..panel import Panel, Read, Skipped, assemble
from ..panel_train import fit_panel, pooled
from ..paths import check_file_option, check_symbol, looks_like_file, symbol_from_path
from ..price_source import PanelSource
from ..significance import Comparison
from ..train import EpochProgress
from ..validate import file_symbol, load_csv
from ..watchlist import Entry, read_watchlist
from ..windows import parse_day
from .prices import symbol_prices

# What a folder's price files are called: a CSV-like text, maybe compressed (sources.py reads them by their bytes).
PRICE_FILE = re.compile(r"\.(csv|txt|tsv|dat)(\.(gz|bz2|xz|zip))?$|\.zip$", re.IGNORECASE)
LISTED = 5  # other files a message names before it counts the rest


def price_files(folder: Path) -> list[Path]:
    """The price files in `folder` (not its subfolders, nor hidden files), sorted by name. Raises
    `MissingInputError` when it is no folder, or holds no price file (naming what it holds)."""
    if not folder.is_dir():
        raise MissingInputError(f"{folder}: no such folder (--panel takes a folder of price files)")
    names = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    found = [p for p in names if PRICE_FILE.search(p.name)]
    if not found:
        others = ", ".join(p.name for p in names[:LISTED]) + (
            f" ... ({len(names)} in all)" if len(names) > LISTED else ""
        )
        holds = f"it holds {others}" if names else "it is empty"
        raise MissingInputError(f"{folder}: no price files (.csv, .csv.gz, .txt, .zip, ...) in this folder; {holds}")
    return found


def load_panel(source: PanelSource, column: str = "close", calendar: str = CALENDAR) -> Panel:
    """`source`'s members, each read as `stockrnn train --csv` (or a symbol) would read it for `column`, checked
    beside `calendar`. Raises `MissingInputError` for no folder, no price file or no watchlist, `UsageError` for a
    watchlist line with per-model options, `DataError` for two sources of one symbol or no member left, and with
    `source.strict` the first member's own error."""
    if source.folder is not None:
        reads = [_read_file(path, column, source.strict, calendar) for path in price_files(source.folder)]
    else:
        assert source.watchlist is not None  # PanelSource's own check
        reads = [_read_entry(e, source, column, calendar) for e in _entries(source.watchlist)]
    panel = assemble(reads, source.where, source.strict)
    if source.folder is not None:  # a file named by its columns, not its name: said once the panel stands
        for read in reads:
            named = _named(Path(read.where))
            if read.error is None and named is not None and named != read.symbol:
                log.info("%s: its columns name %s, so the member is %s, not %s", read.where, read.symbol,
                         read.symbol, named)  # fmt: skip
    return panel


def _named(path: Path) -> str | None:
    """The symbol a file's name would make (symbol_from_path); None when it makes none."""
    try:
        return symbol_from_path(path)
    except UsageError:
        return None


def _read_file(path: Path, column: str, strict: bool, calendar: str) -> Read:
    """One folder file as a member: its symbol from its columns (quantmod's AAPL.Close) or its name; a file whose
    columns name another symbol than its name is the columns' symbol (load_panel says so)."""
    try:
        symbol = file_symbol(path) or symbol_from_path(path)
    except UsageError as exc:
        return Read(path.name, str(path), error=exc)
    try:
        return Read(symbol, str(path), checked(load_csv(path, required=(column,)), column, strict, calendar))
    except StockRNNError as exc:
        return Read(symbol, str(path), error=exc)


def _entries(watchlist: Path) -> list[Entry]:
    """The watchlist's lines; per-model training options have no place in a panel (one model, one configuration),
    and a csv= file whose columns name another symbol than its line's is refused (`DataError`) unless the line says
    `ticker=`: the member would be recorded, and its forecasts scored, under the line's symbol."""
    entries = read_watchlist(watchlist)
    for entry in entries:
        if entry.options:
            given = " ".join(f"{k}={v}" for k, v in entry.options.items())
            raise UsageError(
                f"{watchlist}: {entry.symbol} {given}: a panel trains one model with one configuration; give training "
                "options on the command line"
            )
        own = file_symbol(entry.csv) if entry.csv is not None and entry.ticker is None else None
        if own is not None and own != entry.symbol:
            raise DataError(
                f"{watchlist}, line {entry.line}: {entry.symbol} csv={entry.csv}: the file's columns say {own}, not "
                f"{entry.symbol}; name the line {own}, or add ticker={own} to keep {own}'s prices as {entry.symbol}"
            )
    return entries


def _read_entry(entry: Entry, source: PanelSource, column: str, calendar: str) -> Read:
    """One watchlist line as a member: its csv= file (its date format, its ticker), else the symbol's stored prices."""
    where = entry.csv or f"{source.watchlist}: {entry.symbol}"
    try:
        if entry.csv is not None:
            prices = load_csv(entry.csv, required=(column,), date_format=entry.date_format, ticker=entry.ticker)
        else:
            prices = symbol_prices(entry.symbol, source.offline, source.adjusted, source.strict)
        return Read(entry.symbol, where, checked(prices, column, source.strict, calendar))
    except StockRNNError as exc:
        return Read(entry.symbol, where, error=exc)


log = logging.getLogger("stockrnn")


@dataclass(frozen=True)
class PanelTrainResult:
    """A global model stored under its name: the version's folder and manifest, each member's validation verdicts,
    and the members left out (the command exits non-zero when there are any: `exit_code`)."""

    name: str
    folder: Path  # models/<NAME>/v<N>
    manifest: Manifest
    verdicts: dict[str, list[Comparison]]
    skipped: tuple[Skipped, ...]

    @property
    def members(self) -> dict[str, dict]:
        """Member -> its record in the manifest (index, data range, training days, validation scores)."""
        return dict((self.manifest.data.panel or {}).get("members", {}))

    pooled: tuple[Comparison, ...] = ()  # the pooled tests of every member's validation days, one per baseline

    @property
    def verdict(self) -> str:
        """The pooled validation verdict in one line: the global model against its target's baseline over every
        member's validation days, one test (panel_train.pooled_validation); the members' own verdicts counted when
        there is none."""
        return self.pooled[0].line() if self.pooled else self.counted

    @property
    def counted(self) -> str:
        """The members' own validation verdicts counted in one line (panel_train.pooled)."""
        return pooled(self.verdicts)

    @property
    def exit_code(self) -> int:
        """0 when every member trained; else the first left-out member's reason is not this run's to hide: 1."""
        return 1 if self.skipped else 0


def market_series(
    text: str, panel: Panel | None, offline: bool = False, adjusted: bool = True, calendar: str = CALENDAR
) -> tuple[pd.Series, str]:
    """The market's closes by date for the `market` feature (`--market FILE|SYMBOL`), and where they came from: a
    member of `panel` of that symbol, else the file `text`, else the symbol's stored prices (fetched unless
    `offline`). `MissingInputError`, `DataError` as reading any prices."""
    symbol = text.strip().upper()
    check_file_option(text, "--market")
    if panel is not None and symbol in panel.members:
        prices = panel.members[symbol]
    elif Path(text).is_file():
        prices = checked(load_csv(Path(text), required=("close",)), "close", False, calendar)
    else:
        prices = symbol_prices(check_symbol(symbol), offline, adjusted)
    return prices.frame["close"].dropna(), prices.source


def market_needed(
    config: TrainConfig, market: str | None, panel: Panel | None, offline: bool, adjusted: bool
) -> tuple[pd.Series, str] | None:
    """The market series the config's features need (None when they do not), checked to cover the training period:
    `check_market`'s errors first."""
    check_market(config, market)
    if market is None:
        return None
    return market_series(market, panel, offline, adjusted, config.calendar)


def check_market(config: TrainConfig, market: str | None) -> None:
    """The checks of `--market` that need nothing read, made before any price is read or fetched: a `UsageError`
    when the config's features ask for the market without `market`, or `market` is given without the feature; a
    `MissingInputError` (exit 66) naming --market when `market` looks like a file (a path separator, a price file's
    suffix) that does not exist, rather than taking it for a symbol."""
    wanted = "market" in config.feature_names
    if market is None:
        if wanted:
            raise UsageError("--features market needs the market's prices: --market FILE|SYMBOL")
        return
    if not wanted:
        raise UsageError("--market is for --features ...,market; add market to --features, or leave --market out")
    check_file_option(market, "--market")


def read_panel(
    source: PanelSource, config: TrainConfig, market: str | None = None
) -> tuple[Panel, pd.Series | None, str | None]:
    """`source`'s panel (less the market, when it is one of its members), and when the config's features ask for it
    the market's closes and where to read them again (`market_again`), checked to cover the training period; else
    None, None."""
    panel = load_panel(source, config.column, config.calendar)
    found = market_needed(config, market, panel, source.offline, source.adjusted)
    if found is None or market is None:
        return panel, None, None
    series, where = found
    again = market_again(market, panel)
    panel = panel.without({s for s, p in panel.members.items() if s == market.strip().upper() or p.source == where})
    start = parse_day(config.train_start, "--train-start") or panel.calendar[0]
    end = parse_day(config.train_end, "--train-end") or panel.calendar[-1]
    days = panel.calendar[(panel.calendar >= start) & (panel.calendar <= end)]
    if len(days) == 0:
        raise DataError(f"{source.where}: no trading day between {start:%Y-%m-%d} and {end:%Y-%m-%d}")
    covers(series, days[0], days[-1], where)
    return panel, series, again


def market_again(text: str, panel: Panel | None = None) -> str:
    """Where `--market text` is read again (by predict, retrain): a member's or a file's absolute path, else the
    symbol."""
    symbol = text.strip().upper()
    if panel is not None and symbol in panel.members and panel.members[symbol].kind == "csv":
        return str(Path(panel.members[symbol].source).absolute())
    if Path(text).is_file():
        return str(Path(text).absolute())
    return symbol


def market_of(manifest: Manifest, offline: bool = False) -> pd.Series | None:
    """The market's closes a stored model of the `market` feature reads to forecast, from where its manifest recorded
    them (`data.market`; a global model written before it: `data.panel["market"]`), fetched unless `offline` for a
    symbol; None for a model without the feature. A `DataError` naming the model when none was recorded."""
    config = manifest.config
    if "market" not in config.feature_names:
        return None
    where = manifest.data.market or (manifest.data.panel or {}).get("market")
    if not where:
        raise DataError(
            f"{manifest.symbol} {manifest.version} reads the market feature, but its manifest does not say where the "
            "market's prices came from; retrain it with --market FILE|SYMBOL"
        )
    if looks_like_file(where) and not Path(where).is_file():
        raise MissingInputError(
            f"--market {where} (recorded with the model: its market feature's prices): no such file now; put the "
            "file back there, or retrain the model with --market FILE|SYMBOL"
        )
    return market_series(where, None, offline, config.adjusted, config.calendar)[0]


def member_symbols(source: PanelSource) -> dict[str, str]:
    """Each symbol `source` names -> where (a folder's file, by its columns or its name; a watchlist's line), read
    from the headers and lines alone; a file whose symbol cannot be read is left to `load_panel` to say."""
    if source.watchlist is not None:
        return {e.symbol: f"{source.watchlist}, line {e.line}" for e in read_watchlist(source.watchlist)}
    assert source.folder is not None  # PanelSource's own check
    found: dict[str, str] = {}
    for path in price_files(source.folder):
        try:
            found.setdefault(file_symbol(path) or symbol_from_path(path), str(path))
        except StockRNNError:
            continue
    return found


def check_name(source: PanelSource, name: str) -> None:
    """Refuse (`UsageError`, exit 2), before anything is read or trained, a global model's `name` that is one of
    its members' symbols (`predict NAME` and `track` would read the member as the panel) or whose registry entry
    holds a single symbol's model (a rollback would switch kinds)."""
    members = member_symbols(source)
    if name in members:
        raise UsageError(
            f"--name {name}: {members[name]} is the member {name} of this panel; a global model needs a name no "
            "member has (e.g. --name PANEL)"
        )
    registry.refuse_other_kind(name, panel=True)


def train_panel(
    source: PanelSource,
    name: str,
    config: TrainConfig,
    market: str | None = None,
    progress: EpochProgress | None = None,
) -> PanelTrainResult:
    """Read `source`'s members, train one model on all of them up to `config.train_end` (panel_train.fit_panel) and
    store it as `name`'s new champion, its manifest recording `source`. `market`: a member's symbol, a file or a
    symbol, for the `market` feature (a member named as the market is not a member). Raises `UsageError` for a bad
    name (`check_name`) or options, `MissingInputError`/`DataError` as `load_panel`, `DataError` when the market
    series does not cover the training period or no member can train, `LockedError` when another run holds `name`."""
    name = check_symbol(name)
    check_market(config, market)  # before the members' files are opened
    check_name(source, name)
    if config.mixed_precision:
        backend.check_mixed_precision(config.cell)
    if source.folder is not None:  # recorded as an absolute path: retrain and predict find it from any folder
        source = dataclasses.replace(source, folder=source.folder.absolute())
    panel, series, again = read_panel(source, config, market)
    with registry.lock(name):
        fitted = fit_panel(panel, config, series, progress)
        record = dict(fitted.manifest.data.panel or {}, source=source.to_json())
        data = dataclasses.replace(fitted.manifest.data, panel=record, market=again)  # again: for predict, retrain
        manifest = dataclasses.replace(fitted.manifest, data=data)
        folder = registry.save_version(name, backend.model_to_bytes(fitted.model), fitted.scaler, manifest)
        stored = registry.load_version(name, folder.name).manifest
    for one in fitted.skipped[len(panel.skipped) :]:  # the panel's own were said when it was read
        log.warning("%s", one.line())
    return PanelTrainResult(name, folder, stored, fitted.verdicts, fitted.skipped, tuple(fitted.pooled))
