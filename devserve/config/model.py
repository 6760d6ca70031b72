"""The config model: every key of ``devserve.toml``, its types, defaults and checks."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from starlette.routing import compile_path

from devserve.cors.standard import is_token
from devserve.origins import origin_url_problem

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# Any HTTP token is a method (PROPFIND, PURGE), unless it looks like a typo of one of these.
STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


def _check_origin(origin: str) -> str:
    problem = origin_url_problem(origin)
    if problem:
        raise ValueError(problem)
    return origin


def _check_method(method: str) -> str:
    if method == "*" or method in STANDARD_METHODS:
        return method
    if not is_token(method):
        raise ValueError(
            f"{method!r} is not an HTTP method name (letters, digits and !#$%&'*+.^_`|~- only)"
        )
    if method.upper() in STANDARD_METHODS:
        return method  # case-sensitive by design (CORS rule 8): "put" is not "PUT"
    close = difflib.get_close_matches(method.upper(), STANDARD_METHODS, n=1, cutoff=0.75)
    if close:
        raise ValueError(f"{method!r} is not a standard method; did you mean {close[0]!r}?")
    return method


OriginUrl = Annotated[str, AfterValidator(_check_origin)]
MethodName = Annotated[str, AfterValidator(_check_method)]
# Paths are written as TOML strings; every other value must have exactly its type.
ConfigPath = Annotated[Path, Strict(False)]


class _Strict(BaseModel):
    # strict: `port = true` or `port = "8000"` is an error, not port 1 or port 8000.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CorsTable(_Strict):
    """An exact CORS policy, as a real API would configure it."""

    allow_origins: list[OriginUrl] = Field(
        default_factory=list, description='Origins allowed, or ["*"].'
    )
    allow_origin_regex: str | None = Field(
        default=None, description="Regex an origin must fully match."
    )
    allow_methods: list[MethodName] = Field(default_factory=lambda: ["GET", "HEAD", "POST"])
    allow_headers: list[str] = Field(default_factory=list)
    allow_credentials: bool = False
    expose_headers: list[str] = Field(default_factory=list)
    max_age: int = Field(default=0, ge=0, description="Access-Control-Max-Age, in seconds.")
    allow_private_network: bool = False
    preflight_status: int = Field(default=204, ge=200, le=299)

    @field_validator("allow_origin_regex")
    @classmethod
    def _regex_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"not a valid regular expression ({exc}); fix the pattern"
                ) from None
        return pattern

    @field_validator("allow_credentials")
    @classmethod
    def _credentials_need_exact_origins(cls, credentials: bool, info: ValidationInfo) -> bool:
        if credentials and "*" in info.data.get("allow_origins", []):
            raise ValueError(
                'true cannot be combined with "*" in allow_origins: browsers reject '
                "credentialed responses with Access-Control-Allow-Origin: *. List the exact "
                'origins instead, or use cors = "on" to echo any origin'
            )
        return credentials


def _cors_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "<switch>"
    if isinstance(value, dict | CorsTable):
        return "<table>"
    return "<mode>"


CorsSetting = Annotated[
    Annotated[bool, Tag("<switch>")]
    | Annotated[Literal["off", "on", "*"], Tag("<mode>")]
    | Annotated[CorsTable, Tag("<table>")],
    Discriminator(_cors_kind),
]


def _methods_kind(value: Any) -> str:
    return "<methods>" if isinstance(value, list | tuple) else "<method>"


# One method or a list: tagged, so an error names the method, not both shapes of the union.
Methods = Annotated[
    Annotated[MethodName, Tag("<method>")] | Annotated[list[MethodName], Tag("<methods>")],
    Discriminator(_methods_kind),
]


class Route(_Strict):
    """One declared mock route."""

    method: Methods = Field(default="GET", description='"GET", a list, or "*" for any.')
    path: str = Field(description="Starlette path syntax, e.g. /users/{id:int}.")
    status: int = Field(default=200, ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    body: str | None = None
    file: ConfigPath | None = None
    delay_ms: int = Field(default=0, ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"must start with '/', e.g. '/{path}'")
        try:
            compile_path(path)
        except (AssertionError, ValueError) as exc:
            raise ValueError(
                f"not a valid Starlette path ({exc}); e.g. '/users/{{id:int}}'"
            ) from None
        return path

    @model_validator(mode="after")
    def _one_body(self) -> Route:
        given = [
            name
            for name, value in (("json", self.json_body), ("body", self.body), ("file", self.file))
            if value is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give only one of json, body or file (found {', '.join(given)})")
        return self

    @property
    def methods(self) -> list[str] | None:
        """The methods this route answers; None means any."""
        methods = [self.method] if isinstance(self.method, str) else self.method
        return None if "*" in methods else methods


_PROXY_URL = re.compile(r"^https?://(\[[0-9a-fA-F:.]+\]|[^/:?#@\s]+)(:\d{1,5})?(/[^?#\s]*)?$")
RecordMode = Literal["record", "missing", "replay", "off"]


def _check_proxy(url: str) -> str:
    if not _PROXY_URL.match(url):
        raise ValueError(
            f"{url!r} is not an upstream URL; write http(s)://host[:port][/base/path] with no "
            "query, fragment or user:password@ (put credentials in proxy_headers)"
        )
    return url.rstrip("/")


class RecordMatch(_Strict):
    """What makes two requests the same recording, beyond method, path and query."""

    body: bool = Field(default=False, description="Also match the request body.")
    headers: list[str] = Field(
        default_factory=list, description="Request headers whose values must match too."
    )
    query: bool = Field(default=True, description="Match the (normalized) query string.")
    ignore_query: list[str] = Field(
        default_factory=list, description="Query parameters left out (cache busters)."
    )


class Redact(_Strict):
    """Secrets replaced by placeholders in recordings, on top of the built-in list."""

    headers: list[str] = Field(default_factory=list, description="More header names.")
    query: list[str] = Field(default_factory=list, description="More query parameter names.")
    json_paths: list[str] = Field(
        default_factory=list,
        alias="json",
        description="Dotted paths in JSON bodies, e.g. user.email or items.*.token.",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Origin(_Strict):
    """One origin: a port with what it serves and its CORS policy."""

    port: int = Field(ge=0, le=65535, description="0 picks a free port (see the banner).")
    static: ConfigPath | None = Field(default=None, description="Directory served at /.")
    spa: bool = Field(
        default=False, description="Unknown extension-less paths fall back to index.html."
    )
    cors: CorsSetting = Field(default="off")
    delay_ms: int = Field(default=0, ge=0, description="Added to every response of this origin.")
    routes: list[Route] = Field(default_factory=list)
    proxy: Annotated[str, AfterValidator(_check_proxy)] | None = Field(
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
    redact: Redact = Field(default_factory=Redact)
    resources: ConfigPath | None = Field(
        default=None, description="JSON file served as json-server 0.17-style REST (db.json)."
    )
    resources_prefix: str = Field(
        default="", description='Path the resources are served under, e.g. "/api".'
    )
    read_only: bool = Field(default=False, description="Resource writes answer 405.")
    persist: bool = Field(
        default=True, description="Write resource changes to the file; false keeps them in memory."
    )

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


class Settings(_Strict):
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

    @field_validator("dashboard_port", mode="before")
    @classmethod
    def _port_or_false(cls, value: object) -> object:
        if value is False or (type(value) is int and 0 <= value <= 65535):
            return value
        expected = "expected a port (1-65535, or 0 for any free port), or false for no dashboard"
        raise ValueError(f"{expected} (got {value!r})")


class Config(_Strict):
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
