"""A small real API for the proxy to stand in front of: echoes, cookies, CORS headers of its
own, redirects, compressed and large bodies, decompression bombs, a counter, a slow endpoint,
events, a WebSocket."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import AsyncIterator

import brotli
import zstandard
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.support.bombs import bomb

CHUNK = b"x" * (64 * 1024)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"  # not text: kept as a file


class Upstream:
    """The app plus what the tests look at: how often each path was asked for, every raw
    path that arrived (routed or not), how the browsers' WebSockets were closed."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.release_slow = threading.Event()
        self.websocket_closes: list[int] = []  # the close code of each WebSocket the browser ended
        self.paths: list[str] = []
        self.routes = Starlette(
            routes=[
                Route("/echo", self.echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
                Route("/v1/echo", self.echo, methods=["GET", "POST"]),
                Route("/text-echo", self.text_echo, methods=["GET", "POST"]),
                Route("/link", self.link),
                Route("/nested", self.nested),
                Route("/deep", self.deep),
                Route("/users", self.users),
                Route("/counter", self.counter),
                Route("/cookie", self.cookie),
                Route("/cookies", self.cookies),
                Route("/cookies/set", self.set_cookies),
                Route("/cors", self.cors),
                Route("/redirect", self.redirect),
                Route("/compressed/{coding}", self.compressed),
                Route("/bomb/{coding}", self.bomb),
                Route("/big", self.big),
                Route("/upload", self.upload, methods=["POST"]),
                Route("/slow", self.slow),
                Route("/secret", self.secret),
                Route("/events", self.events),
                Route("/html", self.html),
                Route("/image", self.image),
                WebSocketRoute("/ws", self.websocket),
            ]
        )

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket"):
                self.paths.append(scope["raw_path"].decode("latin-1"))
            await self.routes(scope, receive, send)

        self.app = app  # a function: uvicorn tells ASGI 3 by it

    def _hit(self, request: Request) -> None:
        self.hits[request.url.path] = self.hits.get(request.url.path, 0) + 1

    async def _echoed(self, request: Request) -> dict[str, object]:
        self._hit(request)
        body = await request.body()
        return {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,  # as sent: still percent-encoded
            "headers": dict(request.headers),
            "body": body.decode("utf-8", "replace"),
        }

    async def echo(self, request: Request) -> Response:
        return JSONResponse(await self._echoed(request), headers={"X-Upstream": "yes"})

    async def text_echo(self, request: Request) -> Response:
        """The echo as JSON text in a text/plain body: recorded as text, escapes and all."""
        return Response(json.dumps(await self._echoed(request)), media_type="text/plain")

    async def link(self, request: Request) -> Response:
        """The query as sent, in a ``Link`` header and a JSON field (a next-page URL)."""
        self._hit(request)
        following = f"{request.base_url}link?{request.url.query}"
        return JSONResponse({"next": following}, headers={"Link": f'<{following}>; rel="next"'})

    async def nested(self, request: Request) -> Response:
        """A secret field inside a JSON document that is itself a JSON string."""
        self._hit(request)
        inner = {"private_key": "pk-nested-424242", "client_secret": "cs-nested-737373"}
        return JSONResponse({"data": json.dumps(inner), "name": "nested"})

    async def users(self, request: Request) -> Response:
        self._hit(request)
        page = int(request.query_params.get("page", "1"))
        users = [{"id": page * 10 + i, "name": f"user {page}-{i}"} for i in range(2)]
        return JSONResponse(
            users, headers={"X-Total-Count": "42", "Link": f'<?page={page + 1}>; rel="next"'}
        )

    async def counter(self, request: Request) -> Response:
        self._hit(request)
        return JSONResponse({"count": self.hits[request.url.path]})

    async def cookie(self, request: Request) -> Response:
        self._hit(request)
        response = JSONResponse({"ok": True})
        response.headers.append(
            "Set-Cookie",
            "session=abc123xyz; Domain=api.example.com; Path=/; Secure; HttpOnly; SameSite=None",
        )
        response.headers.append("Set-Cookie", "theme=dark; Path=/")
        return response

    async def deep(self, request: Request) -> Response:
        """Valid JSON nested deeper than Python's parser goes (100,000 arrays)."""
        self._hit(request)
        return Response("[" * 100_000 + "]" * 100_000, media_type="application/json")

    async def cookies(self, request: Request) -> Response:
        """The cookies the request carried, as httpbin's ``/cookies`` says them."""
        self._hit(request)
        return JSONResponse({"cookies": dict(request.cookies)})

    async def set_cookies(self, request: Request) -> Response:
        """httpbin's ``/cookies/set?name=value``: a cookie per query parameter."""
        self._hit(request)
        response = JSONResponse({"set": dict(request.query_params)})
        for name, value in request.query_params.items():
            response.set_cookie(name, value)
        return response

    async def cors(self, request: Request) -> Response:
        self._hit(request)
        return JSONResponse(
            {"cors": "upstream"},
            headers={
                "Access-Control-Allow-Origin": "https://production.example",
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Expose-Headers": "X-Secret-Header",
            },
        )

    async def redirect(self, request: Request) -> Response:
        self._hit(request)
        target = str(request.base_url).rstrip("/") + "/echo?from=redirect"
        return Response(status_code=302, headers={"Location": target})

    async def compressed(self, request: Request) -> Response:
        self._hit(request)
        coding = request.path_params["coding"]
        data = json.dumps({"coding": coding, "items": list(range(50))}).encode()
        encoded = {
            "gzip": gzip.compress,
            "br": brotli.compress,
            "zstd": lambda d: zstandard.ZstdCompressor().compress(d),
        }[coding](data)
        return Response(
            encoded, media_type="application/json", headers={"Content-Encoding": coding}
        )

    async def bomb(self, request: Request) -> Response:
        """1 GiB of zeros, encoded: a few KB (br, zstd) to 1 MB (gzip, deflate) on the wire."""
        self._hit(request)
        coding = request.path_params["coding"]
        return Response(
            bomb(coding), media_type="application/json", headers={"Content-Encoding": coding}
        )

    async def big(self, request: Request) -> Response:
        self._hit(request)
        megabytes = int(request.query_params.get("mb", "1"))
        chunks = megabytes * 16

        async def generate() -> AsyncIterator[bytes]:
            for _ in range(chunks):
                yield CHUNK

        return StreamingResponse(
            generate(),
            media_type="application/octet-stream",
            headers={"Content-Length": str(chunks * len(CHUNK))},
        )

    async def upload(self, request: Request) -> Response:
        self._hit(request)
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return JSONResponse({"received": size})

    async def slow(self, request: Request) -> Response:
        self._hit(request)
        # Held until the test lets go (or for a while): slower than any proxy_timeout used.
        await asyncio.get_running_loop().run_in_executor(None, self.release_slow.wait, 10)
        return JSONResponse({"slow": True})

    async def secret(self, request: Request) -> Response:
        self._hit(request)
        response = JSONResponse(
            {
                "access_token": "tok-live-998877",
                "user": {"email": "ada@example.com", "name": "Ada"},
                "echo": request.headers.get("authorization", ""),
                "key": request.headers.get("x-api-key", ""),
            },
            headers={"X-Api-Key": "server-side-key-123"},
        )
        response.set_cookie("sid", "cookie-secret-456")
        return response

    async def image(self, request: Request) -> Response:
        self._hit(request)
        return Response(PNG, media_type="image/png")

    async def events(self, request: Request) -> Response:
        self._hit(request)

        async def stream() -> AsyncIterator[bytes]:
            for index in range(3):
                yield f"data: tick {index}\n\n".encode()
                await asyncio.sleep(0)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def html(self, request: Request) -> Response:
        self._hit(request)
        return Response("<h1>upstream page</h1>", media_type="text/html")

    async def websocket(self, socket: WebSocket) -> None:
        self.hits[socket.url.path] = self.hits.get(socket.url.path, 0) + 1
        await socket.accept()
        while True:
            try:
                text = await socket.receive_text()
            except WebSocketDisconnect as closed:
                self.websocket_closes.append(closed.code)
                return
            if text == "bye":
                await socket.close(code=4001)
                return
            await socket.send_text(f"echo: {text} ({socket.headers.get('x-api-key', '-')})")
