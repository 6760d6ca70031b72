"""One layer of an origin that may decline a request, so the next layer gets to answer it."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# "Nothing here" from a layer that only knows its own files: the next layer may have it.
DECLINED = frozenset({404, 405})


class FallThrough:
    """Ask ``first``; when it answers 404 or 405, drop that answer and ask ``then``.

    ``first`` must not read the request body before declining (static files never do), so
    ``then`` still gets all of it. Other scopes (WebSocket) go straight to ``then``. With
    ``only``, a scope it says no to gets ``first``'s answer, whatever it is.
    """

    def __init__(
        self, first: ASGIApp, then: ASGIApp, only: Callable[[Scope], bool] | None = None
    ) -> None:
        self.first = first
        self.then = then
        self.only = only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.only is not None and not self.only(scope):
            await self.first(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.then(scope, receive, send)
            return
        declined = False

        async def unless_declined(message: Message) -> None:
            nonlocal declined
            if message["type"] == "http.response.start" and message["status"] in DECLINED:
                declined = True
            if not declined:
                await send(message)

        await self.first(scope, receive, unless_declined)
        if declined:
            await self.then(scope, receive, send)
