"""The proxy's keys: the upstream URL, record modes, recording match and redaction."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

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
