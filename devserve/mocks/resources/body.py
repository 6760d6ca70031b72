"""A write request's body: read within a size limit, parsed as json-server's body parsers do."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import Receive

from devserve.mocks.resources.data import reject_constant, type_name

MAX_BODY_BYTES = 10 * 1024 * 1024  # json-server's body-parser limit ("10mb"), and SPEC §6's


class BodyError(ValueError):
    """A body the client must fix; ``status`` is the HTTP answer (400, 413 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(headers: Headers, receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, refusing (413) as soon as it is known to exceed ``limit``."""
    too_big = BodyError(413, f"the body is larger than {limit // (1024 * 1024)} MiB")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyError(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_body(headers: Headers, body: bytes) -> dict[str, Any]:
    """A JSON object (application/json) or a form (as strings); an empty body is ``{}``."""
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if not body.strip():
        return {}
    if media == "application/x-www-form-urlencoded":
        return _form(body)
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise BodyError(
            415,
            f"the body is sent as {media or 'no Content-Type'}; send JSON with "
            "Content-Type: application/json (or a form as application/x-www-form-urlencoded)",
        )
    parsed = parse_json(body)
    if not isinstance(parsed, dict):
        raise BodyError(
            400, f'the body must be a JSON object, not {type_name(parsed)}; e.g. {{"title": "..."}}'
        )
    return parsed


def parse_json(body: bytes) -> Any:
    """Any JSON value; a 400 BodyError that points at the mistake otherwise."""
    try:
        return json.loads(body, parse_constant=reject_constant)
    except UnicodeDecodeError:
        raise BodyError(400, "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BodyError(
            400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise BodyError(400, f"the body cannot be read as JSON ({exc})") from None


def _form(body: bytes) -> dict[str, Any]:
    # body-parser's urlencoded (extended: false): a repeated field becomes a list of strings.
    form: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if key in form:
            previous = form[key]
            form[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            form[key] = value
    return form
