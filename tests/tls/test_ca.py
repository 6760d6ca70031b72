"""devserve's local CA and its leaf certificates, judged by a real TLS client (Python's ssl,
that is OpenSSL, which enforces name constraints as browsers do)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import stat
from collections.abc import Mapping
from pathlib import Path

import pytest
from cryptography import x509

from devserve.errors import DevserveError
from devserve.tls.ca import CA_KEY, local_ca
from devserve.tls.leaves import SniCertificates, issue_leaf, server_context
from devserve.tls.names import Constraints
from tests.support.tlspair import client_context, forged_leaf, handshake


def _sans(peer: Mapping[str, object]) -> set[str]:
    names = peer["subjectAltName"]
    assert isinstance(names, tuple)
    return {value for _, value in names}


def test_the_ca_is_made_once_with_a_key_only_the_user_reads(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    first = local_ca(folder=folder)
    again = local_ca(folder=folder)
    assert first.created and not again.created
    assert again.fingerprint == first.fingerprint
    assert stat.S_IMODE((folder / CA_KEY).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_the_ca_is_constrained_to_local_names_and_the_allowed_hosts(tmp_path: Path) -> None:
    ca = local_ca(["myapp.test", "192.168.1.5", "bad name!"], folder=tmp_path)
    extension = ca.certificate.extensions.get_extension_for_class(x509.NameConstraints)
    assert extension.critical
    assert ca.constraints == Constraints(
        frozenset({"localhost", "myapp.test"}),
        frozenset(ipaddress.ip_network(n) for n in ("127.0.0.1/32", "::1/128", "192.168.1.5/32")),
    )
    basic = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca and basic.path_length == 0


@pytest.mark.parametrize("name", ["api.localhost", "localhost", "a.b.localhost", "127.0.0.1"])
def test_a_client_trusting_the_ca_accepts_its_leaf(tmp_path: Path, name: str) -> None:
    ca = local_ca(folder=tmp_path)
    leaf = issue_leaf(ca, [name])
    lifetime = leaf.certificate.not_valid_after_utc - leaf.certificate.not_valid_before_utc
    assert lifetime <= dt.timedelta(days=7, hours=1)
    peer = handshake(server_context(leaf, ca), client_context(ca.cert_path), name)
    assert name in _sans(peer)


@pytest.mark.parametrize("name", ["example.com", "localhost.example.com", "10.1.2.3"])
def test_a_client_refuses_a_leaf_outside_the_constraints(tmp_path: Path, name: str) -> None:
    ca = local_ca(folder=tmp_path)
    with pytest.raises(DevserveError, match="does not sign for"):
        issue_leaf(ca, [name])
    forged = server_context(forged_leaf(ca, name), ca)
    with pytest.raises(ssl.SSLCertVerificationError, match="permitted subtree violation"):
        handshake(forged, client_context(ca.cert_path), name)
    # The same forgery for a name inside the constraints passes: the constraint did it.
    handshake(
        server_context(forged_leaf(ca, "ok.localhost"), ca),
        client_context(ca.cert_path),
        "ok.localhost",
    )


def test_an_https_name_the_ca_does_not_cover_makes_a_new_ca(tmp_path: Path) -> None:
    old = local_ca(folder=tmp_path)
    new = local_ca(["dev.test"], need=["dev.test"], folder=tmp_path)
    assert new.created and new.fingerprint != old.fingerprint
    assert new.constraints.covers("dev.test") and new.constraints.covers("app.localhost")
    # Listed but not needed over https: the CA browsers already trust is kept.
    assert not local_ca(["dev.test", "other.test"], folder=tmp_path).created


def test_sni_picks_a_leaf_per_name_and_the_default_without_one(tmp_path: Path) -> None:
    ca = local_ca(folder=tmp_path)
    certificates = SniCertificates(ca, "app.localhost", allowed=lambda name: True)
    client = client_context(ca.cert_path)
    assert _sans(handshake(certificates.context, client, "api.localhost")) == {"api.localhost"}
    default = _sans(handshake(certificates.context, client, "app.localhost"))
    assert default == {"app.localhost", "localhost", "127.0.0.1", "0:0:0:0:0:0:0:1"}
    no_sni = ssl.create_default_context(cafile=str(ca.cert_path))
    no_sni.check_hostname = False
    assert _sans(handshake(certificates.context, no_sni, None)) == default


def test_sni_never_issues_for_a_name_the_origin_does_not_answer(tmp_path: Path) -> None:
    ca = local_ca(folder=tmp_path)
    certificates = SniCertificates(ca, None, allowed=lambda name: name != "other.localhost")
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(certificates.context, client_context(ca.cert_path), "other.localhost")
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(certificates.context, client_context(ca.cert_path), "example.com")
