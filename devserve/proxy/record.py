"""Write what the upstream answered into the recordings folder: redacted, decoded, atomic.

Each request is one envelope: its ``match`` (devserve/proxy/matching.py), and its response, or
its ``responses`` in order (``once-then-last``) when it was asked again. Within one run, the
first response recorded for a request replaces what an earlier run left for it, and each later
one joins the sequence (unless it repeats the last one: a polling page must not grow a file
forever). JSON bodies go in the envelope as ``json``, text as ``body``, anything else as a
file in ``.bodies/``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread

from devserve.files import write_atomic
from devserve.proxy.matching import RequestKey, canonical
from devserve.proxy.redact import Redactor
from devserve.proxy.store import (
    BODIES,
    Endpoint,
    body_extension,
    endpoint,
    read_envelope,
    write_envelope,
)

# A polling page would otherwise grow a sequence without end.
LONGEST_SEQUENCE = 50
# Headers that describe the bytes on the wire, not the decoded body kept in the file.
_WIRE_HEADERS = frozenset({"content-length", "content-encoding", "etag", "content-md5"})
# Headers that change on every response without changing what it says.
_UNSTABLE = frozenset({"date", "age", "expires", "last-modified"})


@dataclass
class Exchange:
    """One upstream response as it will be written: decoded body, headers as sent locally."""

    key: RequestKey
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    media_type: str
    redactor: Redactor


class Recorder:
    """Writes exchanges under ``root``; remembers which requests it recorded in this run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._recorded: set[tuple[str, str, str]] = set()
        self._locks: dict[Path, asyncio.Lock] = {}

    def recorded_in_this_run(self, key: RequestKey) -> bool:
        return key.identity in self._recorded

    def remember(self, key: RequestKey) -> None:
        """``key`` was recorded in this run (a stream or a conversation, written elsewhere)."""
        self._recorded.add(key.identity)

    async def save(self, exchange: Exchange, *, fresh: bool = False) -> Path:
        """Write ``exchange``; ``fresh`` replaces the recorded sequence instead of extending it.

        Returns the envelope. One path's envelopes are rewritten by one task at a time.
        """
        where = endpoint(self.root, exchange.key.path, exchange.key.method)
        lock = self._locks.setdefault(where.folder / where.envelope_name(1), asyncio.Lock())
        async with lock:
            fresh = fresh or exchange.key.identity not in self._recorded
            path = await anyio.to_thread.run_sync(_save, where, exchange, fresh)
            self._recorded.add(exchange.key.identity)
            return path


def _save(where: Endpoint, exchange: Exchange, fresh: bool) -> Path:
    path, old = envelope_of(where, exchange.key)
    responses = [] if fresh or old is None else _responses(old)
    redactor = exchange.redactor
    body = redactor.body(exchange.body, exchange.media_type)
    headers: dict[str, str | list[str]] = {}
    for name, value in without_wire_headers(exchange.headers):
        add_header(headers, name, redactor.header(name, value))
    if responses and (
        len(responses) >= LONGEST_SEQUENCE
        or _same(where.folder, responses[-1], exchange, headers, body)
    ):
        return path
    item: dict[str, Any] = {"status": exchange.status, "headers": headers}
    item.update(_body_entry(path, len(responses) + 1, body, exchange.media_type))
    raw = item.pop("raw", None)
    if raw is not None:  # before the envelope that names it
        write_atomic(where.folder / item["file"], raw)
    responses.append(item)
    data: dict[str, Any] = {"match": exchange.key.match}
    if len(responses) == 1:
        data.update(item)
    else:
        data.update(order="once-then-last", responses=responses)
    write_envelope(path, data)
    if old is not None:
        _remove_stale(where.folder, _files(old) - _files(data))
    return path


def without_wire_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers worth writing down: not those that describe the bytes on the wire."""
    return [(name, value) for name, value in headers if name not in _WIRE_HEADERS]


def envelope_of(where: Endpoint, key: RequestKey) -> tuple[Path, dict[str, Any] | None]:
    """The envelope recorded for ``key`` and its content, or a free name for a new one."""
    wanted = canonical(key.match)
    for path in where.envelopes():
        data = read_envelope(path)
        if canonical(data.get("match")) == wanted:
            return path, data
    variant = 1
    while (where.folder / where.envelope_name(variant)).exists():
        variant += 1
    return where.folder / where.envelope_name(variant), None


def _responses(data: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(data.get("responses"), list):
        return [dict(item) for item in data["responses"] if isinstance(item, dict)]
    return [{key: value for key, value in data.items() if key not in ("match", "order")}]


def add_header(headers: dict[str, str | list[str]], name: str, value: str) -> None:
    present = headers.get(name)
    if present is None:
        headers[name] = value
    else:
        headers[name] = [*([present] if isinstance(present, str) else present), value]


def _body_entry(envelope: Path, number: int, body: bytes, media_type: str) -> dict[str, Any]:
    """How a body is kept: parsed JSON, text, or (with ``raw``, written later) a file."""
    if not body:
        return {}
    if "json" in media_type:
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            pass
        else:
            if value is not None:  # `"json": null` would mean "no body"
                return {"json": value}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        stem = envelope.name.removesuffix(".mock.json")
        name = f"{BODIES}/{stem}.{number}{body_extension(media_type)}"
        return {"file": name, "raw": body}


def _same(
    folder: Path,
    last: dict[str, Any],
    exchange: Exchange,
    headers: dict[str, str | list[str]],
    body: bytes,
) -> bool:
    """Whether a response says nothing the ``last`` one recorded does not."""
    if last.get("status", 200) != exchange.status or _stable(last.get("headers")) != _stable(
        headers
    ):
        return False
    entry = _body_entry(folder / "x", 0, body, exchange.media_type)
    if "raw" not in entry:
        return all(last.get(key) == entry.get(key) for key in ("json", "body", "file"))
    try:
        return isinstance(last.get("file"), str) and (folder / last["file"]).read_bytes() == body
    except OSError:
        return False


def _stable(headers: Any) -> dict[str, Any]:
    return {
        name: value
        for name, value in (headers if isinstance(headers, dict) else {}).items()
        if name.lower() not in _UNSTABLE and "request-id" not in name.lower()
    }


def _files(data: dict[str, Any]) -> set[str]:
    return {str(item["file"]) for item in _responses(data) if isinstance(item.get("file"), str)}


def _remove_stale(folder: Path, names: set[str]) -> None:
    """Delete body files no response names any more; only ever inside ``.bodies/``."""
    for name in names:
        stale = folder / name
        if stale.parent == folder / BODIES:
            stale.unlink(missing_ok=True)
