"""A TLS handshake between two contexts in memory (no socket): what a client makes of a server's
certificate, in microseconds."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Mapping
from pathlib import Path


def client_context(ca_file: Path) -> ssl.SSLContext:
    """A client that trusts only ``ca_file`` and checks host names, as a browser would."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = True
    return context


def handshake(
    server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str | None
) -> Mapping[str, object]:
    """Run one handshake; the server certificate the client accepted, or the client's error."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls_client = client.wrap_bio(to_client, to_server, server_hostname=server_hostname)
    tls_server = server.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):
        try:
            tls_client.do_handshake()
        except ssl.SSLWantReadError:
            pass
        else:
            peer = tls_client.getpeercert()
            assert peer is not None
            return peer
        server_in.write(to_server.read())
        with contextlib.suppress(ssl.SSLWantReadError):
            tls_server.do_handshake()
        to_client.write(server_out.read())
    raise AssertionError("the handshake did not finish")
