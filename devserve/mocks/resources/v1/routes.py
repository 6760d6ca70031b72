"""json-server 1.0's routes (app.js) over a Store: ``/name`` and ``/name/id``, nothing deeper.

1.0 has no ``/db``, no nested ``/posts/1/comments``, no ``_delay`` and no method override; a
path under a resource that it does not route answers 404 ``{"error": "Not Found"}``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from devserve.mocks.resources.body import parse_json, read_body
from devserve.mocks.resources.data import SCHEMA_KEY
from devserve.mocks.resources.keys import DEFAULT_KEYS, Keys
from devserve.mocks.resources.query import INLINE_ITEMS
from devserve.mocks.resources.request import ALLOWED, Reply, Request, encode
from devserve.mocks.resources.store import Store
from devserve.mocks.resources.v1.query import find, find_by_id, list_query
from devserve.mocks.resources.v1.writes import change_item, change_singular, create, destroy

NOT_FOUND: Reply = (404, {"error": "Not Found"}, {})
NOT_AN_OBJECT: Reply = (400, {"error": "Body must be a JSON object"}, {})


async def not_found_v1(scope: Scope, receive: Receive, send: Send) -> None:
    """What json-server 1.0 answers where nothing else does: 204 to any OPTIONS (its CORS
    layer answers them all), else 404 ``{"error": "Not Found"}``."""
    headers = {"Cache-Control": "no-cache"}
    if scope["method"] == "OPTIONS":
        response = Response(status_code=204, headers={**headers, "Allow": ALLOWED})
    else:
        body = encode(NOT_FOUND[1])
        response = Response(body, 404, headers, media_type="application/json; charset=utf-8")
    await response(scope, receive, send)


def _found(status: int, value: Any) -> Reply:
    return NOT_FOUND if value is None else (status, encode(value), {})


class V1Routes:
    """Answers the requests ResourceApp hands over for a ``dialect = "v1"`` origin."""

    def __init__(self, store: Store, keys: Keys = DEFAULT_KEYS) -> None:
        self.store = store
        self.keys = keys

    def owns(self, parts: list[str]) -> bool:
        """Paths whose first segment names a resource (deeper ones get 1.0's 404)."""
        name = parts[0]
        return name != SCHEMA_KEY and isinstance(self.store.data.get(name), list | dict)

    async def answer(self, request: Request) -> Reply:
        method, parts = request.scope["method"], request.parts
        if method in ("GET", "HEAD") and len(parts) <= 2:
            items = self.store.data.get(parts[0])
            slow = isinstance(items, list) and len(items) > INLINE_ITEMS
            return await self.store.read(lambda data: self._read(data, request), slow=slow)
        if len(parts) == 1 and method in ("POST", "PUT", "PATCH"):
            return await self._write_collection(request, method)
        if len(parts) == 2 and method in ("PUT", "PATCH", "DELETE"):
            return await self._write_item(request, method)
        return NOT_FOUND

    def _read(self, data: dict[str, Any], request: Request) -> Reply:
        parts = request.parts
        if len(parts) == 2:
            found = find_by_id(data, parts[0], parts[1], request.params, self.keys)
            return (200, encode(found), {}) if isinstance(found, dict) else NOT_FOUND
        query = list_query(request.scope.get("query_string", b"").decode("latin-1"), request.params)
        return 200, encode(find(data, parts[0], query, self.keys)), {}

    async def _body(self, request: Request) -> dict[str, Any] | None:
        """1.0 reads any body as JSON whatever its Content-Type; an empty body is ``{}``."""
        raw = await read_body(request.headers, request.receive)
        body = parse_json(raw) if raw.strip() else {}
        return body if isinstance(body, dict) else None

    async def _write_collection(self, request: Request, method: str) -> Reply:
        body = await self._body(request)
        if body is None:
            return NOT_AN_OBJECT
        name = request.parts[0]

        def apply(data: dict[str, Any]) -> tuple[Reply, bool]:
            if method == "POST":
                changed = create(data, name, body, self.keys.id)
            else:
                changed = change_singular(data, name, body, patch=method == "PATCH")
            return _found(201 if method == "POST" else 200, changed), changed is not None

        return await self.store.change(apply)

    async def _write_item(self, request: Request, method: str) -> Reply:
        name, wanted = request.parts
        body = await self._body(request) if method != "DELETE" else {}
        if body is None:
            return NOT_AN_OBJECT
        dependents = request.params.get("_dependent", [])

        def apply(data: dict[str, Any]) -> tuple[Reply, bool]:
            if method == "DELETE":
                changed = destroy(data, name, wanted, dependents, self.keys)
            else:
                patch = method == "PATCH"
                changed = change_item(data, name, wanted, body, patch=patch, id_field=self.keys.id)
            return _found(200, changed), changed is not None

        return await self.store.change(apply)
