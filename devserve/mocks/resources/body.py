"""A write request's body: read within a size limit, parsed as json-server's body parsers do."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import Receive

from devserve.media import essence
from devserve.mocks.resources.data import js_int, reject_constant, type_name
from devserve.mocks.resources.jsvalue import is_number, js_double, number_string

MAX_BODY_BYTES = 10 * 1024 * 1024  # json-server's body-parser limit ("10mb")
# Objects and arrays in a stored body: an app's data nests a few levels; hundreds would make
# every later query and write of the collection walk (or recurse) that deep.
MAX_BODY_DEPTH = 64


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
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
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
    media = essence(headers.get("content-type"))
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
    """Any JSON value, its numbers and nesting as devserve stores them (``stored_numbers``);
    a 400 BodyError that points at the mistake otherwise."""
    try:
        parsed = json.loads(body, parse_constant=reject_constant, parse_int=js_int)
    except UnicodeDecodeError:
        raise BodyError(400, "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BodyError(
            400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise BodyError(400, _too_deep("")) from None
    except ValueError as exc:
        raise BodyError(400, f"the body cannot be read as JSON ({exc})") from None
    if isinstance(parsed, dict | list):
        stored_numbers(parsed)
    return parsed


def _too_deep(where: str) -> str:
    at = f" (at {where})" if where else ""
    return (
        f"the JSON body nests objects and arrays more than {MAX_BODY_DEPTH} levels deep{at}; "
        "flatten it"
    )


def _field(where: str, key: str | int) -> str:
    name = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else key
    return name if len(name) <= 200 else name[:200] + "..."


def stored_numbers(value: dict[str, Any] | list[Any]) -> None:
    """Check a parsed body before it is stored, in place: nesting within MAX_BODY_DEPTH, every
    number finite, an integer beyond 2**53 turned into the double JavaScript makes of it (as
    json-server stores it), so that every later read, query and write of it works."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_BODY_DEPTH:
            raise BodyError(400, _too_deep(where))
        entries = list(node.items() if isinstance(node, dict) else enumerate(node))
        for key, child in entries:
            if isinstance(child, dict | list):
                stack.append((child, _field(where, key), depth + 1))
            elif is_number(child):
                node[key] = _javascript_number(child, _field(where, key))


def _javascript_number(number: float, field: str) -> float:
    stored = js_double(number)
    if math.isinf(stored):
        raise BodyError(
            400,
            f"field {field!r} holds a number beyond what JavaScript can hold (it would be "
            "Infinity, which JSON cannot store); send a smaller number, or the digits as a string",
        )
    if isinstance(stored, float) and isinstance(number, int) and abs(stored) < 1e21:
        return int(number_string(stored))  # the digits JavaScript writes for it
    return stored


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
