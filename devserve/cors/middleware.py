"""ASGI middleware applying an origin's current CORS policy to every response, errors included."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.cors.policy import CorsSwitch, Policy
from devserve.cors.standard import (
    SAFELISTED_RESPONSE_HEADERS,
    UNEXPOSABLE_RESPONSE_HEADERS,
    split_list,
)

_CORS_RESPONSE_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
)
_CORS_RESPONSE_HEADER_BYTES = frozenset(name.encode() for name in _CORS_RESPONSE_HEADERS)
_NOT_EXPOSED = (
    SAFELISTED_RESPONSE_HEADERS | UNEXPOSABLE_RESPONSE_HEADERS | set(_CORS_RESPONSE_HEADERS)
)
_PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
# Why a preflight was refused, left in the scope for the verdict (devserve.cors.annotate).
REFUSAL_KEY = "devserve.cors.refusal"
# Response headers a layer wants pages to read whatever the policy lists (resources put
# X-Total-Count, Link and Location there, as json-server always exposes them).
EXPOSE_KEY = "devserve.cors.expose"


def merged_vary(values: list[str], *names: str) -> str:
    """One ``Vary`` value: ``values`` plus ``names`` not already there (``*`` covers all)."""
    present = [v for value in values for v in split_list(value)]
    lowered = {v.lower() for v in present}
    if "*" in lowered:
        return ", ".join(present)
    return ", ".join(present + [name for name in names if name.lower() not in lowered])


def merge_vary(headers: MutableHeaders, *names: str) -> None:
    """Add names to ``Vary`` without duplicating what is there."""
    merged = merged_vary(headers.getlist("vary"), *names)
    if "vary" in headers:
        del headers["vary"]
    headers["Vary"] = merged


class CorsMiddleware:
    """Reads the origin's switch on every request, so a runtime change applies to the next one."""

    def __init__(self, app: ASGIApp, switch: CorsSwitch) -> None:
        self.app = app
        self.switch = switch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = self.switch.active
        if scope["type"] != "http" or policy is None:
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origins = request_headers.getlist("origin")
        # Two Origin headers is not something a browser sends; treat it like a denied origin.
        origin = origins[0] if len(origins) == 1 else None
        if (
            scope["method"] == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in request_headers
        ):
            await self._preflight(scope, policy, origin, request_headers, send)
            return
        allowed = origin is not None and policy.allows_origin(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_cors(
                    message["headers"],
                    policy,
                    origin if allowed else None,
                    scope.get(EXPOSE_KEY, ()),
                )
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self, scope: Scope, policy: Policy, origin: str, request_headers: Headers, send: Send
    ) -> None:
        method = request_headers["access-control-request-method"]
        requested = split_list(request_headers.get("access-control-request-headers", ""))
        problem = (
            policy.origin_problem(origin)
            or policy.method_problem(method)
            or policy.header_problem(requested)
        )
        headers = MutableHeaders()
        merge_vary(headers, *_PREFLIGHT_VARY)
        if problem is None:
            status = policy.preflight_status
            body = b""
            headers["Access-Control-Allow-Origin"] = policy.allow_origin_value(origin)
            if policy.credentials:
                headers["Access-Control-Allow-Credentials"] = "true"
            headers["Access-Control-Allow-Methods"] = (
                method if policy.methods is None else ", ".join(policy.methods)
            )
            headers["Access-Control-Allow-Headers"] = (
                ", ".join(requested) if policy.headers is None else ", ".join(policy.headers)
            )
            headers["Access-Control-Max-Age"] = str(policy.max_age)
            wants_private = request_headers.get("access-control-request-private-network") == "true"
            if wants_private and policy.private_network:
                headers["Access-Control-Allow-Private-Network"] = "true"
        else:
            scope[REFUSAL_KEY] = problem
            status = 403
            body = f"CORS preflight refused: {problem}\n".encode()
            headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Content-Length"] = str(len(body))
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


def _with_cors(
    raw: list[tuple[bytes, bytes]],
    policy: Policy,
    origin: str | None,
    extra: tuple[str, ...] | list[str],
) -> list[tuple[bytes, bytes]]:
    """The response's headers with this policy's CORS headers, in one pass over the raw list
    (the app's own CORS headers are replaced; ``origin`` is None when it is not allowed)."""
    kept: list[tuple[bytes, bytes]] = []
    vary: list[str] = []
    for name, value in raw:
        lowered = name.lower()
        if lowered in _CORS_RESPONSE_HEADER_BYTES:
            continue
        if lowered == b"vary":
            vary.append(value.decode("latin-1"))
            continue
        kept.append((name, value))
    if origin is not None:
        names = [name.decode("latin-1").lower() for name, _ in kept] + (["vary"] if vary else [])
        kept += _actual_headers(policy, origin, names, extra)
    kept.append((b"vary", merged_vary(vary, "Origin").encode("latin-1")))
    return kept


def _actual_headers(
    policy: Policy, origin: str, present: list[str], extra: tuple[str, ...] | list[str]
) -> list[tuple[bytes, bytes]]:
    added = [(b"access-control-allow-origin", policy.allow_origin_value(origin).encode("latin-1"))]
    if policy.credentials:
        added.append((b"access-control-allow-credentials", b"true"))
    if policy.expose is None:
        exposed = sorted({name for name in present if name not in _NOT_EXPOSED})
    else:
        listed = {name.lower() for name in policy.expose}
        if "*" in listed and not policy.credentials:
            listed.update(name.lower() for name in extra)  # `*` covers them already
        exposed = [*policy.expose, *(name for name in extra if name.lower() not in listed)]
    if exposed:
        added.append((b"access-control-expose-headers", ", ".join(exposed).encode("latin-1")))
    return added
