"""Static files for one origin: safe path resolution, ETag/304, SPA fallback, directory listing."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.denials import refuse_websocket
from devserve.errors import DevserveError
from devserve.media import media_type
from devserve.records import REPLAY_KEY
from devserve.serving.cachedresponse import CachedResponse
from devserve.serving.conditional import not_modified, plain_range
from devserve.serving.filecache import DEFAULT_MAX_FILE_BYTES, CachedFile, FileCache
from devserve.serving.listing import entries, listing_template
from devserve.terminal import printable

# Always revalidate: a dev server must never let the browser run yesterday's file.
_NO_CACHE = {"Cache-Control": "no-cache"}
_NOT_MODIFIED_HEADERS = ("etag", "last-modified", "cache-control")

Found = tuple[str, os.stat_result]
log = logging.getLogger("devserve.errors")


class StaticFiles:
    """Serve ``directory`` over GET and HEAD without ever leaving it.

    With ``spa``, an extension-less path that matches nothing gets the root ``index.html``.
    """

    def __init__(
        self,
        directory: Path,
        *,
        spa: bool = False,
        transform: Callable[[str, bytes], bytes] | None = None,
        max_cached_bytes: int = DEFAULT_MAX_FILE_BYTES,
        compress: bool = False,
    ) -> None:
        self.root = os.path.realpath(directory)
        if not os.path.isdir(self.root):
            raise DevserveError(
                f"static directory '{directory}' does not exist or is not a folder; "
                "create it or fix the path in the config"
            )
        self.spa = spa
        self._listing = listing_template()
        self.cache = FileCache(
            max_file_bytes=max_cached_bytes, transform=transform, compress=compress
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await refuse_websocket(scope, send, 404, f"no WebSocket endpoint at {scope['path']}")
        if scope["type"] != "http":
            return
        response = await self._respond(scope)
        # A body from memory has the length its headers say; one read from disk may not.
        guarded = send if isinstance(response, CachedResponse) else _length_guard(scope, send)
        try:
            ranged = _plain_range(scope)
            await response(ranged, receive, guarded)
            if ranged is not scope and REPLAY_KEY in ranged:
                scope[REPLAY_KEY] = ranged[REPLAY_KEY]  # where the fast path looks for it
        except (_FileChanged, RuntimeError, OSError) as exc:
            # Starlette raises RuntimeError on a multi-range read past the end of the file, and
            # OSError when the file is gone by the time it opens it (after the headers went).
            if isinstance(exc, RuntimeError) and not _changed(response):
                raise
            if isinstance(exc, OSError) and not isinstance(response, FileResponse):
                raise
            # Headers promised a length the file no longer has. Completing the response would
            # be a lie; closing the connection is what nginx does too. The live-reload watcher
            # sees the same change and reloads the page.
            log.warning(
                "static file %s changed or vanished while being sent; the connection was closed",
                printable(scope["path"]),
            )

    async def _respond(self, scope: Scope) -> ASGIApp:
        if scope["method"] not in ("GET", "HEAD"):
            return _body("Method Not Allowed", 405, head=False, headers={"Allow": "GET, HEAD"})
        head = scope["method"] == "HEAD"
        path = _route_path(scope)
        segments = _safe_segments(path)
        if segments is None:
            return _body("Not Found", 404, head=head)
        kind, found, status = self._choose(path, segments)
        if kind == "file":
            assert found is not None
            return await self._file(found, scope, status=status, chosen=(path, segments))
        if kind == "redirect":
            return _redirect_to_slash(scope)
        if kind == "listing":
            assert found is not None
            listed = await anyio.to_thread.run_sync(entries, found[0], self._contained)
            html = self._listing.render(path=path, entries=listed, parent=bool(segments))
            return _body(html, 200, head=head, media_type="text/html; charset=utf-8")
        return _body(f"Not Found: {path}", 404, head=head)

    def _choose(self, path: str, segments: list[str]) -> tuple[str, Found | None, int]:
        """What answers ``path``: ("file", the file, its status), ("redirect", None, 301),
        ("listing", the folder, 200) or ("missing", None, 404). Resolved on the event loop: a
        few lstat/stat calls on a local disk cost less than the thread hop that would carry
        them."""
        found = self._lookup(segments)
        if found is not None and stat.S_ISREG(found[1].st_mode):
            return "file", found, 200
        if found is not None and stat.S_ISDIR(found[1].st_mode):
            if not path.endswith("/"):
                return "redirect", None, 301
            if index := self._find_file(*segments, "index.html"):
                return "file", index, 200
            return "listing", found, 200
        last = segments[-1] if segments else ""
        if self.spa and "." not in last and (index := self._find_file("index.html")):
            return "file", index, 200
        if page := self._find_file("404.html"):
            return "file", page, 404
        return "missing", None, 404

    def _find_file(self, *segments: str) -> Found | None:
        found = self._lookup(list(segments))
        return found if found is not None and stat.S_ISREG(found[1].st_mode) else None

    async def _file(
        self,
        found: Found,
        scope: Scope,
        *,
        status: int = 200,
        chosen: tuple[str, list[str]] | None = None,
    ) -> ASGIApp:
        """A small file from memory (read once per version), a large one streamed from disk.
        ``chosen``: the path and segments it was chosen for (a replay checks it still is)."""
        real, info = found
        if not self.cache.cacheable(info):
            return _file(found, scope, status=status)
        entry = self.cache.get(real, info)
        if entry is None:
            try:
                entry = await anyio.to_thread.run_sync(self.cache.load, real, info)
            except OSError:  # vanished or unreadable since the stat
                return _body("Not Found", 404, head=scope["method"] == "HEAD")
            if entry is None:  # being written right now: serve what is there, uncached
                return _file(found, scope, status=status)
        still = None if chosen is None else self._still(*chosen, entry, status)
        return CachedResponse(entry, scope, status=status, still=still)

    def _still(
        self, path: str, segments: list[str], entry: CachedFile, status: int
    ) -> Callable[[], bool]:
        """Whether ``path`` would still be answered from ``entry``, with ``status``: chosen
        anew, as a request would, and the file's version unchanged."""

        def still() -> bool:
            kind, found, now = self._choose(path, segments)
            if kind != "file" or now != status or found is None:
                return False
            return self.cache.cacheable(found[1]) and self.cache.get(*found) is entry

        return still

    def _contained(self, joined: str) -> str | None:
        """Return the real path of ``joined`` if it stays inside the root and is no dotfile."""
        real = os.path.realpath(joined)
        if real == self.root:
            return real
        if not real.startswith(self.root.rstrip(os.sep) + os.sep):
            return None
        relative = real[len(self.root.rstrip(os.sep)) + 1 :]
        # A symlink inside the root may still point at `.env` or into `.git/`.
        if any(part.startswith(".") for part in relative.split(os.sep)):
            return None
        return real

    def _lookup(self, segments: list[str]) -> Found | None:
        try:
            return self._plain(segments) or self._resolved(segments)
        except (OSError, ValueError):  # too long, permission denied, vanished meanwhile
            return None

    def _plain(self, segments: list[str]) -> Found | None:
        """The common case, cheaply: no component is a symlink, so the path is its own real
        path, inside the (real) root, and no dotfile (``_safe_segments`` refused those).
        One lstat per segment instead of realpath's one per component from ``/``. None when a
        symlink is met: ``_resolved`` decides then."""
        if not segments:
            return self.root, os.stat(self.root)
        path = self.root.rstrip(os.sep)  # "/" when serving the file system's root
        for segment in segments:
            path = path + os.sep + segment
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                return None
        return path, info

    def _resolved(self, segments: list[str]) -> Found | None:
        real = self._contained(os.path.join(self.root, *segments))
        return None if real is None else (real, os.stat(real))


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    # Under a Mount or `uvicorn --root-path`, "path" still carries the prefix (ASGI semantics).
    if root_path and (path == root_path or path.startswith(root_path.rstrip("/") + "/")):
        return path[len(root_path.rstrip("/")) :]
    return path


def _safe_segments(path: str) -> list[str] | None:
    """Split a decoded URL path into segments, or None if any could name something else."""
    segments = [segment for segment in path.split("/") if segment]
    for segment in segments:
        # Checking the once-more-decoded form too defeats double encoding (`%252e%252e`).
        for form in (segment, unquote(segment)):
            if form.startswith(".") or "/" in form or "\\" in form or "\x00" in form:
                return None
    return segments


class _FileChanged(Exception):
    """A file grew or shrank while it was being sent."""


def _length_guard(scope: Scope, send: Send) -> Send:
    """``send`` that stops a body from overrunning or falling short of its Content-Length.

    Without it, a file truncated mid-send makes the server raise (a traceback per request), and
    the multi-range loop of Starlette before 1.0 spins on an empty read, freezing every origin.
    """
    if scope["method"] == "HEAD":
        return send
    expected: int | None = None
    sent = 0

    async def guarded(message: Message) -> None:
        nonlocal expected, sent
        if message["type"] == "http.response.start":
            length = Headers(raw=message.get("headers", [])).get("content-length")
            expected = int(length) if length is not None and length.isdigit() else None
        elif message["type"] == "http.response.body" and expected is not None:
            body = message.get("body", b"")
            more = message.get("more_body", False)
            sent += len(body)
            if sent > expected or (more and not body) or (not more and sent < expected):
                raise _FileChanged
        await send(message)

    return guarded


def _changed(response: ASGIApp) -> bool:
    """Whether the file behind ``response`` is no longer the one its headers were built on."""
    if not isinstance(response, FileResponse) or response.stat_result is None:
        return False
    before = response.stat_result
    try:
        now = os.stat(response.path)
    except OSError:
        return True
    return (now.st_size, now.st_mtime_ns, now.st_ino) != (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


def _plain_range(scope: Scope) -> Scope:
    """The scope with its Range as the range readers can take: a Range in a unit other than
    bytes (``items=0-1``) is ignored, not a 400 (RFC 9110 14.2); a bytes one gets plain numbers
    (``bytes=0000…01-2`` is ``bytes=1-2``)."""
    headers = scope["headers"]
    if not any(name == b"range" for name, _ in headers):
        return scope
    return {
        **scope,
        "headers": [
            (name, plain_range(value) if name == b"range" else value)
            for name, value in headers
            if name != b"range" or value.startswith(b"bytes=")
        ],
    }


def _file(found: Found, scope: Scope, *, status: int = 200) -> Response:
    real, info = found
    response = FileResponse(
        real, status_code=status, stat_result=info, media_type=media_type(real), headers=_NO_CACHE
    )
    if status == 200 and not_modified(Headers(scope=scope), response.headers):
        headers = {name: response.headers[name] for name in _NOT_MODIFIED_HEADERS}
        return Response(status_code=304, headers=headers)
    return response


def _redirect_to_slash(scope: Scope) -> Response:
    # Collapse leading slashes: `//evil.example/` in Location is a protocol-relative redirect.
    location = "/" + quote((scope["path"] + "/").lstrip("/"), safe="/!$&'()*+,;=:@")
    if query := scope.get("query_string", b"").decode("latin-1"):
        location += "?" + query
    # no-cache because browsers otherwise keep a 301 forever, even after the folder is gone.
    return Response(status_code=301, headers={"Location": location, **_NO_CACHE})


def _body(
    content: str,
    status: int,
    *,
    head: bool,
    media_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> Response:
    headers = {**_NO_CACHE, **(headers or {})}
    response = Response(content, status, headers=headers, media_type=media_type)
    if head:
        response.body = b""  # Content-Length still tells the GET body's size, as HEAD should.
    return response
