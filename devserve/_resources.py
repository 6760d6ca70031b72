"""Where the bundled ``templates/`` folder is, in a wheel or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from devserve.errors import DevserveError


@cache
def templates_dir() -> Path:
    """The templates folder: inside the package when installed, at the repo root in a checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise DevserveError("devserve's bundled templates are missing; reinstall devserve")
