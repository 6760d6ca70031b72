"""What the control API answers, checked before `status`, `cors` and `reset` believe a word of
it: another server on the port (a web page, another API) is named as such, never a traceback."""

from __future__ import annotations

import json
from typing import Any, Literal, NotRequired, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from devserve.errors import DevserveError
from devserve.media import essence
from devserve.terminal import printable

# A control API answer is a few KiB; more is not one, and is not read into memory.
LARGEST_ANSWER = 1024 * 1024

# Extra keys are fine (a newer devserve may add some); every expected one must have its type.
_strict = with_config(ConfigDict(strict=True))


@_strict
class CorsAnswer(TypedDict):
    enabled: bool
    mode: str
    configured: str
    describe: str


@_strict
class OriginAnswer(TypedDict):
    """``GET /api/origins`` (a list of these) and ``PUT /api/origins/{name}/cors``."""

    name: str
    url: str
    port: int
    cors: CorsAnswer
    serves: list[str]


@_strict
class InstanceAnswer(TypedDict):
    """``GET /api/instance``; ``kind`` is missing from instances older than it."""

    config: str | None
    pid: int
    version: str
    kind: NotRequired[Literal["config", "folder", "demo"]]


@_strict
class ResetAnswer(TypedDict):
    """``POST /api/origins/{name}/reset``: item counts per collection ("object" for objects)."""

    name: str
    resources: str | None
    reset: dict[str, int | Literal["object"]]


@_strict
class SendAnswer(TypedDict):
    """``POST /api/origins/{name}/sockets/send``: how many pages got the message queued."""

    origin: str
    path: str
    sent: int


@_strict
class _ErrorAnswer(TypedDict):
    error: str


ORIGINS: TypeAdapter[list[OriginAnswer]] = TypeAdapter(list[OriginAnswer])
ORIGIN: TypeAdapter[OriginAnswer] = TypeAdapter(OriginAnswer)
INSTANCE: TypeAdapter[InstanceAnswer] = TypeAdapter(InstanceAnswer)
RESET: TypeAdapter[ResetAnswer] = TypeAdapter(ResetAnswer)
SEND: TypeAdapter[SendAnswer] = TypeAdapter(SendAnswer)
_ERROR: TypeAdapter[_ErrorAnswer] = TypeAdapter(_ErrorAnswer)

Answer = TypeVar("Answer")


def not_devserve(url: str, why: str) -> DevserveError:
    """The one message for an answer no devserve gives; everything in it is escaped."""
    base = printable(url.split("/api/")[0])
    return DevserveError(f"the server at {base} is not a devserve control API ({printable(why)})")


def checked(response: httpx.Response, shape: TypeAdapter[Answer], method: str) -> Answer:
    """The answer to ``method`` if it has ``shape``; a devserve error answer as its message
    (escaped: it reaches the terminal); anything else is named as not a devserve."""
    request = f"{method} {urlsplit(str(response.url)).path}"
    body = _body(response, request)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        media = essence(response.headers.get("content-type")) or "no content type"
        raise not_devserve(
            str(response.url), f"{request} answered {response.status_code} {media}, not JSON"
        ) from None
    if response.status_code >= 400:
        try:
            error = _ERROR.validate_python(data)["error"]
        except ValidationError:
            raise not_devserve(
                str(response.url), f"{request} answered {response.status_code}"
            ) from None
        raise DevserveError(printable(error))
    try:
        return shape.validate_python(data)
    except ValidationError as exc:
        raise not_devserve(str(response.url), f"{request}: {_first(exc)}") from None


def _body(response: httpx.Response, request: str) -> bytes:
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > LARGEST_ANSWER:
            raise not_devserve(str(response.url), f"{request} answered over 1 MiB")
    return body


def _first(exc: ValidationError) -> str:
    error: Any = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "the answer"
    return f"{where}: {error['msg'].lower()}"
