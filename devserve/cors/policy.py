"""Server-side CORS policy: which origins, methods and headers an origin allows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from devserve.config import CorsTable
from devserve.cors.standard import SAFELISTED_METHODS

Mode = Literal["off", "on", "*", "policy"]


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A resolved policy; ``None`` in a field means "echo whatever the request asks for"."""

    mode: Mode
    origins: frozenset[str] | None
    wildcard: bool = False
    origin_regex: re.Pattern[str] | None = None
    methods: tuple[str, ...] | None = None
    headers: tuple[str, ...] | None = None
    credentials: bool = False
    expose: tuple[str, ...] | None = None
    max_age: int = 0
    private_network: bool = False
    preflight_status: int = 204

    @cached_property
    def _headers_lower(self) -> frozenset[str] | None:
        return None if self.headers is None else frozenset(h.lower() for h in self.headers)

    def allows_origin(self, origin: str) -> bool:
        """Rule 5: ``null`` only when listed; otherwise an exact, byte-for-byte match."""
        if self.origins is not None and origin in self.origins:
            return True
        if origin == "null":
            return False
        if self.origins is None or self.wildcard:
            return True
        return self.origin_regex is not None and self.origin_regex.fullmatch(origin) is not None

    def allow_origin_value(self, origin: str) -> str:
        """The Access-Control-Allow-Origin value for an allowed origin."""
        return "*" if self.wildcard and origin != "null" else origin

    def method_problem(self, method: str) -> str | None:
        """Why a preflight asking for ``method`` fails, or None. Methods are case-sensitive."""
        if self.methods is None or "*" in self.methods or method in self.methods:
            return None
        if method in SAFELISTED_METHODS:
            return None  # browsers never need a safelisted method listed
        return f"method {method!r} is not in allow_methods ({', '.join(self.methods) or 'empty'})"

    def header_problem(self, requested: list[str]) -> str | None:
        """Why a preflight asking for these headers fails, or None. Names are case-insensitive."""
        allowed = self._headers_lower
        if allowed is None or "*" in allowed:
            return None
        missing = [name for name in requested if name.lower() not in allowed]
        if missing:
            listed = ", ".join(self.headers or ()) or "empty"
            return f"header {missing[0].lower()!r} is not in allow_headers ({listed})"
        return None

    def describe(self) -> str:
        """A short human summary for the banner and status output."""
        if self.mode == "on":
            return "on (echoes any origin, with credentials)"
        if self.mode == "*":
            return "* (any origin, no credentials)"
        allowed = sorted(self.origins or ())
        if self.origin_regex is not None:
            allowed.append(f"/{self.origin_regex.pattern}/")
        credentials = ", credentials" if self.credentials else ""
        return f"allow-list: {' '.join(allowed) or '(none)'}{credentials}"


PERMISSIVE = Policy(mode="on", origins=None, credentials=True, private_network=True)
PUBLIC = Policy(
    mode="*",
    origins=None,
    wildcard=True,
    methods=("*",),
    headers=("*",),
    expose=("*",),
)


def resolve(setting: bool | str | CorsTable) -> Policy | None:
    """Turn a config ``cors`` value into a Policy; None means CORS is off."""
    if setting is False or setting == "off":
        return None
    if setting is True or setting == "on":
        return PERMISSIVE
    if setting == "*":
        return PUBLIC
    assert isinstance(setting, CorsTable)
    wildcard = "*" in setting.allow_origins
    return Policy(
        mode="policy",
        origins=frozenset(o for o in setting.allow_origins if o != "*"),
        wildcard=wildcard,
        origin_regex=re.compile(setting.allow_origin_regex) if setting.allow_origin_regex else None,
        methods=tuple(setting.allow_methods),
        headers=tuple(setting.allow_headers),
        credentials=setting.allow_credentials,
        expose=tuple(setting.expose_headers),
        max_age=setting.max_age,
        private_network=setting.allow_private_network,
        preflight_status=setting.preflight_status,
    )


class CorsSwitch:
    """An origin's CORS state, shared by its middleware and whoever flips it at runtime."""

    def __init__(self, configured: Policy | None) -> None:
        self.configured = configured
        self.enabled = configured is not None

    def reconfigure(self, setting: bool | str | CorsTable) -> None:
        """Take a new configured policy (config reload); its on/off state follows the config."""
        self.configured = resolve(setting)
        self.enabled = self.configured is not None

    @property
    def active(self) -> Policy | None:
        """The policy in force now; switching on an origin configured "off" uses ``on``."""
        if not self.enabled:
            return None
        return self.configured or PERMISSIVE

    def describe(self) -> str:
        policy = self.active
        return "off" if policy is None else policy.describe()
