"""The resources layer of an origin: json-server 0.17's routes (or, with ``dialect = "v1"``,
1.0's from v1/routes.py) over a Store, as an ASGI app.

Paths that do not name a resource fall through to the next layer (static files, the proxy).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.config.model import Dialect
from devserve.cors.middleware import EXPOSE_KEY
from devserve.mocks.resources.body import BodyError
from devserve.mocks.resources.data import SCHEMA_KEY
from devserve.mocks.resources.jsvalue import UNDEFINED, js_string
from devserve.mocks.resources.keys import DEFAULT_KEYS, Keys
from devserve.mocks.resources.query import (
    Params,
    QueryError,
    find_by_id,
    first,
    index_by_id,
    list_collection,
    may_take_long,
    relate,
)
from devserve.mocks.resources.request import (
    ALLOWED,
    NOT_FOUND,
    URL_KEY,
    WRITES,
    Reply,
    Request,
    check_relations,
    encode,
)
from devserve.mocks.resources.rewrite import RuleTimeout
from devserve.mocks.resources.routesfile import RoutesFile, rewritten_scope
from devserve.mocks.resources.store import Store, WriteRefused
from devserve.mocks.resources.v1.routes import V1Routes
from devserve.mocks.resources.writes import Conflict, insert, remove, replace, update
from devserve.records import NOTE_KEY

MAX_DELAY_MS = 60_000  # `?_delay=` is the client's to choose: bounded all the same
# What an id may hold as it is in a Location path segment; anything else is percent-encoded
# (an id is the client's: CR, LF or "é" raw in a header would break the response).
_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"
_FLOAT_PREFIX = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class ResourceApp:
    """Answers json-server's routes for the resources in ``store``, under ``prefix``."""

    def __init__(
        self,
        store: Store,
        *,
        fallback: ASGIApp,
        prefix: str = "",
        read_only: bool = False,
        dialect: Dialect = "0.17",
        keys: Keys = DEFAULT_KEYS,
        routes: RoutesFile | None = None,
    ) -> None:
        self.store = store
        self.fallback = fallback
        self.prefix = prefix.rstrip("/")
        self.read_only = read_only
        self.keys = keys
        self.routes = routes  # json-server's --routes rules, rewriting URLs below the prefix
        # dialect = "v1": json-server 1.0's routes; the prefix, read-only and errors stay here.
        self.v1 = V1Routes(store, keys) if dialect == "v1" else None

    def _below_prefix(self, path: str) -> str | None:
        if not self.prefix:
            return path
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return None
        return path[len(self.prefix) :]

    def _parts(self, path: str) -> list[str] | None:
        below = self._below_prefix(path)
        trimmed = below.strip("/") if below is not None else ""
        return trimmed.split("/") if trimmed else None

    def _owns(self, parts: list[str]) -> bool:
        if self.v1 is not None:
            return self.v1.owns(parts)
        data = self.store.data

        def resource(name: str) -> bool:
            return name != SCHEMA_KEY and isinstance(data.get(name), list | dict)

        if parts == ["db"] or resource(parts[0]):
            return True
        return len(parts) == 3 and resource(parts[2])  # /{anything}/{id}/{nested}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        below = self._below_prefix(scope["path"]) if scope["type"] == "http" else None
        if below is None:
            await self.fallback(scope, receive, send)
            return
        answering = scope
        if self.routes is not None:
            await self.routes.refresh()
            if scope["method"] in ("GET", "HEAD") and below.rstrip("/").lower() == "/__rules":
                await self._send(scope, receive, send, (200, self.routes.written, {}))
                return
            try:
                answering = rewritten_scope(scope, self.prefix, self.routes.rules) or scope
            except RuleTimeout as exc:
                message = f"resources_routes: the rule {exc.source!r} took too long on this URL"
                reply: Reply = (500, {"error": f"{message}; simplify its pattern"}, {})
                await self._send(scope, receive, send, reply)
                return
        parts = self._parts(answering["path"])
        if parts is not None:
            await self.store.refresh()
        if parts is None or not self._owns(parts):
            await self.fallback(scope, receive, send)
            return
        if answering is not scope:  # the log and the verdict name the URL the client sent
            scope[NOTE_KEY] = f"rewritten to {answering.get(URL_KEY, answering['path'])}"
        await self._send(scope, receive, send, await self._reply(answering, receive, parts, scope))

    async def _reply(
        self, answering: Scope, receive: Receive, parts: list[str], scope: Scope
    ) -> Reply:
        """The answer to ``answering`` (the request, rewritten or not); notes go to ``scope``."""
        request = Request(answering, receive, parts)
        try:
            return await self._answer(request)
        except BodyError as exc:
            return exc.status, {"error": exc.message}, {}
        except Conflict as exc:
            return 409, {"error": str(exc)}, {}
        except QueryError as exc:
            return 400, {"error": str(exc)}, {}
        except WriteRefused as exc:
            scope[NOTE_KEY] = f"write refused: {exc.message}"
            return 503, {"error": exc.message}, {}
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__  # not the path: this may reach any page
            return 500, {"error": f"devserve could not save {self.store.path.name}: {reason}"}, {}

    async def _send(self, scope: Scope, receive: Receive, send: Send, reply: Reply) -> None:
        status, body, headers = reply
        exposed = [name for name in ("X-Total-Count", "Link", "Location") if name in headers]
        if exposed:
            scope[EXPOSE_KEY] = exposed
        # json-server 0.17 tells every cache not to keep an answer (IE's included); 1.0 does not.
        no_cache = {"Cache-Control": "no-cache"}
        if self.v1 is None:
            no_cache.update({"Pragma": "no-cache", "Expires": "-1"})
        if status == 204:
            response = Response(status_code=204, headers={**no_cache, **headers})
        else:
            content = body if isinstance(body, bytes) else encode(body)
            response = Response(
                content,
                status_code=status,
                headers={**no_cache, **headers},
                media_type="application/json; charset=utf-8",
            )
        if scope["method"] == "HEAD":
            response.body = b""  # Content-Length stays that of the GET
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Reply:
        parts, method = request.parts, request.method
        if method == "OPTIONS":  # json-server's CORS layer answers every OPTIONS itself
            allowed = "GET, HEAD, OPTIONS" if self.read_only else ALLOWED
            return 204, b"", {"Allow": allowed}
        check_relations(request.params)
        if parts == ["db"] and method in ("GET", "HEAD") and self.v1 is None:
            return await self.store.read(_whole, slow=self.store.big)
        if self.read_only and method in WRITES:
            message = "this origin's resources are read-only (read_only = true in the config)"
            return 405, {"error": message}, {"Allow": "GET, HEAD"}
        if self.v1 is not None:
            return await self.v1.answer(request)
        await _delay(request.params)
        data = self.store.data
        if len(parts) == 3 and isinstance(data.get(parts[2]), list | dict):
            return await self._nested(request)
        kind = data.get(parts[0])
        if len(parts) == 1 and isinstance(kind, list):
            return await self._collection(request, parts[0])
        if len(parts) == 1 and isinstance(kind, dict):
            return await self._singular(request, parts[0])
        if len(parts) == 2 and isinstance(kind, list):
            return await self._item(request, parts[0], parts[1])
        return NOT_FOUND

    async def _nested(self, request: Request) -> Reply:
        """``/posts/1/comments``: the comments whose ``postId`` is 1 (GET), or a new one (POST)."""
        parent, parent_id, name = request.parts
        key = self.keys.of(parent)
        collection = isinstance(self.store.data[name], list)
        if request.method in ("GET", "HEAD"):
            request.params[key] = [parent_id]
            return await (self._collection if collection else self._singular)(request, name)
        if request.method == "POST":
            body = await request.body()
            body[key] = parent_id  # a string, as in json-server (it comes from the URL)
            return await (self._collection if collection else self._singular)(request, name, body)
        return NOT_FOUND

    async def _collection(
        self, request: Request, name: str, body: dict[str, Any] | None = None
    ) -> Reply:
        if request.method in ("GET", "HEAD"):

            def answer(data: dict[str, Any]) -> Reply:
                indexes = self.store.derived(data).setdefault(("children of", name), {})
                params, url = request.params, request.url
                listing = list_collection(data, name, params, url, self.keys, indexes)
                return 200, encode(listing.items), listing.headers

            slow = may_take_long(self.store.data[name], request.params)
            return await self.store.read(answer, slow=slow)
        if request.method != "POST":
            return NOT_FOUND
        item = await request.body() if body is None else body

        def create(data: dict[str, Any]) -> tuple[Reply, bool]:
            created = insert(data[name], item, self.keys.id)
            # errors: a lone surrogate ("\ud800") has no UTF-8; no URL could name it anyway
            own_id = js_string(created[self.keys.id])
            segment = quote(own_id, safe=_SEGMENT_SAFE, errors="replace")
            location = f"{request.url.split('?')[0]}/{segment}"
            return (201, encode(created), {"Location": location}), True

        return await self.store.change(create)

    async def _item(self, request: Request, name: str, wanted: str) -> Reply:
        method = request.method
        if method in ("GET", "HEAD"):

            def answer(data: dict[str, Any]) -> Reply:
                found = find_by_id(data[name], wanted, self.keys.id)
                if found is UNDEFINED:
                    return NOT_FOUND
                embed, expand = request.params.get("_embed", []), request.params.get("_expand", [])
                indexes = self.store.derived(data).setdefault(("children of", name), {})
                related = relate(found, data, name, embed, expand, indexes, self.keys)
                return 200, encode(related), {}

            return await self.store.read(answer, slow=self.store.big)
        if method not in ("PUT", "PATCH", "DELETE"):
            return NOT_FOUND
        body = await request.body() if method != "DELETE" else {}

        def change(data: dict[str, Any]) -> tuple[Reply, bool]:
            if method == "DELETE":
                found, changed = remove(data, name, wanted, self.keys)
                return ((200, {}, {}) if found else NOT_FOUND), changed
            items = data[name]
            index = index_by_id(items, wanted, self.keys.id)
            if index is None:
                return NOT_FOUND, False
            new = (replace if method == "PUT" else update)(items[index], body, self.keys.id)
            items[index] = new
            return (200, encode(new), {}), True

        return await self.store.change(change)

    async def _singular(
        self, request: Request, name: str, body: dict[str, Any] | None = None
    ) -> Reply:
        method = request.method
        if method in ("GET", "HEAD"):
            return await self.store.read(lambda data: (200, encode(data[name]), {}), slow=False)
        if method not in ("POST", "PUT", "PATCH"):
            return NOT_FOUND
        new = await request.body() if body is None else body

        def change(data: dict[str, Any]) -> tuple[Reply, bool]:
            if method == "PATCH" and isinstance(data[name], dict):
                data[name] = {**data[name], **new}  # a new object: see Store.change
            else:
                data[name] = new
            headers = {"Location": request.url.split("?")[0]} if method == "POST" else {}
            return (201 if method == "POST" else 200, encode(data[name]), headers), True

        return await self.store.change(change)


def _whole(data: dict[str, Any]) -> Reply:
    return 200, encode(data), {}  # GET /db


async def _delay(params: Params) -> None:
    """json-server's ``?_delay=ms`` (router/delay.js), capped."""
    text = first(params, "_delay")
    match = _FLOAT_PREFIX.match(text or "")
    if match:
        milliseconds = min(max(float(match.group()), 0.0), MAX_DELAY_MS)
        if milliseconds:
            await asyncio.sleep(milliseconds / 1000)
