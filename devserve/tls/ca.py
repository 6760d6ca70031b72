"""devserve's local certificate authority: made on first use in the user's data folder.

The CA is name-constrained (``devserve.tls.names``) and its key is readable by the user only.
It is made once and kept; a new one is made only when it expires within 30 days, or when an
https origin needs a name it does not cover (an ``allowed_hosts`` name added after it was
made). A new CA covers the old one's names plus the current ``allowed_hosts``, and must be
trusted again (``devserve trust`` replaces the old one): ``LocalCA.created`` says when.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import secrets
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devserve.errors import DevserveError
from devserve.files import write_atomic
from devserve.home import data_dir, private_dir
from devserve.tls.names import Constraints

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
CA_NAME = "devserve local CA"
CA_DAYS = 3 * 365
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class LocalCA:
    """The CA certificate, its key, and where the certificate is (what browsers must trust)."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    folder: Path
    created: bool = False  # made by this call: browsers do not trust it yet

    @property
    def cert_path(self) -> Path:
        return self.folder / CA_CERT

    @property
    def constraints(self) -> Constraints:
        return Constraints.of_certificate(self.certificate)

    @property
    def nickname(self) -> str:
        """The certificate's common name, unique per CA: the name stores list it under."""
        [attribute] = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attribute.value)

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex(":").upper()

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def existing_ca(folder: Path | None = None) -> LocalCA | None:
    """The CA if one was made (and can be read), without making one."""
    folder = folder or data_dir()
    try:
        cert_bytes = (folder / CA_CERT).read_bytes()
        key_bytes = (folder / CA_KEY).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DevserveError(f"cannot read devserve's CA in {folder}: {exc.strerror}") from None
    try:
        certificate = x509.load_pem_x509_certificate(cert_bytes)
        key = serialization.load_pem_private_key(key_bytes, password=None)
    except ValueError:
        raise DevserveError(
            f"devserve's CA in {folder} is damaged; delete {folder / CA_CERT} and "
            f"{folder / CA_KEY} (a new one is made on the next https start; trust it again)"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise DevserveError(f"devserve's CA key in {folder} is not an EC key; delete it")
    return LocalCA(certificate, key, folder)


def local_ca(
    allowed_hosts: Iterable[str] = (), *, need: Iterable[str] = (), folder: Path | None = None
) -> LocalCA:
    """The CA, made now if there is none, if it expires soon, or if it does not cover every
    name in ``need`` (see the module docstring)."""
    folder = private_dir(folder or data_dir())
    wanted = Constraints.for_hosts(allowed_hosts)
    with _locked(folder):
        current = existing_ca(folder)
        now = dt.datetime.now(dt.UTC)
        if current is not None and _usable(current, need, now):
            return current
        if current is not None:
            wanted = wanted.union(current.constraints)
        made = make_ca(wanted, now=now)
        write_atomic(folder / CA_KEY, _key_pem(made.key), mode=0o600)
        write_atomic(folder / CA_CERT, made.pem(), mode=0o644)
        return LocalCA(made.certificate, made.key, folder, created=True)


def _usable(ca: LocalCA, need: Iterable[str], now: dt.datetime) -> bool:
    if ca.certificate.not_valid_after_utc - now < RENEW_BEFORE:
        return False
    constraints = ca.constraints
    return all(constraints.covers(name) for name in need)


def make_ca(constraints: Constraints, *, now: dt.datetime | None = None) -> LocalCA:
    """A new CA for ``constraints`` (not written anywhere)."""
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "devserve development CA"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _owner()[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{CA_NAME} {secrets.token_hex(4)}"),
        ]
    )
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(constraints.extension(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return LocalCA(certificate, key, Path(), created=True)


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _owner() -> str:
    """``user@machine``: which CA is which, in a certificate manager's list."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    return f"{user}@{socket.gethostname()}"


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Two devserves starting at once must not each make a CA (one would not be trusted)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; the race only costs a re-trust
        yield
        return
    descriptor = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
