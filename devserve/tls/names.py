"""The names devserve's CA may sign for: its X.509 name constraints, as a value.

A DNS constraint ``localhost`` covers ``localhost`` and every name under it (``app.localhost``):
RFC 5280 (section 4.2.1.10) matches a name that "can be constructed by simply adding zero or
more labels to the left-hand side". So the CA is constrained to ``localhost`` (hence
``.localhost``), the names in ``allowed_hosts`` (each with the names under it), ``127.0.0.1/32``
and ``::1/128``. A verifier (OpenSSL, NSS, Chromium's) refuses any certificate from it for
another name, so even a leaked CA key cannot impersonate a real site.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509

from devserve.urls import dns_name, ip_literal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
BASE_NAMES = frozenset({"localhost"})
BASE_NETWORKS: frozenset[Network] = frozenset(
    {ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")}
)


@dataclass(frozen=True)
class Constraints:
    """The permitted subtrees of a CA: DNS names (each with its subdomains) and networks."""

    names: frozenset[str] = BASE_NAMES
    networks: frozenset[Network] = BASE_NETWORKS

    @classmethod
    def for_hosts(cls, allowed_hosts: Iterable[str]) -> Constraints:
        """localhost, the loopback addresses and every usable name or address listed."""
        names, networks = set(BASE_NAMES), set(BASE_NETWORKS)
        for host in allowed_hosts:
            address = ip_literal(host.strip())
            if address is not None:
                networks.add(ipaddress.ip_network(address))
            elif (name := dns_name(host.lstrip("."))) is not None:
                names.add(name)
        return cls(frozenset(names), frozenset(networks))

    @classmethod
    def of_certificate(cls, certificate: x509.Certificate) -> Constraints:
        """The constraints a CA certificate carries (none: it covers nothing)."""
        try:
            extension = certificate.extensions.get_extension_for_class(x509.NameConstraints)
        except x509.ExtensionNotFound:
            return cls(frozenset(), frozenset())
        subtrees = extension.value.permitted_subtrees or []
        names = {tree.value.lower() for tree in subtrees if isinstance(tree, x509.DNSName)}
        networks = {tree.value for tree in subtrees if isinstance(tree, x509.IPAddress)}
        return cls(frozenset(names), frozenset(n for n in networks if isinstance(n, Network)))

    def covers(self, host: str) -> bool:
        """Whether a certificate for ``host`` (a name or an IP address) passes the constraints."""
        address = ip_literal(host)
        if address is not None:
            return any(address in network for network in self.networks)
        name = dns_name(host)
        return name is not None and any(
            name == allowed or name.endswith("." + allowed) for allowed in self.names
        )

    def union(self, other: Constraints) -> Constraints:
        return Constraints(self.names | other.names, self.networks | other.networks)

    def extension(self) -> x509.NameConstraints:
        trees: list[x509.GeneralName] = [x509.DNSName(name) for name in sorted(self.names)]
        trees += [x509.IPAddress(net) for net in sorted(self.networks, key=str)]
        return x509.NameConstraints(permitted_subtrees=trees, excluded_subtrees=None)

    def describe(self) -> str:
        return ", ".join([*sorted(self.names), *sorted(str(n) for n in self.networks)])
