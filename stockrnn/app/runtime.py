"""Application layer, where the work runs: the Keras backend of this process, and the Dask cluster's address.

Light on purpose: the command line calls these first, before anything heavy is imported.
"""

from __future__ import annotations

from pathlib import Path


def use_backend(name: str) -> str:
    """Run Keras on the backend `name` (auto, jax, tensorflow, torch) in this process and the processes it starts;
    a `UsageError` when it is unknown or not installed."""
    from .. import backend_choice

    return backend_choice.use(name)


def connect(address: str) -> None:
    """Check that the Dask scheduler at `address` answers: a `ClusterError` (exit 69) before any work starts."""
    from .. import parallel

    parallel.connect(address).close()


def start(log_file: Path | None = None, quiet: bool = False) -> None:
    """What every command does first: log lines on stderr (with `quiet` only warnings and errors) and appended to
    `log_file` (every line), and the libraries' caches confined to the home folder."""
    from .. import logs, paths

    logs.setup(log_file, quiet)
    paths.confine_libraries()


def record_error(message: str, log_file: Path | None = None) -> None:
    """The command line's error line, also appended to the log file (the one `start` set up, else `log_file`):
    a cron run that fails before any work leaves its reason in the log, not only on stderr."""
    from .. import logs

    logs.error_line(message, log_file)
