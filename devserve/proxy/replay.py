"""Answer from the recordings folder; on a miss, name the nearest recording and what differed.

Not knowing why a replay missed is the top complaint about VCR.py and Polly.js: the 404 here
says which recording came closest and, field by field, how the request differs from it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.responses import JSONResponse, Response

from devserve.errors import DevserveError
from devserve.media import media_type
from devserve.proxy.matching import RequestKey
from devserve.proxy.store import (
    Manifest,
    RecordedResponse,
    endpoint,
    manifests,
    plain_bodies,
    read_manifest,
)


@dataclass(frozen=True)
class Found:
    """A recording for a request: the response file and how to answer with it."""

    file: Path
    status: int
    headers: list[tuple[str, str]] | None  # None: a hand-written file, typed by its extension


class Replayer:
    """Finds recordings under ``root`` and steps through each request's sequence."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._positions: dict[tuple[object, ...], int] = {}

    async def find(self, key: RequestKey) -> Found | None:
        """The next recorded response for ``key`` (the last one repeats), or None."""
        if self.root is None:
            return None
        return await anyio.to_thread.run_sync(self._find, key)

    def _find(self, key: RequestKey) -> Found | None:
        assert self.root is not None
        where = endpoint(self.root, key.path, key.method)
        manifest = read_manifest(where.manifest)
        if manifest is not None:
            for variant in manifest.variants:
                if variant.key.same_request(key) and variant.responses:
                    position = self._positions.get(key.identity, 0)
                    self._positions[key.identity] = position + 1
                    chosen = variant.responses[min(position, len(variant.responses) - 1)]
                    return _found(where.folder, chosen)
            return None
        for file, status in plain_bodies(where):
            return Found(file=file, status=status, headers=None)
        return None

    async def nearest(self, key: RequestKey) -> dict[str, Any] | None:
        """The recording closest to ``key``: its request, its file and what differs."""
        if self.root is None or not self.root.is_dir():
            return None
        return await anyio.to_thread.run_sync(self._nearest, key)

    def _nearest(self, key: RequestKey) -> dict[str, Any] | None:
        assert self.root is not None
        best: tuple[float, RequestKey, Path] | None = None
        for path in manifests(self.root):
            try:
                manifest = read_manifest(path) or Manifest(method="", path="")
            except DevserveError:
                continue
            for variant in manifest.variants:
                score = _closeness(key, variant.key)
                if best is None or score > best[0]:
                    best = (score, variant.key, path)
        if best is None:
            return None
        _, recorded, path = best
        return {
            "request": recorded.describe(),
            "file": str(path.relative_to(self.root)),
            "differs": key.differences(recorded),
        }


def _found(folder: Path, response: RecordedResponse) -> Found:
    return Found(file=folder / response.file, status=response.status, headers=response.headers)


def _closeness(key: RequestKey, recorded: RequestKey) -> float:
    """Same path first, then same method, then fewest differences, then the likest path."""
    score = 100.0 if key.path == recorded.path else 0.0
    score += 10.0 if key.method == recorded.method else 0.0
    score -= len(key.differences(recorded))
    return score + difflib.SequenceMatcher(None, key.path, recorded.path).ratio()


async def replayed(found: Found, *, head: bool) -> Response:
    """The response a recording gives (its body read now, so an edit shows at once)."""
    try:
        body = await anyio.to_thread.run_sync(found.file.read_bytes)
    except OSError as exc:
        return JSONResponse(
            {
                # Its name and reason only: the answer may reach any page, the path must not.
                "error": f"the recording's body file {found.file.name!r} cannot be read "
                f"({exc.strerror or type(exc).__name__})",
                "fix": "restore the file, or delete the recording and record it again",
            },
            status_code=500,
        )
    headers = found.headers
    if headers is None:
        headers = [("content-type", media_type(found.file.name))]
    response = Response(b"" if head else body, status_code=found.status)
    response.raw_headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in headers
    ] + [(b"content-length", str(len(body)).encode())]
    return response


def missed(key: RequestKey, *, root: Path | None, nearest: dict[str, Any] | None) -> Response:
    """The 404 of a replay miss: what was asked, what came closest, and how to get it."""
    if root is None:
        fix = 'set record = "DIR" on this origin to record the upstream, then replay it'
    elif nearest is None:
        fix = (
            f"nothing is recorded in {root} yet: run with the upstream reachable and "
            'record_mode = "missing" (the default) to record it'
        )
    else:
        fix = (
            'record it (run without --offline, record_mode "missing"), add a file by hand, '
            "or make the request match the nearest recording"
        )
    body = {
        "error": f"no recording for {key.describe()}",
        "mode": "replay",
        "nearest": nearest,
        "fix": fix,
    }
    return JSONResponse(body, status_code=404, headers={"Cache-Control": "no-store"})
