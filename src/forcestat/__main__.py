"""``python -m forcestat``: the same command line as ``forcestat``."""

from .cli import main

main()
