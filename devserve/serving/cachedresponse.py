"""The response for a file held in memory: 200, 304, 206 or 416 from precomputed headers."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from devserve.records import FINAL_BODY_KEY, REPLAY_KEY, Replayable
from devserve.serving.compression import choose
from devserve.serving.conditional import not_modified, single_range
from devserve.serving.filecache import CachedFile

_NOT_MODIFIED = (b"etag", b"last-modified", b"cache-control", b"vary")
# The request headers that can make the answer anything but the whole file.
_CONDITIONAL = frozenset((b"if-none-match", b"if-modified-since", b"range"))


class CachedResponse:
    """Send one cached file version; conditional and range requests are answered from memory.

    With ``still`` (whether the request's path would still be answered by this version), the
    answer is left in the scope as replayable: it depends on nothing but the request's method,
    path and headers.
    """

    def __init__(
        self,
        entry: CachedFile,
        scope: Scope,
        *,
        status: int = 200,
        still: Callable[[], bool] | None = None,
    ) -> None:
        self.entry = entry
        self.status = status
        self.still = still

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self.entry
        scope[FINAL_BODY_KEY] = True
        status, body, headers = self.status, entry.body, list(entry.headers)
        if entry.encoded:
            body, headers = _representation(entry, scope, headers)
        if status == 200 and any(name in _CONDITIONAL for name, _ in scope["headers"]):
            request = Headers(scope=scope)
            if not_modified(request, Headers(raw=headers)):
                kept = [(name, value) for name, value in headers if name in _NOT_MODIFIED]
                await self._whole(scope, send, 304, kept, b"")
                return
            wanted = request.get("range")
            if wanted is not None and request.get("if-range", entry.etag) == entry.etag:
                chosen = single_range(wanted, len(body))
                if chosen == "unsatisfiable":
                    headers.append((b"content-range", f"bytes */{len(body)}".encode()))
                    await self._whole(scope, send, 416, headers, b"")
                    return
                if chosen is not None:
                    start, end = chosen
                    span = f"bytes {start}-{end}/{len(body)}".encode()
                    status, body = 206, body[start : end + 1]
                    headers.append((b"content-range", span))
        headers.append((b"content-length", str(len(body)).encode()))
        await self._whole(scope, send, status, headers, b"" if scope["method"] == "HEAD" else body)

    async def _whole(
        self, scope: Scope, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        """Send the answer: the same for every request like this one, while the file is."""
        start = {"type": "http.response.start", "status": status, "headers": headers}
        whole = {"type": "http.response.body", "body": body}
        if self.still is not None:
            scope[REPLAY_KEY] = Replayable("file", start, whole, self.still)
        await send(start)
        await send(whole)


def _representation(
    entry: CachedFile, scope: Scope, headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The body and headers for the client's Accept-Encoding: an encoding is its own
    representation, with its own ETag; Range requests get the plain bytes (ranges of the
    encoded bytes would be a different thing to each encoding)."""
    headers.append((b"vary", b"Accept-Encoding"))
    accepted, ranged = "", False
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            accepted += value.decode("latin-1") + ","
        elif name == b"range":
            ranged = True
    coding = None if ranged else choose(accepted, entry.encoded)
    if coding is None:
        return entry.body, headers
    tag = f'{entry.etag[:-1]}-{coding}"'.encode("latin-1")  # "abc" -> "abc-br"
    headers = [(name, tag if name == b"etag" else value) for name, value in headers]
    headers.append((b"content-encoding", coding.encode("latin-1")))
    return entry.encoded[coding], headers
