"""`python -m stockrnn`: the same command line as `stockrnn`."""

from .cli import main

main()
