"""Host header allow-list: the defence against DNS rebinding (README, "Safety")."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send


def host_name(host_header: str) -> str:
    """The name in a Host header: ``[::1]:8000`` -> ``::1``, ``localhost:8000`` -> ``localhost``."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


# Every request asks about the same few names; bounded, so varied Host headers cannot grow it.
@lru_cache(maxsize=1024)
def is_allowed_host(name: str, extra: frozenset[str]) -> bool:
    """localhost, *.localhost and IP literals are safe: a rebinding attack needs a DNS name."""
    name = name.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost") or name in extra:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostGuard:
    """Refuse requests whose Host is not on the allow-list, before anything else sees them."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.extra = frozenset(h.lower().rstrip(".") for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        # HTTP/1.0 clients may omit Host; browsers never do, so there is nothing to rebind.
        if host is None or is_allowed_host(host_name(host), self.extra):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        name = host_name(host)
        text = (
            f"devserve: Host {name!r} is not allowed. Use localhost or an IP address, "
            f"or add {name!r} to allowed_hosts in [devserve] of devserve.toml.\n"
        )
        await PlainTextResponse(text, 403)(scope, receive, send)
