"""Write what the upstream answered into the recordings folder: redacted, decoded, atomic.

Within one run, the first response recorded for a request replaces what an earlier run left
for it, and each later one joins its sequence (unless it repeats the last one: a polling page
must not grow a file forever), so replaying gives the responses in the order they came.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread

from devserve.proxy.matching import RequestKey
from devserve.proxy.redact import Redactor
from devserve.proxy.store import (
    Endpoint,
    Manifest,
    RecordedResponse,
    Variant,
    endpoint,
    extension,
    read_manifest,
    write_atomic,
    write_manifest,
)

# A polling page would otherwise grow a sequence without end.
LONGEST_SEQUENCE = 50
# Headers that describe the bytes on the wire, not the decoded body kept in the file.
_WIRE_HEADERS = frozenset({"content-length", "content-encoding", "etag", "content-md5"})


@dataclass
class Exchange:
    """One upstream response as it will be written: decoded body, headers as sent locally."""

    key: RequestKey
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    media_type: str
    upstream_ms: float | None
    redactor: Redactor


class Recorder:
    """Writes exchanges under ``root``; remembers which requests it recorded in this run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._recorded: set[tuple[object, ...]] = set()
        self._locks: dict[Path, asyncio.Lock] = {}

    def recorded_in_this_run(self, key: RequestKey) -> bool:
        return key.identity in self._recorded

    async def save(self, exchange: Exchange, *, fresh: bool = False) -> Path:
        """Write ``exchange``; ``fresh`` replaces the recorded sequence instead of extending it.

        Returns the body file. One request's manifest is rewritten by one task at a time.
        """
        where = endpoint(self.root, exchange.key.path, exchange.key.method)
        lock = self._locks.setdefault(where.manifest, asyncio.Lock())
        async with lock:
            fresh = fresh or exchange.key.identity not in self._recorded
            path = await anyio.to_thread.run_sync(_save, where, exchange, fresh)
            self._recorded.add(exchange.key.identity)
            return path


def _save(where: Endpoint, exchange: Exchange, fresh: bool) -> Path:
    manifest = read_manifest(where.manifest) or Manifest(
        method=exchange.key.method, path=exchange.key.path
    )
    variant = next((v for v in manifest.variants if v.key.same_request(exchange.key)), None)
    if variant is None:
        variant = Variant(key=exchange.key)
        manifest.variants.append(variant)
    before = manifest.files()
    redactor = exchange.redactor
    body = redactor.body(exchange.body, exchange.media_type)
    headers = [
        (name, redactor.header(name, value))
        for name, value in exchange.headers
        if name not in _WIRE_HEADERS
    ]
    if fresh:
        variant.responses = []
    elif (
        variant.responses and _same(where, variant.responses[-1], exchange.status, headers, body)
    ) or len(variant.responses) >= LONGEST_SEQUENCE:
        return where.folder / variant.responses[-1].file
    name = _free_name(where, manifest, exchange.status, extension(exchange.media_type))
    recorded = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    variant.responses.append(
        RecordedResponse(
            status=exchange.status,
            headers=headers,
            file=name,
            upstream_ms=exchange.upstream_ms,
            recorded=recorded,
        )
    )
    write_atomic(where.folder / name, body)
    write_manifest(where.manifest, manifest)
    for stale in before - manifest.files():
        (where.folder / stale).unlink(missing_ok=True)
    return where.folder / name


def _same(
    where: Endpoint,
    last: RecordedResponse,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
) -> bool:
    if last.status != status or _stable(last.headers) != _stable(headers):
        return False
    try:
        return (where.folder / last.file).read_bytes() == body
    except OSError:
        return False


def _stable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # Dates and request ids change on every response without changing what it says.
    return [
        (n, v)
        for n, v in headers
        if n not in ("date", "age", "expires", "last-modified") and "request-id" not in n
    ]


def _free_name(where: Endpoint, manifest: Manifest, status: int, ext: str) -> str:
    """The first body file name not used by this manifest (a fresh variant reuses its own)."""
    used = manifest.files()
    variant = 1
    while True:
        name = where.body_name(variant=variant, status=status, ext=ext)
        if name not in used:
            return name
        variant += 1
