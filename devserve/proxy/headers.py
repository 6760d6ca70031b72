"""Which headers cross the proxy, in each direction, and how ``Location`` is brought home."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

RawHeaders = list[tuple[bytes, bytes]]

# RFC 9110 7.6.1: meant for one connection only, never forwarded by a proxy.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# The upstream's own Host and Origin would make it answer for another site: httpx sets Host from
# the upstream URL, and CORS is this origin's job, so the upstream sees a server-side call.
_NOT_FORWARDED = HOP_BY_HOP | {"host", "origin"}
# Left out of responses: this origin's CORS policy replaces the upstream's, uvicorn adds its own
# Date, and another devserve upstream's verdict is not about this origin.
_NOT_RETURNED = HOP_BY_HOP | {"date"}
# What may not be sent on in a header (RFC 9110 5.5, 5.6.2): a control character in a value
# (tab aside) could retitle a terminal or split a header; uvicorn refuses to send either.
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> set[str]:
    """Header names listed in ``Connection``: hop-by-hop for this message (RFC 9110 7.6.1)."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
        if token.strip()
    }


def _returned(name: str) -> bool:
    return not (
        name in _NOT_RETURNED
        or name.startswith("access-control-")
        or name.startswith("x-devserve-")
    )


def request_headers(raw: RawHeaders, extra: dict[str, str]) -> RawHeaders:
    """The browser's request headers as the upstream gets them, plus ``proxy_headers``."""
    dropped = _NOT_FORWARDED | _connection_tokens(raw) | {name.lower() for name in extra}
    kept = [(name, value) for name, value in raw if name.decode("latin-1").lower() not in dropped]
    added = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]
    return kept + added


def sendable(name: bytes, value: bytes) -> bool:
    """Whether a header can be passed on as it is: a token for a name, no control characters."""
    return _TOKEN.fullmatch(name) is not None and _CONTROL.search(value) is None


def response_headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[RawHeaders, list[str]]:
    """The upstream's response headers a browser may get from this origin (names lower-cased),
    and the names of those left out because they cannot be sent (see ``sendable``)."""
    raw = list(raw)
    dropped = _connection_tokens(raw)
    kept = []
    unsendable = []
    for name, value in raw:
        lowered = name.decode("latin-1").lower()
        if not sendable(name, value):
            unsendable.append(lowered)
        elif _returned(lowered) and lowered not in dropped:
            kept.append((lowered.encode("latin-1"), value))
    return kept, unsendable


def local_location(location: str, *, upstream: str, local: str) -> str:
    """A redirect to the upstream, pointed at this origin instead; others are left alone.

    ``upstream`` is the proxy URL (maybe with a base path), ``local`` this origin's URL.
    """
    try:
        target = urlsplit(location)
        base = urlsplit(upstream)
    except ValueError:
        return location
    relative = not target.scheme and not target.netloc and location.startswith("/")
    if not relative and (target.scheme, target.netloc.lower()) != (
        base.scheme,
        base.netloc.lower(),
    ):
        return location
    path = target.path or "/"
    prefix = base.path.rstrip("/")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :] or "/"
    elif prefix:
        return location  # outside the proxied part of the upstream: still the upstream's
    query = f"?{target.query}" if target.query else ""
    fragment = f"#{target.fragment}" if target.fragment else ""
    return f"{'' if relative else local}{path}{query}{fragment}"
