"""devserve's own origins: where the dashboard binds, the URL a server bound to an address is
reached at, and whether a request comes from the origin it is sent to. (Parsing origins is
``devserve.urls``.)"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Scope

from devserve.urls import is_loopback_host


def dashboard_bind_host(dashboard_host: str | None, host: str) -> str:
    """The dashboard and control API have no authentication: they stay on loopback, even when
    the origins are bound to another interface, unless ``dashboard_host`` says otherwise."""
    if dashboard_host is not None:
        return dashboard_host
    return host if is_loopback_host(host) else "127.0.0.1"


def reachable_host(host: str) -> str:
    """The host to put in URLs for a bind address: wildcard binds are reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def http_url(host: str, port: int) -> str:
    """The URL of a server bound to ``host`` and ``port``, e.g. ``http://127.0.0.1:8000``."""
    return f"http://{reachable_host(host)}:{port}"


def site_url(bind_host: str, port: int, *, name: str | None = None, https: bool = False) -> str:
    """An origin's URL: its own name (``host = "app.localhost"``) when it has one, else the bind
    address; ``https`` when it serves TLS. Every URL devserve shows for an origin comes here."""
    scheme = "https" if https else "http"
    return f"{scheme}://{name or reachable_host(bind_host)}:{port}"


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
