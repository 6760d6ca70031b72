"""Live reload: the event hub, the reserved `/__devserve/` endpoints, script injection."""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve._resources import templates_dir
from devserve.live.events import Event, Hub, Resume, config_event
from devserve.origins import foreign_request
from devserve.serving.cachedresponse import FINAL_BODY_KEY

PREFIX = "/__devserve/"
SCRIPT_PATH = PREFIX + "livereload.js"
EVENTS_PATH = PREFIX + "events"
# defer: never holds up the page's own parsing, and runs once the DOM it decorates exists.
SCRIPT_TAG = f'<script src="{SCRIPT_PATH}" defer></script>'.encode()
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(rb"<body[^>]*>", re.IGNORECASE)
_NO_CACHE = {"Cache-Control": "no-cache"}


class ReloadHub(Hub):
    """The pages' channels (one per origin), plus the config error every page should show."""

    def __init__(self) -> None:
        super().__init__()
        self.config_error: str | None = None

    def page_events(self) -> list[Event]:
        """What a page that connects now must hear first."""
        return [config_event(self.config_error)] if self.config_error else []

    def report_config(self, error: str | None) -> None:
        """Show (or clear) the config-error overlay in every open page."""
        changed = error != self.config_error
        self.config_error = error
        if changed:
            self.publish_all(config_event(error))


class ReservedEndpoints:
    """Serves ``/__devserve/`` (script and event stream) ahead of the origin's CORS and routes."""

    def __init__(self, app: ASGIApp, *, hub: ReloadHub, origin: str) -> None:
        self.app = app
        self.hub = hub
        self.origin = origin
        self.script = (templates_dir() / "livereload.js").read_bytes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        # Only the origin's own pages: no other site may read or hold open its streams.
        if foreign_request(scope) is not None:
            refused = "devserve: the live-reload endpoints answer only their own origin"
            await _plain(403, refused)(scope, receive, send)
        elif scope["path"] == SCRIPT_PATH and scope["method"] in ("GET", "HEAD"):
            script = Response(self.script, media_type="text/javascript", headers=_NO_CACHE)
            await script(scope, receive, send)
        elif scope["path"] == EVENTS_PATH and scope["method"] == "GET":
            # Blocked requests made while the page loaded, before this stream connected.
            kept = self.hub.kept(self.origin, Resume.from_scope(scope))
            await self.hub.stream(self.origin, receive, send, [*self.hub.page_events(), *kept])
        else:
            await _plain(404, "Not Found")(scope, receive, send)


def _plain(status: int, text: str) -> Response:
    return PlainTextResponse(text + "\n", status, headers=_NO_CACHE)


def inject_html(media_type: str, body: bytes) -> bytes:
    """``inject`` for HTML bodies only: what the static file cache applies once per version."""
    return inject(body) if media_type.startswith("text/html") else body


def inject(html: bytes) -> bytes:
    """Put the script tag before ``</head>``, else after ``<body>``, else at the end."""
    for pattern, before in ((_HEAD_END, True), (_BODY_START, False)):
        match = pattern.search(html)
        if match:
            at = match.start() if before else match.end()
            return html[:at] + SCRIPT_TAG + html[at:]
    return html + SCRIPT_TAG


class InjectScript:
    """Adds the live-reload script to full HTML responses of a static app (never to mocks)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffering_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                is_html = headers.get("content-type", "").startswith("text/html")
                if scope.get(FINAL_BODY_KEY):  # the static app put the script in already
                    is_html = False
                # Partial (206) and empty (304) responses must stay byte-exact.
                if is_html and message["status"] in (200, 404):
                    start = message
                    return
                await send(message)
            elif start is None:
                await send(message)
            else:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send_injected(start, b"".join(chunks), scope, send)

        await self.app(scope, receive, buffering_send)

    @staticmethod
    async def _send_injected(start: Message, body: bytes, scope: Scope, send: Send) -> None:
        headers = MutableHeaders(scope=start)
        if scope["method"] == "HEAD":
            # No body to rewrite: the GET body would be longer by exactly the tag.
            length = int(headers.get("content-length", "0")) + len(SCRIPT_TAG)
            headers["content-length"] = str(length)
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return
        body = inject(body)
        headers["content-length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body})
