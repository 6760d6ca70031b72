"""TLS for tests: a handshake between two contexts in memory (no socket), what a client makes of a
server's certificate in microseconds; a certificate forged with a CA's key; a throwaway NSS
database that trusts a CA."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import Mapping
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devserve.tls.ca import LocalCA
from devserve.tls.leaves import Leaf
from tests.support.ci import need


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


def forged_leaf(ca: LocalCA, name: str) -> Leaf:
    """A leaf for ``name`` signed by hand with the CA's key, as a thief of the key would."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    general: x509.GeneralName = (
        x509.IPAddress(ipaddress.ip_address(name)) if name[0].isdigit() else x509.DNSName(name)
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([general]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Leaf(certificate, key)


def need_certutil() -> None:
    """Skip (fail under CI=true) without certutil: the https browser tests trust through it."""
    if shutil.which("certutil") is None:
        need("certutil", "certutil not found (apt-get install libnss3-tools)")


def trust_in_nss_db(database: Path, ca: Path) -> None:
    """Make ``database`` (an NSS folder: a Firefox profile, or Chromium's ~/.pki/nssdb) and trust
    ``ca`` in it for web sites, with certutil (libnss3-tools)."""
    need_certutil()
    database.mkdir(parents=True, exist_ok=True)
    where = f"sql:{database}"
    for args in (["-N", "--empty-password"], ["-A", "-n", "devserve test CA", "-t", "C,,"]):
        extra = ["-i", str(ca)] if "-A" in args else []
        subprocess.run(["certutil", "-d", where, *args, *extra], check=True, timeout=30)
