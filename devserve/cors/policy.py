"""Server-side CORS policy: which origins, methods and headers an origin allows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Protocol

from devserve.cors.origins import MAX_ORIGIN_LENGTH, LocalOrigins, OriginPattern
from devserve.cors.standard import SAFELISTED_METHODS

Mode = Literal["off", "on", "*", "policy"]


class CorsTable(Protocol):
    """What a cors table of the config says (``config.cors.CorsTable``): read, never imported,
    so the CORS layer stands below the config."""

    allow_origins: list[str]
    allow_origin_regex: str | None
    allow_methods: list[str]
    allow_headers: list[str]
    allow_credentials: bool
    expose_headers: list[str]
    max_age: int
    allow_private_network: bool
    preflight_status: int


# A config's ``cors`` value: a switch, a mode, or a table.
CorsSetting = bool | str | CorsTable


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A resolved policy; ``None`` in a field means "echo whatever the request asks for".

    With ``local`` (mode ``on``), ``origins=None`` echoes only the origins ``local`` allows.
    """

    mode: Mode
    origins: frozenset[str] | None
    wildcard: bool = False
    local: LocalOrigins | None = None
    origin_regex: OriginPattern | None = None
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
        return self.origin_problem(origin) is None

    def origin_problem(self, origin: str) -> str | None:
        """Why ``origin`` is not allowed, in words that name the rule; None if it is."""
        if len(origin) > MAX_ORIGIN_LENGTH:
            return (
                f"the Origin header is {len(origin)} characters long, over devserve's limit of "
                f"{MAX_ORIGIN_LENGTH} (no browser sends such an origin)"
            )
        if self.origins is not None and origin in self.origins:
            return None
        if origin == "null":
            return "origin 'null' is not allowed (only when listed in allow_origins)"
        if self.local is not None:
            if self.local.allows(origin):
                return None
            return (
                f'origin {origin!r} is not allowed: it is not local, and cors = "on" echoes '
                f"only local origins ({self.local.describe()})"
            )
        if self.origins is None or self.wildcard:
            return None
        if self.origin_regex is not None and self.origin_regex.fullmatch(origin):
            return None
        return f"origin {origin!r} is not allowed"

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
            return "on (echoes local origins, with credentials)"
        if self.mode == "*":
            return "* (any origin, no credentials)"
        allowed = sorted(self.origins or ())
        if self.origin_regex is not None:
            allowed.append(f"/{self.origin_regex.pattern}/")
        credentials = ", credentials" if self.credentials else ""
        return f"allow-list: {' '.join(allowed) or '(none)'}{credentials}"


def permissive(local: LocalOrigins) -> Policy:
    """The ``on`` policy: local origins echoed, with credentials, whatever they ask for.

    No Access-Control-Allow-Private-Network: Chrome 142 replaced Private Network Access by the
    Local Network Access permission, so the header unlocks nothing (tables keep the option).
    """
    return Policy(mode="on", origins=None, local=local, credentials=True)


PUBLIC = Policy(
    mode="*",
    origins=None,
    wildcard=True,
    methods=("*",),
    headers=("*",),
    expose=("*",),
)


def resolve(setting: CorsSetting, *, local: LocalOrigins | None = None) -> Policy | None:
    """Turn a config ``cors`` value into a Policy; None means CORS is off.

    ``local`` says which origins ``on`` echoes (loopback only when not given).
    """
    if setting is False or setting == "off":
        return None
    if setting is True or setting == "on":
        return permissive(local or LocalOrigins())
    if setting == "*":
        return PUBLIC
    assert not isinstance(setting, bool | str), f"unknown cors mode {setting!r}"
    wildcard = "*" in setting.allow_origins
    return Policy(
        mode="policy",
        origins=frozenset(o for o in setting.allow_origins if o != "*"),
        wildcard=wildcard,
        origin_regex=(
            OriginPattern(setting.allow_origin_regex) if setting.allow_origin_regex else None
        ),
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

    def __init__(self, configured: Policy | None, *, local: LocalOrigins | None = None) -> None:
        self.configured = configured
        self.enabled = configured is not None
        self.local = local or LocalOrigins()
        self._permissive = permissive(self.local)

    def reconfigure(self, setting: CorsSetting) -> None:
        """Take a new configured policy (config reload); its on/off state follows the config."""
        self.configured = resolve(setting, local=self.local)
        self.enabled = self.configured is not None

    @property
    def active(self) -> Policy | None:
        """The policy in force now; switching on an origin configured "off" uses ``on``."""
        if not self.enabled:
            return None
        return self.configured or self._permissive

    def describe(self) -> str:
        policy = self.active
        return "off" if policy is None else policy.describe()
