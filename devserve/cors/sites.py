"""Hosts as browsers see them: the site of a URL, and whether its context counts as secure.

A *site* is a scheme plus a registrable domain; ports do not count, so ``http://localhost:8000``
and ``http://localhost:8001`` are same-site, while ``localhost`` and ``127.0.0.1``, or ``http``
and ``https``, are not. Browsers find the registrable domain in the Public Suffix List; devserve
does not ship it and uses a small rule that is exact for local work and an approximation beyond:

- an IP literal, ``localhost`` and every ``*.localhost`` name is its own site (``localhost`` is
  not in the Public Suffix List either, so ``app.localhost`` has no shorter registrable
  domain; not yet checked in a browser);
- another single-label name is its own site;
- a name with a dot uses its last two labels (``app.example.com`` -> ``example.com``). This is
  wrong under multi-label public suffixes (``a.github.io`` and ``b.github.io`` are different
  sites in a browser, ``x.co.uk`` is not ``co.uk``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The lowercased host of an http(s) URL or origin, without brackets or a trailing dot.

    ``""`` for anything unparsable: an Origin header is request input, it may be garbage.
    """
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def scheme_of(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else ""


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_localhost_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def registrable_domain(host: str) -> str:
    """The host's registrable domain by the rule in this module's docstring."""
    host = host.rstrip(".").lower()
    if ip_literal(host) is not None or is_localhost_name(host) or "." not in host:
        return host
    return ".".join(host.split(".")[-2:])


def site(url: str) -> str:
    """``scheme://registrable-domain`` of a URL or origin; ``"null"`` for an opaque origin."""
    host = host_of(url)
    if url.strip() == "null" or not host:
        return "null"
    return f"{scheme_of(url)}://{registrable_domain(host)}"


def same_site(a: str, b: str) -> bool:
    """Schemeful same-site, as Chromium and Firefox compare for cookies. ``null`` is no site
    (an opaque origin, or an unparsable one)."""
    return "null" not in (site(a), site(b)) and site(a) == site(b)


def is_trustworthy(url: str) -> bool:
    """A potentially trustworthy URL (Secure Contexts): https, or http on a loopback host.

    Chromium and Firefox both accept and send ``Secure`` cookies on ``http://localhost`` and
    ``http://127.0.0.1`` (checked in tests/browser/test_cookie_oracle.py).
    """
    if scheme_of(url) == "https":
        return True
    host = host_of(url)
    address = ip_literal(host)
    return is_localhost_name(host) or (address is not None and address.is_loopback)
