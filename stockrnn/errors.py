"""Typed errors: every failure the core can foresee, each with the exit code the CLI returns for it.

The codes follow sysexits(3), so that a cron wrapper can tell bad data from a temporary failure.
"""


class StockRNNError(Exception):
    """Base of every error stockrnn raises on purpose; `exit_code` is what the CLI exits with."""

    exit_code = 1


class UsageError(StockRNNError):
    """The command line asks for something impossible (bad date, unknown column, bad symbol)."""

    exit_code = 2


class DataError(StockRNNError):
    """Input data that would train garbage: the message names the file, the row or date and the value."""

    exit_code = 65


class MissingInputError(StockRNNError):
    """A file or a model that should exist does not."""

    exit_code = 66


class SourceUnavailableError(StockRNNError):
    """A data source cannot be reached and nothing stored can stand in for it."""

    exit_code = 69


class ClusterError(StockRNNError):
    """A Dask cluster cannot be reached, has no workers, or runs other versions than this client."""

    exit_code = 69


class CannotWriteError(StockRNNError):
    """An output (model, plot) cannot be written; nothing half-written is left behind."""

    exit_code = 73


class TemporaryError(StockRNNError):
    """Try again later: a lock is held, the network is down, a rate limit was hit."""

    exit_code = 75


class LockedError(TemporaryError):
    """Another run holds the symbol's lock."""


class LostTaskError(TemporaryError):
    """A cluster lost a task: its worker died on every try, or it ran past its timeout. Run again."""
