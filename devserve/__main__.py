"""Entry point for ``python -m devserve``."""

from devserve.cli import main

main()
