"""The cross-site guard: what changes state, opens a socket or carries a secret devserve adds is
accepted only from origins the policy allows (README, "Security model").

CORS only stops a page from *reading* an answer; the request itself still arrives. A form on any
website can POST to ``localhost``, and browsers apply no CORS to WebSockets at all, so without
this guard every site the developer visits could write to their ``db.json`` or talk to an API
through the proxy with their ``proxy_headers`` token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.cors.origins import MAX_ORIGIN_LENGTH
from devserve.cors.policy import CorsSwitch
from devserve.denials import deny
from devserve.errors import DevserveError
from devserve.records import VERDICT_KEY, LoggedVerdict
from devserve.urls import serialize_origin

# RFC 9110's safe methods: they do not change state, so a foreign page may send them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Where the origin's guard waits for the proxy, which checks what it forwards with secrets.
GUARD_KEY = "devserve.guard"


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: who sent it, what was protected, and how to allow it."""

    origin: str | None  # None when the browser did not say which page sent the request
    protected: str
    reason: str
    fix: str

    def as_json(self) -> dict[str, str | None]:
        return {
            "error": "cross-site request refused",
            "origin": self.origin,
            "protected": self.protected,
            "reason": self.reason,
            "fix": self.fix,
        }

    def line(self) -> str:
        """One sentence for the log and the dashboard."""
        return f"refused {self.protected}: {self.reason}; {self.fix}"


@dataclass(frozen=True)
class SocketDoor:
    """Who may open one mock socket: the socket's own ``allow_origins`` (None: local origins
    only; with "*": any site). Browsers apply no CORS to sockets, so for a mock socket's path
    this is the one rule: the CORS policy and ``allow_writes_from`` have no say."""

    where: str  # its key, e.g. origins.api.sockets[0]
    path: str
    allowed: frozenset[str] | None


class WriteGuard:
    """One origin's decision on who may write: its own origin, the origins its CORS policy lets
    in (``on``: local ones; a table: those it lists), and ``allow_writes_from``; for a mock
    socket, the socket's ``allow_origins`` (``doors`` finds the socket of a path)."""

    def __init__(
        self,
        name: str,
        switch: CorsSwitch,
        allow_writes_from: Iterable[str],
        doors: Callable[[str], SocketDoor | None] | None = None,
    ) -> None:
        self.name = name
        self.switch = switch
        self.listed = frozenset(allow_writes_from)
        self.doors = doors

    def refusal(self, scope: Scope, protected: str) -> Refusal | None:
        """Why ``scope`` may not do what ``protected`` describes, or None when it may."""
        headers = Headers(scope=scope)
        origins = headers.getlist("origin")
        if len(origins) > 1:
            return self._refused(None, protected, "it carries two Origin headers")
        if origins:
            origin = origins[0]
        elif headers.get("sec-fetch-site") == "cross-site":
            # No Origin (a GET navigation or <img>): the browser still says "another site";
            # the Referer, when the page's policy leaves it, names which.
            referred = _referer_origin(headers.get("referer"))
            if referred is None:
                return self._refused(
                    None, protected, "the browser marked it as sent by another site"
                )
            origin = referred
        else:
            return None  # same-site, typed in the address bar, or not from a browser at all
        if origin == _own_origin(scope, headers):
            return None
        door = self.doors(scope["path"]) if self.doors and scope["type"] == "websocket" else None
        if door is not None:
            return self._door_refusal(origin, door, protected)
        if "*" in self.listed or origin in self.listed:
            return None
        problem = self._policy_problem(origin)
        return None if problem is None else self._refused(origin, protected, problem)

    def _policy_problem(self, origin: str) -> str | None:
        if len(origin) > MAX_ORIGIN_LENGTH:
            return f"its Origin is over {MAX_ORIGIN_LENGTH} characters long"
        policy = self.switch.active
        if policy is not None and policy.mode == "policy" and not policy.wildcard:
            return None if policy.allows_origin(origin) else "it is not in its cors table"
        if self.switch.local.allows(origin):
            return None
        mode = "off" if policy is None else policy.mode
        why = {
            "on": 'cors = "on" accepts writes from local origins only',
            "*": 'cors = "*" lets any site read, but accepts writes from local origins only',
        }.get(mode, "its CORS is off, and it accepts writes from local origins only")
        return f"{why} ({self.switch.local.describe()})"

    def _door_refusal(self, origin: str, door: SocketDoor, protected: str) -> Refusal | None:
        allowed = door.allowed
        if len(origin) > MAX_ORIGIN_LENGTH:
            problem = f"its Origin is over {MAX_ORIGIN_LENGTH} characters long"
        elif allowed is None:
            if self.switch.local.allows(origin):
                return None
            problem = (
                f"the socket takes local origins only ({self.switch.local.describe()}), as its "
                "allow_origins is not set"
            )
        elif "*" in allowed or origin in allowed:
            return None
        else:
            problem = "it is not in the socket's allow_origins"
        return Refusal(
            origin=origin,
            protected=protected,
            reason=f"origin {origin!r} may not open socket {door.path} of origin "
            f"'{self.name}': {problem}",
            fix=f'add "{origin}" to allow_origins of {door.where} (path = "{door.path}"), '
            'or allow_origins = ["*"] for any site',
        )

    def _refused(self, origin: str | None, protected: str, problem: str) -> Refusal:
        name = self.name
        if origin is None:
            return Refusal(
                origin=None,
                protected=protected,
                reason=f"origin '{name}' cannot tell which page sent it: {problem}",
                fix=f"send it with fetch() from a page origin '{name}' allows, or set "
                f'allow_writes_from = ["*"] on origin \'{name}\' to accept it from any site',
            )
        policy = self.switch.active
        if policy is not None and policy.mode == "policy" and not policy.wildcard:
            fix = (
                f"add \"{origin}\" to allow_origins in the cors table of origin '{name}' (it "
                f'may then read too), or set allow_writes_from = ["{origin}"] on it (writes only)'
            )
        else:
            fix = (
                f"if that site is meant to write, set allow_writes_from = [\"{origin}\"] on "
                f"origin '{name}'"
            )
        return Refusal(
            origin=origin,
            protected=protected,
            reason=f"origin {origin!r} may not send it to origin '{name}': {problem}",
            fix=fix,
        )

    async def refuse(self, scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
        """Answer 403 with the refusal (before the upgrade, for a WebSocket) and note it; a
        socket's refusal is its verdict (no CORS check judges a socket)."""
        if scope["type"] == "websocket":
            scope[VERDICT_KEY] = LoggedVerdict("blocked", reason=refusal.line())
            await deny(scope, send, 403, refusal.as_json(), note=None)
            return
        await deny(scope, send, 403, refusal.as_json(), note=refusal.line())


def _referer_origin(referer: str | None) -> str | None:
    if not referer:
        return None
    try:
        return serialize_origin(referer)
    except DevserveError:  # not an http(s) URL: as good as none
        return None


def describe_method(scope: Scope) -> str:
    """What a guarded request would do, in words."""
    if scope["type"] == "websocket":
        return f"a WebSocket connection to {scope['path']} (browsers apply no CORS to sockets)"
    return f"a {scope['method']} request to {scope['path']} (it can change data)"


class CrossSiteGuard:
    """Inside the CORS layer, so a page the policy lets read gets the 403's reason too."""

    def __init__(self, app: ASGIApp, guard: WriteGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket" or (kind == "http" and scope["method"] not in SAFE_METHODS):
            refusal = self.guard.refusal(scope, describe_method(scope))
            if refusal is not None:
                await self.guard.refuse(scope, receive, send, refusal)
                return
            if kind == "websocket" and _cross_origin(scope):
                scope[VERDICT_KEY] = LoggedVerdict("allowed")
        if kind != "lifespan":
            scope[GUARD_KEY] = self.guard
        await self.app(scope, receive, send)


def _own_origin(scope: Scope, headers: Headers) -> str:
    """The origin a request was sent to, as a page's Origin would say it (ws: is http:)."""
    scheme = scope.get("scheme", "http")
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return f"{scheme}://{headers.get('host', '')}"


def _cross_origin(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    return origin is not None and origin != _own_origin(scope, headers)
