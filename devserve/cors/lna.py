"""Local Network Access: a page on a less private address fetching a more private one.

Address spaces, from least to most private: ``public`` < ``local`` (a private network: RFC 1918,
link-local, CGNAT, IPv6 unique-local and link-local) < ``loopback`` (127.0.0.0/8, ::1, and the
names ``localhost`` and ``*.localhost``). A fetch to a *more* private space than the page's own
is a local network request in the LNA draft. Measured in Debian Chromium 156 and Firefox 153 ESR
on loopback only, with each browser's override of an endpoint's address space (tests/browser/
test_lna_oracle.py), from plain-http pages, only a *public* page fetching a local or loopback
address is gated (a local page may fetch loopback, anything may fetch a public address):

- Chromium blocks it (Local Network Access, Chrome 142+; the browser sends nothing).
- Firefox holds the request for a permission prompt (``network.lna.prompt.timeout``, 5 minutes)
  and fails it when the answer is no, or never comes (headless: no one answers). With
  ``network.lna.enabled`` false it lets it through.

The way out: serve the page locally too (from ``localhost`` or the same LAN address), or from a
secure context (https), where the browser can ask the user for permission.

The page is never contacted: its address space comes from its origin. An IP literal is
classified by range, ``localhost`` names are loopback, a name the hosts file maps by its
address there (an ``allowed_hosts`` name mapped to 127.0.0.1 in /etc/hosts is loopback, as for
the browser here), and any other name counts as public, unless an override says otherwise
(``devserve check --address-space``). The target's address is the one the connection would use.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devserve.cors.engines import Engine
from devserve.errors import DevserveError
from devserve.urls import Origin, url_host

AddressSpace = Literal["public", "local", "loopback"]
HOSTS_FILE = (
    Path(os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32", "drivers", "etc", "hosts")
    if os.name == "nt"
    else Path("/etc/hosts")
)
ADDRESS_SPACES: tuple[AddressSpace, ...] = ("public", "local", "loopback")  # least private first
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
        "fe80::/10",
    )
)


@dataclass(frozen=True)
class LnaVerdict:
    """The Local Network Access decision for one page and one target."""

    page: AddressSpace
    target: AddressSpace
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    engine_notes: list[str] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        """Is this request gated? Measured in both browsers: only a public page fetching a
        local or loopback address; local -> loopback passes, although the LNA draft gates it."""
        return self.page == "public" and self.target != "public"


def space_of_address(address: str) -> AddressSpace:
    """The address space of an IP address, by range."""
    ip = ipaddress.ip_address(address.strip("[]"))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if any(ip in network for network in _LOCAL_NETWORKS):
        return "local"
    return "public"


def _override(origin: Origin, overrides: Mapping[str, AddressSpace]) -> AddressSpace | None:
    """An override for ``host:port`` or ``host`` (as Chromium's --ip-address-space-overrides)."""
    return overrides.get(origin.netloc) or overrides.get(url_host(origin.host))


def page_space(page: str, overrides: Mapping[str, AddressSpace] | None = None) -> AddressSpace:
    """The page's address space from its origin alone (never contacted)."""
    origin = Origin.of_url(page)
    if origin is None:
        return "public"
    found = _override(origin, overrides or {})
    if found:
        return found
    if origin.ip is not None:
        return space_of_address(origin.host)
    if origin.is_localhost_name:
        return "loopback"
    # A name the hosts file maps (an allowed_hosts name the user pointed at 127.0.0.1) is where
    # the browser here loads the page from; any other name is a public site. Never a DNS query
    # for the page: it could be slow, and the page is never contacted.
    return hosts_file_space(origin.host) or "public"


def target_space(
    url: str, overrides: Mapping[str, AddressSpace] | None = None
) -> AddressSpace | None:
    """The address space of the address a fetch of ``url`` connects to; None if unresolvable."""
    origin = Origin.of_url(url)
    if origin is None:
        return None
    found = _override(origin, overrides or {})
    if found:
        return found
    host = origin.host
    if origin.ip is not None:
        return space_of_address(host)
    if origin.is_localhost_name:
        return "loopback"  # browsers resolve these names to loopback themselves
    return _resolved_space(host)


def hosts_file_space(host: str) -> AddressSpace | None:
    """The address space of ``host`` as the hosts file maps it; None if it is not there."""
    try:
        text = HOSTS_FILE.read_text(encoding="utf-8", errors="replace")[:1_000_000]
    except OSError:
        return None
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and host in (name.lower().rstrip(".") for name in fields[1:]):
            try:
                return space_of_address(fields[0])
            except ValueError:
                continue
    return None


def _resolved_space(host: str) -> AddressSpace | None:
    """The address space of the first address ``host`` resolves to; None if it does not."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    return space_of_address(str(infos[0][4][0])) if infos else None


def judge_local_network(
    page: AddressSpace,
    target: AddressSpace,
    *,
    engine: Engine = "standard",
    page_origin: str = "",
    target_url: str = "",
) -> LnaVerdict:
    """Chromium's and Firefox's decision; ``standard`` judges as Chromium (the LNA draft).

    ``page_origin`` and ``target_url`` only make the reason concrete.
    """
    verdict = LnaVerdict(page, target, allowed=True)
    if not verdict.applies:
        return verdict
    what = (
        f"a page on a {page} address{_named(page_origin)} fetching a {target} "
        f"address{_named(target_url)}"
    )
    local_page = "serve the page locally too"
    shown = Origin.of_url(page_origin)
    if shown is not None and shown.serialized.endswith(f":{shown.port}"):
        local_page += f" (e.g. from http://localhost:{shown.port})"
    else:
        local_page += " (e.g. from localhost)"
    chromium = (
        f"blocked by Local Network Access: {what}; Chromium (142+) blocks this from an http "
        f"page and sends nothing: {local_page}, or from a secure context (https) where the "
        "browser can ask the user for permission"
    )
    firefox = (
        f"held by Local Network Access: {what}; Firefox asks the user for permission to reach "
        "the local network and fails the request if the answer is no or never comes: "
        f"{local_page}, or allow it in Firefox's prompt"
    )
    if engine == "firefox":
        return LnaVerdict(page, target, False, [firefox], [f"In Chromium: {chromium}"])
    return LnaVerdict(page, target, False, [chromium], [f"In Firefox: {firefox}"])


def _named(url: str) -> str:
    origin = Origin.of_url(url)
    return f" ({origin.host})" if origin else ""


def parse_address_spaces(items: list[str]) -> dict[str, AddressSpace]:
    """``HOST[:PORT]=space`` options (``--address-space``) as an overrides mapping."""
    found: dict[str, AddressSpace] = {}
    for item in items:
        where, equals, space = item.partition("=")
        where = where.strip().lower().rstrip(".")
        space = space.strip().lower()
        if not equals or not where or space not in ADDRESS_SPACES:
            raise DevserveError(
                f"--address-space {item!r}: write HOST[:PORT]=public|local|loopback, "
                "e.g. 203.0.113.7:8000=public or myapp.test=local"
            )
        found[where] = space
    return found
