"""Binding sockets and naming hosts: loopback checks, URL hosts, a taken port as a clear error."""

from __future__ import annotations

import errno
import ipaddress
import socket

from devserve.errors import DevserveError, PortInUseError


def url_host(host: str) -> str:
    """The host to put in URLs: wildcard binds are reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(name: str, host: str, port: int) -> socket.socket:
    """Bind now, before any server starts, so a taken port stops everything with exit 3."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise DevserveError(
            f"cannot use host {host!r}: {exc.strerror}; check --host or [devserve] host"
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = {errno.EADDRINUSE: "already in use", errno.EACCES: "permission denied"}.get(
            exc.errno or 0, exc.strerror or str(exc)
        )
        raise PortInUseError(name, host, port, reason) from None
    sock.set_inheritable(True)
    return sock
