"""An origin's OpenAPI layers, as build_origin places them: the answering layer (after routes,
resources and the mock folder), the gate in front of the resources that back
``openapi_resources``, and the check of every answer (``validate_responses``)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.config.model import Origin, Settings
from devserve.errors import ConfigError
from devserve.media import essence
from devserve.mocks.openapi.app import Checks, OpenApiApp, add_note
from devserve.mocks.openapi.conform import NOT_JSON, check_response, parse_json
from devserve.mocks.openapi.operations import Operation, router_of
from devserve.mocks.openapi.schemas import validators_of
from devserve.mocks.openapi.source import SpecSource
from devserve.mocks.openapi.spec import SpecError
from devserve.mocks.openapi.validate import is_json

_CHECKED_BYTES = 1024 * 1024  # larger answers are not checked (and the log says so)


class OpenApiLayers:
    """The spec of one origin and the layers that use it."""

    def __init__(self, name: str, config: Origin, settings: Settings) -> None:
        assert config.openapi is not None
        try:
            self.source = SpecSource(name, config.openapi)
        except SpecError as exc:
            raise ConfigError([f"origins.{name}.openapi: {p}" for p in exc.problems]) from None
        self.config = config
        self.checks = Checks(config.validate_mode, config.validate_status, settings.max_body_bytes)

    def answering(self, fallback: ASGIApp) -> ASGIApp:
        """Answers the spec's operations; with a proxy, validates and lets the proxy answer."""
        return OpenApiApp(
            self.source, fallback, checks=self.checks, answer=self.config.proxy is None
        )

    def gate(self, resources: ASGIApp) -> ASGIApp:
        """Validates requests under ``openapi_resources`` before the resources answer them."""
        if not self.config.openapi_resources:
            return resources
        prefixes = tuple(self.config.openapi_resources)
        return OpenApiApp(
            self.source, resources, checks=self.checks, answer=False, prefixes=prefixes
        )

    def responses(self, app: ASGIApp) -> ASGIApp:
        """With ``validate_responses``, every answer to an operation is checked and logged."""
        return ResponseCheck(app, self.source) if self.config.validate_responses else app


class ResponseCheck:
    """Reads each answer to an operation of the spec as it goes out (up to 1 MiB, decoded
    JSON only) and notes in the log how it breaks the spec."""

    def __init__(self, app: ASGIApp, source: SpecSource) -> None:
        self.app = app
        self.source = source

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        spec = await self.source.current()
        found = router_of(spec).match(scope["method"], scope["path"])
        if found is None or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        operation = found[0]
        status = 0
        headers = Headers()
        chunks: list[bytes] = []
        size = 0

        async def checking_send(message: Message) -> None:
            nonlocal status, headers, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = Headers(raw=message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= _CHECKED_BYTES:
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    self._check(scope, operation, status, headers, b"".join(chunks), size)
            await send(message)

        await self.app(scope, receive, checking_send)

    def _check(
        self,
        scope: Scope,
        operation: Operation,
        status: int,
        headers: Headers,
        raw: bytes,
        size: int,
    ) -> None:
        spec = self.source.spec
        content_type = headers.get("content-type")
        if size > _CHECKED_BYTES:
            add_note(scope, "answer not checked against the spec (over 1 MiB)")
            return
        encoded = headers.get("content-encoding", "identity").lower() not in ("identity", "")
        body: object = None
        failures = []
        if raw and is_json(essence(content_type)) and not encoded:
            body, failure = parse_json(raw)
            if failure is not None:
                failures.append(failure)
        elif raw:
            body = NOT_JSON
        failures += check_response(
            operation, status, content_type, body, spec.documents, validators_of(spec)
        )
        if failures:
            shown = "; ".join(str(f) for f in failures[:5])
            add_note(scope, f"answer breaks the spec ({operation.label}): {shown}")
