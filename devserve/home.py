"""Where devserve keeps what belongs to the user rather than to a project: its local CA, and
notes on the instances running now."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_DIR_VARIABLE = "DEVSERVE_DATA_DIR"


def data_dir() -> Path:
    """``$DEVSERVE_DATA_DIR``, else the platform's per-user data folder + ``devserve``.

    Linux and other Unixes: ``$XDG_DATA_HOME/devserve`` (``~/.local/share/devserve``); macOS:
    ``~/Library/Application Support/devserve``; Windows: ``%LOCALAPPDATA%\\devserve``. Never the
    project folder: a CA key must not end up in a repository.
    """
    chosen = os.environ.get(DATA_DIR_VARIABLE)
    if chosen:
        return Path(chosen).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "devserve"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "devserve"
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "devserve"


def private_dir(path: Path) -> Path:
    """``path`` created if needed, readable by the user only (0700 where the OS has modes)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        path.chmod(0o700)
    return path
