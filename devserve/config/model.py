"""The config model: every key of ``devserve.toml``, its types, defaults and checks."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from starlette.routing import compile_path

from devserve.cors.origins import origin_regex_problem
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


def _check_path(path: Path) -> Path:
    if "\x00" in str(path):
        raise ValueError("a path cannot contain a NUL character; fix the path")
    return path


OriginUrl = Annotated[str, AfterValidator(_check_origin)]
MethodName = Annotated[str, AfterValidator(_check_method)]
# Paths are written as TOML strings; every other value must have exactly its type.
ConfigPath = Annotated[Path, Strict(False), AfterValidator(_check_path)]


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
        problem = None if pattern is None else origin_regex_problem(pattern)
        if problem is not None:
            raise ValueError(problem)
        return pattern

    @field_validator("allow_credentials")
    @classmethod
    def _credentials_need_exact_origins(cls, credentials: bool, info: ValidationInfo) -> bool:
        if credentials and "*" in info.data.get("allow_origins", []):
            raise ValueError(
                'true cannot be combined with "*" in allow_origins: browsers reject '
                "credentialed responses with Access-Control-Allow-Origin: *. List the exact "
                'origins instead, or use cors = "on" to echo local origins'
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


def _header_kind(value: Any) -> str:
    return "<values>" if isinstance(value, list | tuple) else "<value>"


# One value, or a list sent as one header line each (Set-Cookie); tagged, so an error names
# the value, not both shapes of the union.
HeaderValue = Annotated[
    Annotated[str, Tag("<value>")] | Annotated[list[str], Tag("<values>")],
    Discriminator(_header_kind),
]

FaultName = Literal["reset", "close", "hang"]


def _match_value(value: object) -> object:
    if not isinstance(value, str | bool):
        raise ValueError(
            f'expected text ("2", "~regex") or true/false for present/absent (got {value!r}); '
            'write numbers in quotes: page = "2"'
        )
    return value


MatchValue = Annotated[StrictStr | StrictBool, BeforeValidator(_match_value)]


class Match(_Strict):
    """Conditions on the request; a route answers only when every one given holds."""

    query: dict[str, MatchValue] = Field(
        default_factory=dict, description='Exact value, "~regex" (full match), true/false.'
    )
    headers: dict[str, MatchValue] = Field(default_factory=dict)
    cookies: dict[str, MatchValue] = Field(default_factory=dict)
    form: dict[str, MatchValue] = Field(default_factory=dict)
    json_body: Any = Field(
        default=None, alias="json", description="A JSON value the request body must contain."
    )
    body: Any = Field(
        default=None,
        description="The whole body: a JSON value compared exactly, text, or sha256:HEX.",
    )
    exact_query: bool = Field(
        default=False, description="No query parameter besides those in query (recordings)."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @property
    def has_json(self) -> bool:
        """Whether ``json`` was given (TOML has no null, so None means "not given")."""
        return "json_body" in self.model_fields_set

    @property
    def has_body(self) -> bool:
        return "body" in self.model_fields_set


class MockResponse(_Strict):
    """What a mock answers: status, headers and one body, or a fault; with latency."""

    status: StrictInt | str = Field(
        default=200, description='A status (201), or a template ("{{ 201 if json.id else 422 }}").'
    )
    headers: dict[str, HeaderValue] = Field(
        default_factory=dict, description="A list sends the header once per value (Set-Cookie)."
    )
    json_body: Any = Field(default=None, alias="json")
    body: str | None = None
    file: ConfigPath | None = None
    fault: FaultName | None = Field(
        default=None, description="reset (TCP reset), close (no response) or hang (never answer)."
    )
    delay_ms: int = Field(default=0, ge=0)
    jitter_ms: int = Field(default=0, ge=0, description="Up to this much extra random latency.")

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @field_validator("status", mode="before")
    @classmethod
    def _status_or_template(cls, status: object) -> object:
        if isinstance(status, bool) or not isinstance(status, int | str):
            shown = str(status).lower() if isinstance(status, bool) else repr(status)
            raise ValueError(f"expected a status number or a template, not {shown}")
        if isinstance(status, int) and not 100 <= status <= 599:
            raise ValueError(f"a status is between 100 and 599 (got {status})")
        if isinstance(status, str) and "{{" not in status:
            fix = (
                f"write {status.strip()} without quotes"
                if status.strip().isdigit()
                else 'write a number (201) or a template such as "{{ 201 if json.id else 422 }}"'
            )
            raise ValueError(f'expected a status number or a template, not "{status}"; {fix}')
        return status

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for name in headers:
            if not is_token(name):
                raise ValueError(f"{name!r} is not a valid header name")
        return headers

    @model_validator(mode="after")
    def _one_body(self) -> MockResponse:
        given = [name for name, value in self._bodies() if value is not None]
        if len(given) > 1:
            raise ValueError(f"give only one of json, body or file (found {', '.join(given)})")
        if given and self.fault is not None:
            raise ValueError(
                f"fault = {self.fault!r} sends no response, so {given[0]} is never sent; "
                "remove one of them"
            )
        return self

    def _bodies(self) -> list[tuple[str, object]]:
        return [("json", self.json_body), ("body", self.body), ("file", self.file)]


# Keys that describe one response: with ``responses``, they go on each item instead.
RESPONSE_KEYS = ("status", "json_body", "body", "file", "fault")


class Behaviour(MockResponse):
    """A response, or a sequence of them, and the conditions for answering at all.

    A route is a Behaviour plus its method and path; a mock folder's ``.mock.json`` file is
    a Behaviour whose method and path come from its file name.
    """

    match: Match | None = Field(
        default=None, description="Answer only requests that also match these conditions."
    )
    responses: list[MockResponse] | None = Field(
        default=None, min_length=1, description="A sequence of responses, one per request."
    )
    order: Literal["cycle", "random", "once-then-last"] = Field(
        default="cycle", description="How the responses follow each other."
    )

    @model_validator(mode="after")
    def _responses_or_one(self) -> Behaviour:
        if self.responses is not None:
            both = [k for k in RESPONSE_KEYS if k in self.model_fields_set]
            if both:
                key = "json" if both[0] == "json_body" else both[0]
                raise ValueError(
                    f"with responses = [...], put {key} on each response, not on the route "
                    "(the route's headers, delay_ms and jitter_ms apply to all of them)"
                )
        return self


class Route(Behaviour):
    """One declared mock route: which requests it answers, and its response(s)."""

    method: Methods = Field(default="GET", description='"GET", a list, or "*" for any.')
    path: str = Field(description="Starlette path syntax, e.g. /users/{id:int}.")

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
    mocks: ConfigPath | None = Field(
        default=None, description="A mock folder: users.json answers GET /users."
    )
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
