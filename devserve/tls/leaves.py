"""Leaf certificates from devserve's CA: one per name, short-lived, issued when a client asks.

An https origin listens with a TLS context whose SNI callback picks the certificate for the name
the client asks for (``api.localhost``), issuing it on first use and keeping it in memory. A
client that sends no name (an IP address in the URL) gets the origin's default certificate,
which covers its own name, ``localhost``, ``127.0.0.1`` and ``::1``. A leaf lives 7 days and is
issued again a day before it expires, so a long-running devserve never serves an expired one.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from devserve.errors import DevserveError
from devserve.home import private_dir
from devserve.tls.ca import LocalCA
from devserve.urls import dns_name, ip_literal

LEAF_DAYS = 7
RENEW_BEFORE = dt.timedelta(days=1)
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
# Any *.localhost name reaches loopback, so a page can ask for endless names: keep a few.
MAX_CACHED = 64


@dataclass(frozen=True)
class Leaf:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def pem(self) -> bytes:
        key = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return key + self.certificate.public_bytes(serialization.Encoding.PEM)


def issue_leaf(
    ca: LocalCA, names: Sequence[str], *, days: int = LEAF_DAYS, now: dt.datetime | None = None
) -> Leaf:
    """A server certificate for ``names`` (DNS names or IP addresses), signed by ``ca``.

    Refuses a name outside the CA's constraints: no verifier would accept it anyway.
    """
    constraints = ca.constraints
    outside = [name for name in names if not constraints.covers(name)]
    if outside or not names:
        raise DevserveError(
            f"devserve's CA does not sign for {', '.join(outside) or 'no name'}: it covers only "
            f"{constraints.describe()}"
        )
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    ca_key = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _common_name(names))]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key.value),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return Leaf(certificate, key)


def _common_name(names: Sequence[str]) -> str:
    """The first DNS name. Not an IP address: OpenSSL checks a host-like common name against the
    DNS constraints, and 127.0.0.1 is not under localhost."""
    return next((name for name in names if ip_literal(name) is None), "devserve certificate")


def _general_names(names: Sequence[str]) -> list[x509.GeneralName]:
    general: list[x509.GeneralName] = []
    for name in names:
        address = ip_literal(name)
        if address is not None:
            general.append(x509.IPAddress(address))
        else:
            general.append(x509.DNSName(name))
    return general


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def server_context(leaf: Leaf, ca: LocalCA) -> ssl.SSLContext:
    """A TLS server context presenting ``leaf`` (HTTP/1.1 only: what uvicorn speaks)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    # The stdlib loads keys from files only: a private file, gone as soon as it is read.
    folder = private_dir(ca.folder / "leaves")
    descriptor, path = tempfile.mkstemp(dir=folder, suffix=".pem")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(leaf.pem())
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


class SniCertificates:
    """The certificates of one https origin: the default one, and one per name asked for.

    ``allowed`` says which names this origin answers at all (its Host allow-list); a name it
    does not answer, or one outside the CA's constraints, gets the default certificate, and the
    client reports the mismatch as it would for any other server.
    """

    def __init__(self, ca: LocalCA, name: str | None, allowed: Callable[[str], bool]) -> None:
        self.ca = ca
        self.allowed = allowed
        self.default_names = tuple(dict.fromkeys([*([name] if name else []), *DEFAULT_NAMES]))
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, ...], tuple[ssl.SSLContext, dt.datetime]] = (
            OrderedDict()
        )
        # The context the socket listens with; every handshake then moves to a cached one.
        self.context = server_context(issue_leaf(ca, self.default_names), ca)
        self.context.sni_callback = self._pick

    def _pick(self, connection: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
        """OpenSSL's servername callback: hand the connection the certificate for its name."""
        name = dns_name(server_name) if server_name else None
        names = (name,) if name and self._serves(name) else self.default_names
        try:
            connection.context = self._context(names)
        except Exception:  # never fail a handshake here: the default certificate answers
            return

    def _serves(self, name: str) -> bool:
        if name in self.default_names:
            return False  # the default certificate has it
        return self.allowed(name) and self.ca.constraints.covers(name)

    def _context(self, names: tuple[str, ...]) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            cached = self._cache.get(names)
            if cached is not None and cached[1] - now > RENEW_BEFORE:
                self._cache.move_to_end(names)
                return cached[0]
            leaf = issue_leaf(self.ca, names, now=now)
            context = server_context(leaf, self.ca)
            self._cache[names] = (context, leaf.certificate.not_valid_after_utc)
            while len(self._cache) > MAX_CACHED:
                self._cache.popitem(last=False)
            return context
