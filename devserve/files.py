"""Writing a user's files: the one atomic write (a reader sees the old file or the new one, never
half of one, even if devserve is killed), and the files devserve wrote itself, so the watcher
never mistakes its own writes for a user's edit."""

from __future__ import annotations

import contextlib
import os
import tempfile
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


class EditedOnDisk(Exception):
    """The file is no longer the version devserve last read or wrote: someone edited it."""


def write_atomic(
    path: Path,
    content: bytes | list[bytes],
    *,
    expected: Signature | None = None,
    mode: int | None = None,
) -> Signature:
    """Write ``content`` (bytes, or pieces written one after the other) to ``path``: a
    temporary file in the same folder (its ``.tmp`` suffix is one the watcher ignores), flushed
    and synced, renamed over ``path``, the folder synced so the rename is durable too. The file
    keeps its mode (a new one gets 0644, not mkstemp's 0600: it is an ordinary project file).
    With ``expected``, EditedOnDisk instead when the file on disk is no longer that version,
    checked as late as possible before the rename.
    ``mode`` gives the file that mode whatever it had (a private key: 0600, from the first byte).
    Returns the new file's signature, remembered as devserve's own write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _mode_of(path) if mode is None else mode)
            if isinstance(content, bytes):
                handle.write(content)
            else:
                handle.writelines(content)  # no joined copy of a big file
            handle.flush()
            os.fsync(handle.fileno())
        on_disk = current(path)
        if expected is not None and on_disk is not None and on_disk != expected:
            raise EditedOnDisk(path)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)
    written = signature(path.stat())
    OWN_WRITES.remember(path, written)
    return written


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o644


def _sync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a folder be opened.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)
