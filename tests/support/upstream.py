"""A small real API for the proxy to stand in front of: echoes, cookies, CORS headers of its
own, redirects, compressed and large bodies, a counter, a slow endpoint, events, a WebSocket."""

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
from starlette.websockets import WebSocket

CHUNK = b"x" * (64 * 1024)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"  # not text: kept as a file


class Upstream:
    """The app plus what the tests look at: how often each path was asked for."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.release_slow = threading.Event()
        self.app = Starlette(
            routes=[
                Route("/echo", self.echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
                Route("/v1/echo", self.echo, methods=["GET", "POST"]),
                Route("/users", self.users),
                Route("/counter", self.counter),
                Route("/cookie", self.cookie),
                Route("/cors", self.cors),
                Route("/redirect", self.redirect),
                Route("/compressed/{coding}", self.compressed),
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

    def _hit(self, request: Request) -> None:
        self.hits[request.url.path] = self.hits.get(request.url.path, 0) + 1

    async def echo(self, request: Request) -> Response:
        self._hit(request)
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": body.decode("utf-8", "replace"),
            },
            headers={"X-Upstream": "yes"},
        )

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
            text = await socket.receive_text()
            if text == "bye":
                await socket.close(code=4001)
                return
            await socket.send_text(f"echo: {text} ({socket.headers.get('x-api-key', '-')})")
