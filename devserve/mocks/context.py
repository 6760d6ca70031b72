"""The request as mock templates and matchers see it: path, query, headers, cookies, body, form.

The body is read only when a route uses it, and never past the limit: a request must not make
devserve buffer more than ``BODY_LIMIT`` bytes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import URL, Headers, QueryParams, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import cookie_parser
from starlette.types import Message, Receive, Scope

from devserve.media import essence
from devserve.mocks.matching import RAW_BODY
from devserve.mocks.templates import CaseInsensitive

# max_body_bytes, 10 MiB by default (README "Security model"): a larger body is refused
# with 413 before anything parses it.
BODY_LIMIT = 10 * 1024 * 1024
# Names of the request data that need the body.
BODY_NAMES = frozenset({"json", "form", "body"})
MAX_FORM_FIELDS = 1000


class BodyTooLarge(Exception):
    """The request body is over the limit."""


async def read_body(receive: Receive, limit: int = BODY_LIMIT) -> bytes:
    """The whole request body, or BodyTooLarge as soon as it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the request body is over {limit:,} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(receive: Receive, body: bytes) -> Receive:
    """A ``receive`` that hands ``body`` out again, so a later layer can still read it."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def request_data(scope: Scope, body: bytes | None) -> dict[str, Any]:
    """Everything a template may use, except ``path`` (each route has its own parameters)."""
    headers = Headers(scope=scope)
    query = QueryParams(scope.get("query_string", b""))
    data: dict[str, Any] = {
        "query": {key: query.getlist(key)[0] for key in query},
        "query_all": {key: query.getlist(key) for key in query},
        "headers": CaseInsensitive((name, ", ".join(headers.getlist(name))) for name in headers),
        "cookies": cookie_parser(headers.get("cookie", "")),
        "method": scope["method"],
        "url": str(URL(scope=scope)),
    }
    if body is not None:
        data[RAW_BODY] = body
        data["body"] = body.decode("utf-8", errors="replace")
        data["json"] = _json(body)
        data["form"] = await _form(headers, body)
    return data


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return None


async def _form(headers: Headers, body: bytes) -> dict[str, Any]:
    media = essence(headers.get("content-type"))
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(
                body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
            )
        except ValueError:
            return {}
        form: dict[str, Any] = {}
        for key, value in pairs:
            form.setdefault(key, value)
        return form
    if media == "multipart/form-data":
        return await _multipart(headers, body)
    return {}


async def _multipart(headers: Headers, body: bytes) -> dict[str, Any]:
    async def stream() -> Any:
        yield body

    parser = MultiPartParser(
        headers, stream(), max_files=MAX_FORM_FIELDS, max_fields=MAX_FORM_FIELDS
    )
    try:
        parsed = await parser.parse()
    except MultiPartException:
        return {}
    form: dict[str, Any] = {}
    for key, value in parsed.multi_items():
        if isinstance(value, UploadFile):
            # Files are described, not inlined: a template has no business echoing uploads.
            form.setdefault(
                key,
                {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": value.size,
                },
            )
            await value.close()
        else:
            form.setdefault(key, value)
    return form
