"""Which page origins a policy lets in: the local-origin rule of ``on``, and bounded regexes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import re2

from devserve.urls import Origin

# Browsers send short origins; a long one is a probe. Bounding it bounds every check below.
MAX_ORIGIN_LENGTH = 2048

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


def _local_allows(hosts: frozenset[str], origin: str) -> bool:
    parsed = Origin.of_header(origin)  # cached there: the same few origins come again and again
    return parsed is not None and (parsed.is_loopback or parsed.host in hosts)
