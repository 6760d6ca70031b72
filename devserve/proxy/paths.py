"""The path a proxied request goes to: dot segments resolved, never outside the base path.

``proxy = "http://api/v1"`` exposes ``/v1`` and what is under it. A browser resolves ``..``
itself, but a raw request (``GET /../admin``, ``/%2e%2e/admin``, ``/..%2fadmin``) arrives as
sent, and many upstreams resolve it after the proxy has added the base path and the
``proxy_headers``: ``/v1/../admin`` is ``/admin``, with the credentials.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# What an upstream may take for a separator once it has decoded a segment.
_SEPARATORS = re.compile(r"[/\\]")
# Decoding stops here: enough for any encoding an upstream undoes.
_DECODINGS = 4


class PathEscape(ValueError):
    """A request path that would leave the base path; ``str()`` says why."""


def _fully_decoded(segment: str) -> str:
    for _ in range(_DECODINGS):
        decoded = unquote(segment, errors="replace")
        if decoded == segment:
            break
        segment = decoded
    return segment


def resolved_path(raw_path: bytes) -> bytes:
    """``raw_path`` (still percent-encoded) with ``.`` and ``..`` segments resolved.

    Encoded dots (``%2e``) count as dots. Raises PathEscape for a ``..`` above ``/``, and
    for a dot segment that is hidden (``..%2f``, ``..\\``, ``%252e%252e``): no browser sends
    one, and what the upstream makes of it cannot be known here.
    """
    text = raw_path.decode("latin-1")
    if not text.startswith("/"):
        raise PathEscape("the path does not start with /")
    segments = text.split("/")[1:]
    kept: list[str] = []
    for index, segment in enumerate(segments):
        once = unquote(segment, errors="replace")
        if once in (".", ".."):
            if once == "..":
                if not kept:
                    raise PathEscape("'..' climbs above the base path")
                kept.pop()
            if index == len(segments) - 1:
                kept.append("")  # `/a/b/..` is the folder `/a/`
            continue
        if any(piece in (".", "..") for piece in _SEPARATORS.split(_fully_decoded(segment))):
            raise PathEscape(
                "a dot segment hides behind an encoded slash, a backslash or a second encoding"
            )
        kept.append(segment)
    return ("/" + "/".join(kept)).encode("latin-1")
