"""The devserve command line: only this package prints and exits (STYLE rule 4)."""

from devserve.cli.root import app, main

__all__ = ["app", "main"]
