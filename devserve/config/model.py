"""The whole config: its origins, the ``[devserve]`` settings, and the ``Config`` root."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from devserve.config.cors import CorsSetting, OriginUrl
from devserve.config.live import Socket, check_sockets
from devserve.config.mocks import Route
from devserve.config.proxy import ProxyUrl, RecordMatch, RecordMode, Redact, SpecLocation
from devserve.config.sites import SiteName
from devserve.config.strict import ConfigPath, StrictModel

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# Which json-server the resources answer like: 0.17.4 (the default) or 1.0.0-beta.15.
Dialect = Literal["0.17", "v1"]
# What a request that breaks the OpenAPI spec gets: refused (422), a log line only, nothing.
ValidateMode = Literal["on", "warn", "off"]
# How recorded streams and sockets are played back: with their gaps, or as fast as possible.
ReplayTiming = Literal["recorded", "compressed"]


class Origin(StrictModel):
    """One origin: a port with what it serves and its CORS policy."""

    port: int = Field(ge=0, le=65535, description="0 picks a free port (see the banner).")
    host: SiteName | None = Field(
        default=None,
        description="The origin's name, e.g. app.localhost (it still binds the [devserve] host): "
        "a name under .localhost, or one listed in allowed_hosts.",
    )
    https: bool = Field(
        default=False, description="Serve over https with a certificate from devserve's local CA."
    )
    static: ConfigPath | None = Field(default=None, description="Directory served at /.")
    spa: bool = Field(
        default=False, description="Unknown extension-less paths fall back to index.html."
    )
    compress: bool = Field(
        default=False,
        description="Static text files go out gzip- or Brotli-encoded when the browser accepts it.",
    )
    static_cache_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        le=64 * 1024 * 1024,
        description="Static files up to this size are served from memory; 0: always from disk.",
    )
    cors: CorsSetting = Field(default="off")
    allow_writes_from: list[OriginUrl] = Field(
        default_factory=list,
        description="Other origins that may write (non-GET requests, WebSockets, proxied "
        'requests with proxy_headers) beyond those the CORS policy admits; ["*"]: any site.',
    )
    delay_ms: int = Field(default=0, ge=0, description="Added to every response of this origin.")
    routes: list[Route] = Field(default_factory=list)
    sockets: list[Socket] = Field(
        default_factory=list, description="WebSocket mocks: [[origins.NAME.sockets]]."
    )
    mocks: ConfigPath | None = Field(
        default=None, description="A mock folder: users.json answers GET /users."
    )
    proxy: ProxyUrl | None = Field(
        default=None, description="Upstream URL for requests nothing else answers."
    )
    proxy_headers: dict[str, str] = Field(
        default_factory=dict,
        description="Headers added to proxied requests; values may use {{ env.NAME }}.",
    )
    proxy_timeout: float = Field(
        default=30, gt=0, le=3600, description="Seconds to wait for the upstream's headers."
    )
    record: ConfigPath | None = Field(
        default=None, description="Folder of recordings (mock-folder files) of the proxy."
    )
    record_mode: RecordMode = Field(
        default="missing", description="record, missing (the default), replay or off."
    )
    record_match: RecordMatch = Field(default_factory=RecordMatch)
    replay_timing: ReplayTiming = Field(
        default="recorded",
        description='Recorded event streams and sockets replay with their gaps ("recorded") '
        'or without waiting ("compressed").',
    )
    redact: Redact = Field(default_factory=Redact)
    resources: ConfigPath | None = Field(
        default=None, description="JSON file served as json-server 0.17-style REST (db.json)."
    )
    resources_prefix: str = Field(
        default="", description='Path the resources are served under, e.g. "/api".'
    )
    dialect: Dialect = Field(
        default="0.17",
        description='Resource query syntax: "0.17" (json-server 0.17.4) or "v1" (json-server 1.0).',
    )
    resources_routes: ConfigPath | None = Field(
        default=None,
        description='json-server\'s routes file (--routes): {"/api/*": "/$1"} rewrites request '
        "URLs before the resources answer them.",
    )
    id_field: str = Field(
        default="id", description="The field holding an item's id (json-server --id), e.g. _id."
    )
    foreign_key_suffix: str = Field(
        default="Id",
        description="How a foreign key ends (json-server --foreignKeySuffix): postId, or post_id "
        'with "_id".',
    )
    read_only: bool = Field(default=False, description="Resource writes answer 405.")
    persist: bool = Field(
        default=True, description="Write resource changes to the file; false keeps them in memory."
    )
    # -- OpenAPI (README "Mocks from OpenAPI") --
    openapi: SpecLocation | None = Field(
        default=None,
        description="An OpenAPI 3.0/3.1 document (YAML or JSON): its operations answer from "
        "its examples or schemas, and requests are validated against it. A file, or an "
        "http(s) URL on the proxy's upstream (fetched from there at start and reload).",
    )
    validate_mode: ValidateMode = Field(
        default="on",
        alias="validate",
        description='Requests that break the spec: "on" refuses them (problem+json), "warn" '
        'only logs, "off" does not check.',
    )
    validate_status: int = Field(
        default=422, ge=400, le=499, description="Status of a refused request (422 or 400)."
    )
    validate_responses: bool = Field(
        default=False, description="Log answers (mocks, proxied ones) that break the spec."
    )
    openapi_resources: list[str] = Field(
        default_factory=list,
        description='Path prefixes whose operations a resource collection answers (["/charges"]).',
    )

    _sockets = field_validator("sockets")(check_sockets)

    @field_validator("resources_prefix")
    @classmethod
    def _prefix_is_a_path(cls, prefix: str) -> str:
        if prefix and (
            not prefix.startswith("/") or prefix.endswith("/") or any(c in prefix for c in "?#{} ")
        ):
            fixed = "/" + prefix.strip("/ ")
            raise ValueError(
                f"a path like '/api': starts with '/', no trailing '/' (e.g. {fixed!r})"
            )
        return prefix

    @field_validator("id_field", "foreign_key_suffix")
    @classmethod
    def _a_field_name(cls, name: str) -> str:
        if not name or len(name) > 100 or any(c in name for c in ".[]") or not name.isprintable():
            raise ValueError(
                f"a field name like '_id' (not empty, no '.', '[' or ']'; got {name!r})"
            )
        return name

    @field_validator("openapi_resources")
    @classmethod
    def _prefixes_are_paths(cls, prefixes: list[str]) -> list[str]:
        for index, prefix in enumerate(prefixes):
            if not prefix.startswith("/") or prefix.endswith("/") or len(prefix) < 2:
                raise ValueError(f"[{index}] a path like '/charges' (got {prefix!r})")
        return prefixes


class Settings(StrictModel):
    """The ``[devserve]`` table."""

    host: str = "127.0.0.1"
    dashboard_port: int | Literal[False] = Field(
        default=8999, description="Dashboard and control API port; false disables both."
    )
    dashboard_host: str | None = Field(
        default=None,
        description="Interface of the dashboard and control API; default: loopback, even "
        "when host is not.",
    )
    live_reload: bool = Field(default=True, description="Inject the live-reload script in pages.")
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Extra Host header names accepted."
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=0,
        description="Largest request body an origin accepts (413 beyond); default 10 MiB.",
    )
    template_timeout_ms: int = Field(
        default=1000, ge=1, le=60_000, description="Time limit for rendering one mock response."
    )
    template_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Size limit of one rendered mock response."
    )
    template_memory_mb: int = Field(
        default=512,
        ge=128,
        le=1024 * 1024,
        description="Memory cap of each process that renders mock templates, in MiB.",
    )

    @field_validator("dashboard_port", mode="before")
    @classmethod
    def _port_or_false(cls, value: object) -> object:
        if value is False or (type(value) is int and 0 <= value <= 65535):
            return value
        expected = "expected a port (1-65535, or 0 for any free port), or false for no dashboard"
        raise ValueError(f"{expected} (got {value!r})")


class Config(StrictModel):
    """A whole, validated config with absolute paths."""

    devserve: Settings = Field(default_factory=Settings)
    origins: dict[str, Origin] = Field(min_length=1)

    @field_validator("origins")
    @classmethod
    def _names_are_simple(cls, origins: dict[str, Origin]) -> dict[str, Origin]:
        for name in origins:
            if not _NAME.match(name):
                raise ValueError(f"origin name {name!r} must use only letters, digits, '-' and '_'")
        return origins
