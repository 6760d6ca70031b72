"""Binding sockets: loopback checks, where the dashboard binds, a taken port as a clear error."""

from __future__ import annotations

import errno
import socket

from devserve.errors import DevserveError, PortInUseError


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
        raise PortInUseError(name, host, port, _reason(exc)) from None
    sock.set_inheritable(True)
    return sock


def listen(name: str, sock: socket.socket, backlog: int) -> None:
    """Start listening on a socket from ``bind``: the moment the port is really ours.

    With SO_REUSEADDR, Linux lets two sockets bind one port as long as neither listens, so two
    devserves starting together can both bind 8999; the second to listen gets EADDRINUSE here,
    as the same clear error as a taken port (not an OSError from inside uvicorn). The listen
    itself waits until a server is about to accept, so a port that answers is one that serves.
    """
    try:
        sock.listen(backlog)
    except OSError as exc:
        host, port = sock.getsockname()[:2]
        sock.close()
        raise PortInUseError(name, host, port, _reason(exc)) from None


def _reason(exc: OSError) -> str:
    return {errno.EADDRINUSE: "already in use", errno.EACCES: "permission denied"}.get(
        exc.errno or 0, exc.strerror or str(exc)
    )
