"""devserve's own clients (``check``, the proxy, ``status``/``cors``) reach local sites as a browser
does: ``*.localhost`` names go to loopback (Chromium and Firefox resolve them by themselves; the
system resolver does not), and devserve's local CA is trusted besides the usual roots, as in a
browser where `devserve trust` installed it. The Host header and the TLS server name stay the
name from the URL, so SNI picks the right certificate and the Host guard sees the real name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import certifi
import httpcore
import httpx

from devserve.home import data_dir
from devserve.urls import is_localhost_name

# Where a *.localhost name connects: IPv4 loopback first (devserve's default bind), then IPv6.
LOOPBACK = ("127.0.0.1", "::1")
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def loopback_name(host: str) -> bool:
    """A name under ``.localhost`` (``localhost`` itself the system resolves already)."""
    return is_localhost_name(host) and host.lower().rstrip(".") != "localhost"


def client_ssl_context() -> ssl.SSLContext:
    """The usual roots (certifi's) plus devserve's CA when one exists."""
    ca = data_dir() / "ca.pem"
    try:
        stamp = ca.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _context(str(ca) if stamp is not None else None, stamp)


@lru_cache(maxsize=4)
def _context(ca: str | None, _stamp: int | None) -> ssl.SSLContext:
    # Keyed by the CA file's mtime, so a CA made (or remade) meanwhile is picked up.
    context = ssl.create_default_context(cafile=certifi.where())
    if ca is not None:
        context.load_verify_locations(cafile=ca)
    return context


class _Backend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if not loopback_name(host):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        failure: httpcore.ConnectError | None = None
        for address in LOOPBACK:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure


class _AsyncBackend(httpcore.AnyIOBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if not loopback_name(host):
            return await super().connect_tcp(host, port, timeout, local_address, socket_options)
        failure: httpcore.ConnectError | None = None
        for address in LOOPBACK:
            try:
                return await super().connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure


class LocalTransport(httpx.HTTPTransport):
    """httpx's transport with the local resolution and trust above (no proxy from the
    environment: a corporate HTTP_PROXY must not see localhost traffic)."""

    def __init__(self, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        context = client_ssl_context()
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(),
        )


class AsyncLocalTransport(httpx.AsyncHTTPTransport):
    """The same for asyncio clients (the proxy)."""

    def __init__(self, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        context = client_ssl_context()
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_AsyncBackend(),
        )


def websocket_options(url: str) -> dict[str, Any]:
    """Extra arguments for ``websockets``' ``connect(url)``: where a ``*.localhost`` name
    connects, and the TLS context for ``wss``."""
    target = httpx.URL(url)
    options: dict[str, Any] = {}
    if loopback_name(target.host):
        options["host"] = LOOPBACK[0]
    if target.scheme == "wss":
        options["ssl"] = client_ssl_context()
    return options
