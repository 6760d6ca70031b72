"""Origins (scheme://host[:port]): checking, serializing and building them, and telling whether a
request comes from the origin it is sent to. Every other module asks here."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import Scope

from devserve.errors import DevserveError

_ORIGIN_URL = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)(?::(?P<port>\d{1,5}))?$"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_url_problem(origin: str) -> str | None:
    """Say why ``origin`` is not a serialized origin (``scheme://host[:port]``), or None."""
    if origin in ("*", "null"):
        return None
    match = _ORIGIN_URL.match(origin)
    if not match:
        if origin.endswith("/"):
            fixed = origin.rstrip("/")
            return f"{origin!r} has a trailing slash; an origin is scheme://host[:port]: {fixed!r}"
        if "://" in origin and "/" in origin.split("://", 1)[1]:
            base = origin.split("://", 1)[0] + "://" + origin.split("://", 1)[1].split("/", 1)[0]
            return f"{origin!r} has a path; an origin is scheme://host[:port] only, write {base!r}"
        return f"{origin!r} is not an origin; write it as scheme://host[:port], e.g. 'http://localhost:8000'"
    if origin != origin.lower() and match["host"] == match["host"].upper() != match["host"].lower():
        return f"{origin!r} must be lower case, as browsers send it"
    if match["port"] and not 1 <= int(match["port"]) <= 65535:
        return f"{origin!r} has a port outside 1-65535"
    return None


def _split(url: str) -> tuple[str, str, int] | None:
    """Scheme, host (IPv6 in brackets) and port (the default one filled in) of an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # e.g. an unclosed IPv6 bracket, or a port out of range
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def serialize_origin(url: str) -> str:
    """The origin of ``url`` as a browser writes it: lowercase, no default port, no path."""
    if url.strip() == "null":
        return "null"
    split = _split(url)
    if split is None:
        raise DevserveError(f"{url!r} is not an http(s) URL such as http://localhost:8000")
    scheme, host, port = split
    return f"{scheme}://{host}" + (f":{port}" if port != _DEFAULT_PORTS[scheme] else "")


def origin_port(origin: str | None) -> int | None:
    """The port an ``Origin`` header points at (80/443 when implicit); None for null or junk."""
    if not origin or origin == "null":
        return None
    split = _split(origin)
    return split[2] if split else None


def url_host(host: str) -> str:
    """The host to put in URLs for a bind address: wildcard binds are reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def http_url(host: str, port: int) -> str:
    """The URL of a server bound to ``host`` and ``port``, e.g. ``http://127.0.0.1:8000``."""
    return f"http://{url_host(host)}:{port}"


def foreign_request(scope: Scope) -> str | None:
    """Why a request does not come from the origin it is sent to, or None when it does.

    Browsers say where a request comes from in ``Sec-Fetch-Site`` and, for cross-origin and
    unsafe requests, in ``Origin``; a request with neither is not from a web page at all.
    """
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return "requests from other sites are refused"
    origin = headers.get("origin")
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    if origin is not None and origin != own:
        return f"origin {origin!r} is not this server's own origin"
    return None
