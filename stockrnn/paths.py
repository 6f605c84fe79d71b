"""Paths: the home folder, symbols that are safe as folder names and database keys, and atomic file writes.

Input: the environment ($STOCKRNN_HOME) and names from the command line. Output: paths, and files that appear
whole or not at all (written to a temporary file beside the target, synced, then renamed over it).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import CannotWriteError, MissingInputError, UsageError

SYMBOL = re.compile(r"^[A-Z0-9.\-^=]{1,20}\Z")  # Yahoo's alphabet: ^GSPC, BRK-B, EURUSD=X, 7203.T


def home() -> Path:
    """The folder that holds everything stockrnn writes."""
    if os.environ.get("STOCKRNN_HOME"):
        return Path(os.environ["STOCKRNN_HOME"]).expanduser().resolve()
    import platformdirs

    return platformdirs.user_data_path("stockrnn").resolve()


def check_symbol(text: str) -> str:
    """The canonical (upper-case) form of a symbol, or a `UsageError`. Called before any I/O: a symbol becomes
    a folder name and a database key, so only Yahoo's ASCII alphabet passes, never a path or a look-alike."""
    symbol = text  # never stripped: whitespace in a symbol is refused, not guessed away
    # isascii first: str.upper() maps some non-ASCII letters into ASCII ("ß" -> "SS", "ı" -> "I").
    if (
        not symbol.isascii()
        or not SYMBOL.match(symbol.upper())
        or ".." in symbol
        or symbol[0] in ".-"
        or symbol[-1] in ".-"
        or not any(c.isalnum() for c in symbol)  # "^", "=": punctuation names nothing
    ):
        raise UsageError(
            f"{text!r} is not a valid symbol: use 1-20 letters, digits and . - ^ = (e.g. ^GSPC, BRK-B, 7203.T)"
        )
    return symbol.upper()


FILE_SUFFIXES = (".csv", ".txt", ".tsv", ".dat", ".gz", ".bz2", ".xz", ".zip")  # a price file's name ends so; no symbol


def looks_like_file(text: str) -> bool:
    """Whether `text` reads as a file's name rather than a symbol: it holds a path separator or ends in a price
    file's suffix (.csv, .csv.gz, ...). No I/O."""
    return text.lower().endswith(FILE_SUFFIXES) or "/" in text or "\\" in text


def check_file_option(text: str, option: str) -> None:
    """A `MissingInputError` (exit 66) naming `option` and the file when `text`, an option's FILE|SYMBOL value, looks
    like a file (`looks_like_file`) that does not exist: taken for a symbol it would be refused oddly or looked up
    on the network."""
    if looks_like_file(text) and not Path(text).is_file():
        raise MissingInputError(f"{option} {text}: no such file")


def symbol_from_path(path: str | Path) -> str:
    """A default symbol from a file name: sample_data/sp500.csv -> SP500; a `UsageError` asking for --symbol when
    the name has no ASCII letter or digit to make one of (ü.csv, 日本.csv: never one shared stand-in name)."""
    stem = re.sub(r"(\.(csv|txt|tsv|dat))?(\.(gz|bz2|xz|zip))?$", "", Path(path).name, flags=re.IGNORECASE)
    name = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9.\-^=]", "-", stem))[:20].strip(".-")
    if not any(c.isalnum() for c in name):
        raise UsageError(f"{Path(path).name!r} makes no symbol; name the model with --symbol NAME")
    return check_symbol(name)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def follow_umask(path: Path) -> None:
    """Give a file or folder made by `tempfile` (0600 / 0700) the permissions the user's umask asks for."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` (its result, e.g. a byte count, unused) on a temporary file beside `path`, fsync it, then
    rename it over `path`. (A path the user named is checked by `check_output` first: only stockrnn's own folders are
    created here.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        follow_umask(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def check_output(path: str | Path) -> Path:
    """A file the user asked stockrnn to write, checked before any work: its folder must exist (a typo is not a
    folder to create) and it must not be a folder itself; a `CannotWriteError` (exit 73) otherwise."""
    path = Path(path)
    if path.is_dir():
        raise CannotWriteError(f"{path} is a folder; name a file, e.g. {path / 'plot.png'}")
    if not path.parent.is_dir():
        raise CannotWriteError(f"cannot write {path}: no folder {path.parent}")
    if not os.access(path.parent, os.W_OK):
        raise CannotWriteError(f"cannot write {path}: the folder {path.parent} is not writable")
    return path


# The libraries' own config and cache folders, each named by the variable the library reads, and its folder under the
# home's cache/. Without them they default to folders under $HOME (in brackets), which stockrnn must leave alone.
LIBRARY_FOLDERS = {
    "KERAS_HOME": "keras",  # Keras' config and downloads (~/.keras)
    "MPLCONFIGDIR": "matplotlib",  # matplotlib's config and font cache (~/.config/matplotlib, ~/.cache/matplotlib)
    # What CUDA's driver compiles from PTX for a GPU that a library's kernels were not built for, under any backend
    # (~/.nv/ComputeCache; the CUDA programming guide's environment variables)
    "CUDA_CACHE_PATH": "cuda",
    # PyTorch's: its hub and checkpoints ($XDG_CACHE_HOME/torch, else ~/.cache/torch), the CUDA kernels it compiles at
    # run time ($XDG_CACHE_HOME/torch/kernels, else ~/.cache/torch/kernels), torch.compile's Inductor (a folder in
    # /tmp) and the Triton compiler under it (its home ~/.triton, with the cache in ~/.triton/cache)
    "TORCH_HOME": "torch",
    "PYTORCH_KERNEL_CACHE_PATH": "torch/kernels",
    "TORCHINDUCTOR_CACHE_DIR": "torchinductor",
    "TRITON_HOME": "triton",
    "TRITON_CACHE_DIR": "triton/cache",
}


def confine_libraries() -> None:
    """The libraries' own config and cache folders (LIBRARY_FOLDERS: Keras, matplotlib, CUDA's and PyTorch's) inside
    the home folder, never in $HOME: everything stockrnn makes lives under its home. Set before any of them starts,
    and inherited by the processes stockrnn starts; a variable the user set is left as it is. (JAX's compiled
    programs, with XLA's autotuning results, go to the home's cache/jax: `backend`.)"""
    folder = home() / "cache"
    for variable, name in LIBRARY_FOLDERS.items():
        os.environ.setdefault(variable, str(folder / name))


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
