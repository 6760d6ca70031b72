"""Host header allow-list: the defence against DNS rebinding (README, "Security model")."""

from __future__ import annotations

import re
from functools import lru_cache
from ipaddress import IPv6Address

from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.urls import ip_literal, is_localhost_name

# RFC 9110 §7.2 / RFC 3986 §3.2: uri-host [ ":" port ]; a bracketed IPv6 literal or a reg-name.
# Anything else (`[::1]evil.com`, `[::1`, `localhost:abc`) is malformed: 400, never a guess.
_HOST = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]{2,45})\]|(?P<name>[A-Za-z0-9._~!$&'()*+,;=%-]{1,253}))"
    r"(?::[0-9]{0,5})?"
)


def host_name(host_header: str) -> str | None:
    """The name in a Host header (``[::1]:8000`` -> ``::1``), or None if the header is malformed."""
    match = _HOST.fullmatch(host_header)
    if match is None:
        return None
    if match["ipv6"] is not None:
        address = ip_literal(match["ipv6"])  # brackets hold IPv6 only: [1.2.3.4] is malformed
        return match["ipv6"].lower() if isinstance(address, IPv6Address) else None
    return match["name"].lower()


# Every request asks about the same few names; bounded, so varied Host headers cannot grow it.
@lru_cache(maxsize=1024)
def is_allowed_host(name: str, extra: frozenset[str]) -> bool:
    """localhost, *.localhost and IP literals are safe: a rebinding attack needs a DNS name."""
    name = name.lower().rstrip(".")
    return is_localhost_name(name) or name in extra or ip_literal(name) is not None


def _host_problem(scope: Scope, extra: frozenset[str]) -> tuple[int, str] | None:
    """Why this request's Host is refused, as (status, message); None if it may pass."""
    hosts = [value for name, value in scope["headers"] if name == b"host"]
    if not hosts:
        # RFC 9112 §3.2: HTTP/1.1 must send Host. HTTP/1.0 clients may omit it; browsers never
        # do, so there is nothing to rebind.
        if scope.get("http_version", "1.1") == "1.0":
            return None
        return 400, "devserve: a request without a Host header is refused (RFC 9112 §3.2)."
    if len(hosts) > 1:
        return 400, "devserve: a request with more than one Host header is refused."
    return _judge(hosts[0], extra)


@lru_cache(maxsize=1024)
def _judge(host: bytes, extra: frozenset[str]) -> tuple[int, str] | None:
    """The decision on one Host value; cached, as every request repeats the same few."""
    header = host.decode("latin-1")
    name = host_name(header)
    if name is None:
        return (
            400,
            f"devserve: Host {header!r} is malformed; expected name[:port] or [ipv6][:port].",
        )
    if is_allowed_host(name, extra):
        return None
    return 403, (
        f"devserve: Host {name!r} is not allowed. Use localhost or an IP address, "
        f"or add {name!r} to allowed_hosts in [devserve] of devserve.toml."
    )


class HostGuard:
    """Refuse requests whose Host is not on the allow-list, before anything else sees them."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.extra = frozenset(h.lower().rstrip(".") for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = _host_problem(scope, self.extra)
        if problem is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        status, message = problem
        body = (message + "\n").encode("ascii", errors="backslashreplace")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
