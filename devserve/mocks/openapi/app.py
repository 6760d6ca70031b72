"""The OpenAPI layer of an origin: validates each request for an operation of the spec, then
answers it from the spec (a mock), or passes it on (to a proxy, or to resources); paths the
spec does not describe go to the next layer untouched."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Literal
from urllib.parse import unquote

import anyio.to_thread
from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.media import essence
from devserve.mocks.context import BodyTooLarge, read_body, replaying
from devserve.mocks.openapi.examples import NoSuchAnswer, choose, parse_prefer
from devserve.mocks.openapi.operations import Operation, router_of
from devserve.mocks.openapi.schemas import Failure, validators_of
from devserve.mocks.openapi.source import SpecSource
from devserve.mocks.openapi.spec import Spec
from devserve.mocks.openapi.validate import RequestData, check_request, is_json
from devserve.records import NOTE_KEY

Mode = Literal["on", "warn", "off"]
PROBLEM = "application/problem+json"
_SHOWN_IN_LOG = 5  # failures named in the log line; the response names them all
_IN_LOOP_BYTES = 64 * 1024  # bodies up to this size are validated without a worker thread


@dataclass(frozen=True)
class Checks:
    """How an origin checks requests: ``validate`` and ``validate_status`` of its config."""

    mode: Mode = "on"
    status: int = 422
    max_body: int = 10 * 1024 * 1024


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> Response:
    """An ``application/problem+json`` response (RFC 9457)."""
    body = {"type": f"urn:devserve:{kind}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False), status, media_type=PROBLEM)


def add_note(scope: Scope, note: str) -> None:
    """Say ``note`` in the request's log line (and on the dashboard), after any earlier one."""
    earlier = scope.get(NOTE_KEY)
    scope[NOTE_KEY] = f"{earlier}; {note}" if earlier else note


class OpenApiApp:
    """Validates requests for the spec's operations; answers them when ``answer`` is set.

    With ``prefixes``, only paths under one of them are this layer's (the gate in front of
    the resources that back ``openapi_resources``).
    """

    def __init__(
        self,
        source: SpecSource,
        fallback: ASGIApp,
        *,
        checks: Checks,
        answer: bool,
        prefixes: tuple[str, ...] = (),
    ) -> None:
        self.source = source
        self.fallback = fallback
        self.checks = checks
        self.answer = answer
        self.prefixes = prefixes

    def _mine(self, path: str) -> bool:
        return not self.prefixes or any(
            path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in self.prefixes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._mine(scope["path"]):
            await self.fallback(scope, receive, send)
            return
        spec = await self.source.current()
        found = router_of(spec).match(scope["method"], scope["path"])
        if found is None:
            await self.fallback(scope, receive, send)
            return
        operation, params = found
        try:
            body = await read_body(receive, self.checks.max_body)
        except BodyTooLarge as exc:
            await problem(413, "body-too-large", "Request body too large", str(exc))(
                scope, receive, send
            )
            return
        if self.checks.mode != "off":
            if len(body) > _IN_LOOP_BYTES:  # a big body is validated off the event loop
                failures = await anyio.to_thread.run_sync(
                    _check, spec, operation, params, scope, body
                )
            else:
                failures = _check(spec, operation, params, scope, body)
            if failures:
                shown = "; ".join(str(f) for f in failures[:_SHOWN_IN_LOG])
                more = len(failures) - _SHOWN_IN_LOG
                add_note(
                    scope, f"request breaks the spec: {shown}" + (f" (+{more})" if more > 0 else "")
                )
                if self.checks.mode == "on":
                    await _refuse(operation, failures, self.checks.status)(scope, receive, send)
                    return
        if not self.answer:
            await self.fallback(scope, replaying(receive, body), send)
            return
        await _respond(spec, operation, scope)(scope, receive, send)


def _check(
    spec: Spec, operation: Operation, params: dict[str, str], scope: Scope, body: bytes
) -> list[Failure]:
    headers = Headers(scope=scope)
    try:
        jar: SimpleCookie = SimpleCookie(headers.get("cookie", ""))
        cookies = {name: morsel.value for name, morsel in jar.items()}
    except CookieError:  # a malformed Cookie header counts as none
        cookies = {}
    request = RequestData(
        method=scope["method"],
        path_params={name: unquote(value) for name, value in params.items()},
        query=QueryParams(scope.get("query_string", b"")).multi_items(),
        headers={name: ", ".join(headers.getlist(name)) for name in headers},
        cookies=cookies,
        content_type=headers.get("content-type"),
        body=body,
    )
    return check_request(operation, request, spec.documents, validators_of(spec))


def _refuse(operation: Operation, failures: list[Failure], status: int) -> Response:
    count = len(failures)
    detail = f"{operation.label}: " + ("1 field breaks" if count == 1 else f"{count} fields break")
    detail += " the spec: "
    detail += "; ".join(str(f) for f in failures[:_SHOWN_IN_LOG])
    return problem(
        status,
        "openapi-request",
        "The request does not match the OpenAPI description",
        detail,
        operation=f"{operation.method} {operation.template}",
        operationId=operation.node.get("operationId"),
        errors=[f.as_json() for f in failures],
    )


def _respond(spec: Spec, operation: Operation, scope: Scope) -> Response:
    headers = Headers(scope=scope)
    method = "GET" if scope["method"] == "HEAD" else scope["method"]
    try:
        answer = choose(
            operation,
            spec.documents,
            validators_of(spec),
            prefer=parse_prefer(", ".join(headers.getlist("prefer"))),
            accept=headers.get("accept", ""),
            seed=f"{method} {scope['path']}",
        )
    except NoSuchAnswer as exc:
        return problem(
            400, "openapi-prefer", "No such response in the OpenAPI description", str(exc)
        )
    if answer.note:
        add_note(scope, answer.note)
    if answer.media is None or (answer.body is None and not is_json(essence(answer.media))):
        response = Response(None, answer.status)
    elif is_json(essence(answer.media)):
        text = json.dumps(answer.body, ensure_ascii=False)
        response = Response(text, answer.status, media_type=answer.media)
    else:
        text = answer.body if isinstance(answer.body, str) else ""
        response = Response(text, answer.status, media_type=answer.media)
    for name, value in answer.headers:
        response.headers.append(name, value)
    return response
