"""``python -m aesdata``: the same command line as ``aesdata``."""

from aesdata.cli import main

main()
