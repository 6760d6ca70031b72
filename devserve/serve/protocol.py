"""The HTTP/1.1 protocol devserve's servers run: uvicorn's, plus the target-host rule it lacks.

RFC 9112 §3.2.2: a server that gets an absolute-form target (``GET http://evil.com/x``) MUST
ignore the Host header and use the target's authority. uvicorn's httptools protocol keeps only
the target's path, so ``GET http://evil.com/x`` with ``Host: localhost`` would pass the Host
allow-list. Here the target's authority replaces Host before the app sees the request, so the
allow-list (devserve.serve.hosts) judges the host the request really names.
"""

from __future__ import annotations

import re
from typing import Any

_SCHEME = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://")
_AUTHORITY_END = re.compile(rb"[/?#]")


def split_absolute_form(target: bytes) -> tuple[bytes, bytes] | None:
    """``http://u@host:81/x?y`` -> (``host:81``, ``/x?y``); None for an origin-form target."""
    scheme = _SCHEME.match(target)
    if scheme is None:
        return None
    rest = target[scheme.end() :]
    end = _AUTHORITY_END.search(rest)
    authority, path = (rest[: end.start()], rest[end.start() :]) if end else (rest, b"")
    authority = authority.rpartition(b"@")[2]  # userinfo is never part of the host
    if not path.startswith(b"/"):
        path = b"/" + path
    return authority, path


HTTP_PROTOCOL: Any = "auto"
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - no httptools wheel here: h11 keeps the full target
    pass
else:

    class HttpProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, with the request target's host taking the place of Host."""

        def on_headers_complete(self) -> None:
            split = split_absolute_form(self.url)
            if split is not None:
                authority, self.url = split
                self.headers[:] = [(k, v) for k, v in self.headers if k != b"host"]
                self.headers.append((b"host", authority))
            super().on_headers_complete()

    HTTP_PROTOCOL = HttpProtocol
