"""A note a running devserve leaves when its dashboard could not start, so that `status` and
`cors` for that project say so at once, instead of waiting on a port something else holds and
then saying that no devserve runs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from devserve.files import write_atomic
from devserve.home import data_dir


@dataclass(frozen=True)
class RunNote:
    pid: int
    config: str
    dashboard: str  # why the dashboard is not there, as the banner says it


def _path(config: Path) -> Path:
    key = hashlib.sha256(str(config.resolve()).encode()).hexdigest()[:16]
    return data_dir() / "running" / f"{key}.json"


def leave(config: Path, dashboard: str) -> None:
    """This process serves ``config`` without a dashboard, because ``dashboard``."""
    note = {"pid": os.getpid(), "config": str(config.resolve()), "dashboard": dashboard}
    with contextlib.suppress(OSError):  # a note is a courtesy: serving goes on without it
        write_atomic(_path(config), json.dumps(note).encode())


def clear(config: Path) -> None:
    """Forget this process's note (its dashboard runs now, or it stops)."""
    path = _path(config)
    note = _read(path)
    if note is not None and note.pid == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()


def find(config: Path) -> RunNote | None:
    """The note of a devserve that runs ``config`` now without a dashboard, if there is one."""
    note = _read(_path(config))
    if note is None or note.config != str(config.resolve()) or not _alive(note.pid):
        return None
    return note


def _read(path: Path) -> RunNote | None:
    try:
        data = json.loads(path.read_text())
        return RunNote(
            pid=int(data["pid"]), config=str(data["config"]), dashboard=str(data["dashboard"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
