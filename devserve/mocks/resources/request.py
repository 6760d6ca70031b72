"""One request to the resources layer, as both dialects' routes read it, and the answer shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from devserve.mocks.resources.body import parse_body, read_body
from devserve.mocks.resources.query import Params, QueryError

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALLOWED = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"  # what a plain OPTIONS is told
# The request target a routes file rewrote the request to: json-server builds its Link and
# Location headers from it (express-urlrewrite sets `req.originalUrl`).
URL_KEY = "devserve.resources.url"
Reply = tuple[int, Any, dict[str, str]]
NOT_FOUND: Reply = (404, {}, {})


# Items per json.dumps call in a long answer: one call holds the GIL until it returns, and a
# big answer is made in a worker thread while the event loop's thread waits for the GIL.
ENCODE_SLICE = 1000


def encode(value: Any) -> bytes:
    """The compact JSON of an answer: a long array (or an object of them, like /db) a slice
    of items at a time, each slice quick."""
    if _long(value):
        parts = [_json(value[i : i + ENCODE_SLICE]) for i in range(0, len(value), ENCODE_SLICE)]
        return b"[" + b",".join(part[1:-1] for part in parts) + b"]"
    if isinstance(value, dict) and any(_long(item) for item in value.values()):
        members = [_json(key) + b":" + encode(item) for key, item in value.items()]
        return b"{" + b",".join(members) + b"}"
    return _json(value)


def _long(value: Any) -> bool:
    return isinstance(value, list) and len(value) > ENCODE_SLICE


def _json(value: Any) -> bytes:
    # A lone surrogate ("\ud800" in a hand-written file) only occurs inside a JSON string,
    # where backslashreplace writes the very escape JSON.stringify writes.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "backslashreplace")


# Relations (`_embed`, and 0.17's `_expand`) walk a related collection for every item listed.
RELATIONS = ("_embed", "_expand")
MAX_RELATIONS = 32  # an app embeds a handful; thousands in one URL would hold the loop


def query_params(scope: Scope) -> Params:
    """The query as json-server's parser sees it: a repeated key gives several values.

    A relation named twice is embedded once: json-server embeds it again to the same effect.
    """
    params: Params = {}
    text = scope.get("query_string", b"").decode("latin-1")
    for key, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"):
        params.setdefault(key, []).append(value)
    for key in RELATIONS:
        if key in params:
            params[key] = list(dict.fromkeys(params[key]))
    return params


def check_relations(params: Params) -> None:
    """A QueryError (400) when the query names more relations than devserve will walk."""
    count = sum(len(params.get(key, [])) for key in RELATIONS)
    if count > MAX_RELATIONS:
        raise QueryError(
            f"the query names {count} relations (_embed, _expand); at most {MAX_RELATIONS}"
        )


def full_url(scope: Scope, headers: Headers) -> str:
    """json-server's ``getFullURL``: scheme, the Host header, and the request target as sent
    (or as the routes file rewrote it)."""
    root = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    if URL_KEY in scope:
        return root + str(scope[URL_KEY])
    raw = scope.get("raw_path")
    target = raw.decode("latin-1") if raw else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    return root + target + (f"?{query}" if query else "")


class Request:
    """What a resource handler needs to know about one request."""

    def __init__(self, scope: Scope, receive: Receive, parts: list[str]) -> None:
        self.scope = scope
        self.receive = receive
        self.parts = parts
        self.headers = Headers(scope=scope)
        method = scope["method"]
        override = self.headers.get("x-http-method-override", "").upper()
        # json-server (method-override) lets a POST say which method it means.
        self.method = override if method == "POST" and override in WRITES else method
        self.params = query_params(scope)
        self.url = full_url(scope, self.headers)

    async def body(self) -> dict[str, Any]:
        return parse_body(self.headers, await read_body(self.headers, self.receive))
