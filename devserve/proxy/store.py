"""The recordings folder on disk: mock-folder envelopes, found and written where the reader looks.

``GET /users?page=2`` is recorded in ``users.mock.json`` (``users.POST.mock.json`` for a POST;
``users.v2.mock.json`` and on for other query variants), a ``.mock.json`` envelope whose
``match`` says which request it answers (devserve/proxy/matching.py); bodies that are not text
go in ``.bodies/`` beside it. Writes are atomic (temporary file, fsync, rename), so no reader
sees half a file, and never trigger a live reload.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devserve.errors import DevserveError
from devserve.files import write_atomic
from devserve.media import essence
from devserve.mocks.names import ENVELOPE, parse_name, path_names

# Raw bodies of binary responses: a dot-folder, so never served as mocks of their own.
BODIES = ".bodies"


@dataclass(frozen=True)
class Endpoint:
    """Where one method on one path lives in the folder: its directory and file name stem."""

    folder: Path
    name: str
    method: str

    def envelope_name(self, variant: int) -> str:
        """``users.mock.json``, ``users.POST.v2.mock.json``: the mock-folder grammar."""
        stem = self.name + ("" if self.method == "GET" else f".{self.method}")
        return f"{stem}{'' if variant == 1 else f'.v{variant}'}{ENVELOPE}"

    def envelopes(self) -> Iterator[Path]:
        """The envelopes of this method and path, recorded or hand-written, by name."""
        try:
            entries = sorted(self.folder.iterdir())
        except OSError:
            return
        for entry in entries:
            parsed = parse_name(entry.name, self.name)
            if parsed is not None and parsed.envelope and parsed.method == self.method:
                yield entry


def endpoint(root: Path, path: str, method: str) -> Endpoint:
    """The files of ``method path`` under ``root``, named as the mock-folder reader finds them."""
    folders, name = path_names(path)
    return Endpoint(folder=root.joinpath(*folders), name=name, method=method)


def body_extension(media_type: str) -> str:
    """A raw body file's extension, from its Content-Type (``.bin`` when nothing fits)."""
    bare = essence(media_type)
    return (mimetypes.guess_extension(bare) if bare else None) or ".bin"


def read_envelope(path: Path) -> dict[str, Any]:
    """An envelope's JSON object; DevserveError if it cannot be read."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None
    if not isinstance(data, dict):
        raise _unreadable(path, ValueError("not a JSON object"))
    return data


def _unreadable(path: Path, exc: Exception) -> DevserveError:
    return DevserveError(
        f"recording {path} cannot be read ({type(exc).__name__}: {exc}); fix or delete it"
    )


def write_envelope(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode())
