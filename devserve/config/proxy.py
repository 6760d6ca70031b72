"""The proxy's keys: the upstream URL, record modes, recording match and redaction; and an
``openapi`` spec at a URL, which only the proxy's upstream may serve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, ConfigDict, Field, GetCoreSchemaHandler, PlainValidator
from pydantic_core import core_schema

from devserve.config.strict import StrictModel

_PROXY_URL = re.compile(r"^https?://(\[[0-9a-fA-F:.]+\]|[^/:?#@\s]+)(:\d{1,5})?(/[^?#\s]*)?$")
RecordMode = Literal["record", "missing", "replay", "off"]


def _check_proxy(url: str) -> str:
    if not _PROXY_URL.match(url):
        raise ValueError(
            f"{url!r} is not an upstream URL; write http(s)://host[:port][/base/path] with no "
            "query, fragment or user:password@ (put credentials in proxy_headers)"
        )
    return url.rstrip("/")


ProxyUrl = Annotated[str, AfterValidator(_check_proxy)]


class RecordMatch(StrictModel):
    """What makes two requests the same recording, beyond method, path and query."""

    body: bool = Field(default=False, description="Also match the request body.")
    headers: list[str] = Field(
        default_factory=list, description="Request headers whose values must match too."
    )
    query: bool = Field(default=True, description="Match the (normalized) query string.")
    ignore_query: list[str] = Field(
        default_factory=list, description="Query parameters left out (cache busters)."
    )


class Redact(StrictModel):
    """Secrets replaced by placeholders in recordings, on top of the built-in list."""

    headers: list[str] = Field(default_factory=list, description="More header names.")
    query: list[str] = Field(default_factory=list, description="More query parameter names.")
    json_paths: list[str] = Field(
        default_factory=list,
        alias="json",
        description="Dotted paths in JSON bodies, e.g. user.email or items.*.token.",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SpecUrl(str):
    """An ``openapi`` spec at an http(s) URL: fetched through the origin's proxy upstream."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(cls, core_schema.str_schema())


def _spec_location(value: object) -> Path | SpecUrl:
    """A path (relative to the config file), or an http(s) URL kept as written."""
    if not isinstance(value, str):
        raise ValueError(
            f'expected a path or an http(s) URL in quotes (e.g. "openapi.yaml"), not {value!r}'
        )
    if re.match(r"^https?://", value, re.IGNORECASE):
        scheme, _, rest = value.partition(":")
        value = scheme.lower() + ":" + rest
        path, _, query = value.partition("?")
        if not _PROXY_URL.match(path) or any(c in query for c in "# \t\r\n"):
            raise ValueError(
                f"{value!r} is not a spec URL; write http(s)://host[:port]/path/openapi.json "
                "with no user:password@ (put credentials in proxy_headers)"
            )
        return SpecUrl(value)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        raise ValueError(
            f"{value!r}: a spec is a file or an http(s) URL on the proxy's upstream; "
            "download it into the project and give its path"
        )
    if "\x00" in value:
        raise ValueError("a path cannot contain a NUL character; fix the path")
    return Path(value)


SpecLocation = Annotated[
    Path | SpecUrl, PlainValidator(_spec_location, json_schema_input_type=str)
]


def same_origin(url: str, other: str) -> bool:
    """Whether two http(s) URLs have the same scheme, host and port (paths aside)."""
    a, b = urlsplit(url), urlsplit(other)
    try:
        ports = (a.port or _PORTS.get(a.scheme.lower())) == (b.port or _PORTS.get(b.scheme.lower()))
    except ValueError:  # a port out of range
        return False
    return (
        ports
        and a.scheme.lower() == b.scheme.lower()
        and (a.hostname or "").rstrip(".") == (b.hostname or "").rstrip(".")
    )


_PORTS = {"http": 80, "https": 443}


def spec_url_problem(url: str, proxy: str | None) -> str | None:
    """Why the spec at ``url`` cannot be fetched for an origin with upstream ``proxy``."""
    if proxy is None:
        return (
            "a spec at a URL is fetched through the proxy's upstream, and this origin has no "
            f'proxy; add proxy = "{_origin_of(url)}", or download the spec into the project '
            "and give its path"
        )
    if not same_origin(url, proxy):
        return (
            f"{url!r} is not on the proxy's upstream ({_origin_of(proxy)}); a spec is fetched "
            f"from there only: give a URL under {_origin_of(proxy)}/, or download the spec "
            "into the project and give its path"
        )
    return None


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def spec_name(location: Path | SpecUrl) -> str:
    """How an origin's spec is named to the user: the file's name, or the URL."""
    return str(location) if isinstance(location, SpecUrl) else location.name
