"""Which page origins a policy lets in: the local-origin rule of ``on``, and bounded regexes."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import re2

# Browsers send short origins; a long one is a probe. Bounding it bounds every check below.
MAX_ORIGIN_LENGTH = 2048

# A serialized origin as browsers send it: no path, no userinfo (host names are case-blind).
_ORIGIN = re.compile(
    r"(?:http|https)://(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9.-]+))(?::[0-9]{1,5})?",
    re.IGNORECASE,
)
_WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})


def _regex_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is a config error, not a line on stderr
    return options


def origin_regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an ``allow_origin_regex``, or None."""
    try:
        re2.compile(pattern, _regex_options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        return (
            f"not a valid regular expression ({reason}); origins are matched in linear time "
            "(RE2 syntax: no lookarounds or backreferences), so rewrite the pattern without them"
        )
    return None


class OriginPattern:
    """An ``allow_origin_regex``, matched by RE2: linear time, so no Origin can stall a server."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled = re2.compile(pattern, _regex_options())

    def fullmatch(self, origin: str) -> bool:
        return self._compiled.fullmatch(origin) is not None


def origin_host(origin: str) -> str | None:
    """The host of a serialized origin (``http://[::1]:80`` -> ``::1``); None if it is not one."""
    match = _ORIGIN.fullmatch(origin)
    return None if match is None else str(match["ipv6"] or match["name"]).lower()


def is_loopback_name(name: str) -> bool:
    """``localhost``, ``*.localhost`` (RFC 6761: always loopback), 127.0.0.0/8 and ``::1``."""
    name = name.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass(frozen=True)
class LocalOrigins:
    """The origins ``cors = "on"`` echoes: pages on this machine, or on a host the user named.

    Vite made the same change after CVE-2025-24010: echoing any origin lets every public site
    the developer visits read the dev server.
    """

    hosts: frozenset[str] = frozenset()  # allowed_hosts, and the address bound with --host

    @classmethod
    def for_server(cls, *, bound_host: str, allowed_hosts: Iterable[str]) -> LocalOrigins:
        hosts = {host.lower().rstrip(".") for host in allowed_hosts}
        if bound_host not in _WILDCARD_BINDS:
            hosts.add(bound_host.lower().strip("[]").rstrip("."))
        return cls(hosts=frozenset(hosts))

    def allows(self, origin: str) -> bool:
        return _local_allows(self.hosts, origin)

    def describe(self) -> str:
        named = f", {', '.join(sorted(self.hosts))}" if self.hosts else ""
        return f"localhost, *.localhost, loopback IPs{named}"


@lru_cache(maxsize=1024)
def _local_allows(hosts: frozenset[str], origin: str) -> bool:
    """Asked on every cross-origin request, with the same few origins: worked out once each."""
    host = origin_host(origin)
    return host is not None and (is_loopback_name(host) or host in hosts)
