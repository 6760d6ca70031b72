"""Origins and hosts parsed once: one immutable value that knows its scheme, host, port, site and
whether it is local. Every module that asks "is this host local?" or "which site is this?" asks
here (as Starlette's ``datastructures.URL`` and httpx's ``_urls`` do for their libraries).

A *site* is a scheme plus a registrable domain; ports do not count, so ``http://localhost:8000``
and ``http://localhost:8001`` are same-site, while ``localhost`` and ``127.0.0.1``, or ``http``
and ``https``, are not. Browsers find the registrable domain in the Public Suffix List; devserve
does not ship it and uses a small rule that is exact for local work and an approximation beyond:

- an IP literal, ``localhost`` and every ``*.localhost`` name is its own site (``localhost`` is
  not in the Public Suffix List either, so ``app.localhost`` has no shorter registrable domain);
- another single-label name is its own site;
- a name with a dot uses its last two labels (``app.example.com`` -> ``example.com``). This is
  wrong under multi-label public suffixes (``a.github.io`` and ``b.github.io`` are different
  sites in a browser, ``x.co.uk`` is not ``co.uk``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from devserve.errors import DevserveError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# What a config may give as an origin; origin_url_problem says what is wrong with the rest.
_CONFIG_ORIGIN = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)(?::(?P<port>\d{1,5}))?$"
)
# A serialized origin exactly as browsers send one: no path, no userinfo, no trailing slash.
_SERIALIZED = re.compile(
    r"(?P<scheme>https?)://(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9.-]+))"
    r"(?::(?P<port>[0-9]{1,5}))?",
    re.IGNORECASE,
)


def ip_literal(host: str) -> IPAddress | None:
    """The address ``host`` spells (brackets allowed), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_localhost_name(host: str) -> bool:
    """``localhost`` and ``*.localhost``: loopback by RFC 6761, and so in Chromium and Firefox."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def is_loopback_host(host: str) -> bool:
    """A ``localhost`` name, 127.0.0.0/8 or ``::1`` (an IPv4-mapped one too)."""
    if is_localhost_name(host):
        return True
    address = ip_literal(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and address.is_loopback


def url_host(host: str) -> str:
    """``host`` as written in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def dns_name(host: str) -> str | None:
    """``host`` as a DNS name (lower case, no trailing dot), or None if it is not one."""
    name = host.strip().lower().rstrip(".")
    return name if len(name) <= 253 and _DNS_NAME.fullmatch(name) else None


def registrable_domain(host: str) -> str:
    """The host's registrable domain by the rule in this module's docstring."""
    host = host.rstrip(".").lower()
    if ip_literal(host) is not None or is_localhost_name(host) or "." not in host:
        return host
    return ".".join(host.split(".")[-2:])


@dataclass(frozen=True, slots=True)
class Origin:
    """``scheme://host[:port]``: the host lowercase, without brackets or a trailing dot, and the
    port always filled in (80 and 443 when the text left it out)."""

    scheme: str
    host: str
    port: int

    @staticmethod
    def of_header(value: str) -> Origin | None:
        """An ``Origin`` header as browsers send it (strictly: a path or userinfo makes it not an
        origin at all); None for ``null`` and for anything else."""
        return _of_header(value)

    @staticmethod
    def of_url(url: str) -> Origin | None:
        """The origin of an http(s) or ws(s) URL (or of a serialized origin); None if it has
        none (``null``, a ``data:`` URL, garbage)."""
        return _of_url(url)

    @property
    def serialized(self) -> str:
        """As browsers write it: the default port left out."""
        default = DEFAULT_PORTS.get(self.scheme)
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{url_host(self.host)}{port}"

    def __str__(self) -> str:
        return self.serialized

    @property
    def netloc(self) -> str:
        """``host:port`` with the port always written (an IPv6 host in brackets)."""
        return f"{url_host(self.host)}:{self.port}"

    @property
    def ip(self) -> IPAddress | None:
        return ip_literal(self.host)

    @property
    def is_localhost_name(self) -> bool:
        return is_localhost_name(self.host)

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def site(self) -> str:
        """``scheme://registrable-domain`` (schemeful: http and https are different sites)."""
        return f"{self.scheme}://{registrable_domain(self.host)}"

    @property
    def is_trustworthy(self) -> bool:
        """A potentially trustworthy origin (Secure Contexts): https, or a loopback host.
        Chromium and Firefox both accept ``Secure`` cookies on ``http://localhost`` and
        ``http://127.0.0.1`` (checked in tests/browser/test_cookie_oracle.py)."""
        return self.scheme in ("https", "wss") or self.is_loopback


# Asked on every cross-origin request with the same few values: worked out once each, bounded
# so that varied request headers cannot grow the caches.
@lru_cache(maxsize=2048)
def _of_header(value: str) -> Origin | None:
    match = _SERIALIZED.fullmatch(value)
    if match is None:
        return None
    scheme = match["scheme"].lower()
    host = (match["ipv6"] or match["name"]).lower().rstrip(".")
    if match["ipv6"] is not None and ip_literal(host) is None:
        return None
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
    return Origin(scheme, host, port) if host and 0 < port < 65536 else None


@lru_cache(maxsize=2048)
def _of_url(url: str) -> Origin | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port if port is not None else DEFAULT_PORTS[scheme])


def site(url: str) -> str:
    """The site of a URL or origin; ``"null"`` for an opaque or unparsable one."""
    origin = Origin.of_url(url)
    return "null" if origin is None or url.strip() == "null" else origin.site


def same_site(a: str, b: str) -> bool:
    """Schemeful same-site, as Chromium and Firefox compare for cookies. ``null`` is no site."""
    return "null" not in (site(a), site(b)) and site(a) == site(b)


def serialize_origin(url: str) -> str:
    """The origin of ``url`` as a browser writes it (``null`` stays ``null``); DevserveError
    when ``url`` is not an http(s) URL."""
    if url.strip() == "null":
        return "null"
    origin = Origin.of_url(url)
    if origin is None or origin.scheme not in ("http", "https"):
        raise DevserveError(f"{url!r} is not an http(s) URL such as http://localhost:8000")
    return origin.serialized


def origin_url_problem(origin: str) -> str | None:
    """Say why a configured ``origin`` is not a serialized origin (``scheme://host[:port]``)."""
    if origin in ("*", "null"):
        return None
    match = _CONFIG_ORIGIN.match(origin)
    if not match:
        if origin.endswith("/"):
            fixed = origin.rstrip("/")
            return f"{origin!r} has a trailing slash; an origin is scheme://host[:port]: {fixed!r}"
        if "://" in origin and "/" in origin.split("://", 1)[1]:
            base = origin.split("://", 1)[0] + "://" + origin.split("://", 1)[1].split("/", 1)[0]
            return f"{origin!r} has a path; an origin is scheme://host[:port] only, write {base!r}"
        return (
            f"{origin!r} is not an origin; write it as scheme://host[:port], "
            "e.g. 'http://localhost:8000'"
        )
    if origin != origin.lower() and match["host"] == match["host"].upper() != match["host"].lower():
        return f"{origin!r} must be lower case, as browsers send it"
    if match["port"] and not 1 <= int(match["port"]) <= 65535:
        return f"{origin!r} has a port outside 1-65535"
    return None
