"""Files devserve wrote itself, so the watcher never mistakes its own writes for a user's edit."""

from __future__ import annotations

import os
import threading
from pathlib import Path

# (inode, mtime_ns, size): a later write by anyone else changes at least one of them.
Signature = tuple[int, int, int]


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def current(path: Path) -> Signature | None:
    """The file's signature now, or None when it does not exist."""
    try:
        return signature(path.stat())
    except OSError:
        return None


class OwnWrites:
    """Remembers the signature each file had right after devserve wrote it."""

    def __init__(self) -> None:
        self._written: dict[Path, Signature] = {}
        self._lock = threading.Lock()  # writes finish in worker threads

    def remember(self, path: Path, written: Signature) -> None:
        with self._lock:
            self._written[path] = written

    def is_own(self, path: Path) -> bool:
        """True when the file is still exactly as devserve last wrote it."""
        with self._lock:
            written = self._written.get(path)
        return written is not None and current(path) == written


OWN_WRITES = OwnWrites()
