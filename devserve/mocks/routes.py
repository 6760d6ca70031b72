"""Declared mock routes: the first route whose path, method and ``match`` fit the request answers.

A route whose ``match`` fails falls through to the next route, then to the next layer (mock
folder, static files, a JSON 404). Matching and rendering run under the ``[devserve]`` limits:
in a worker thread when a regex or a file is involved, and templates in a renderer process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.convertors import Convertor
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.config.mocks import Route
from devserve.denials import refuse_websocket
from devserve.mocks.behaviour import (
    Candidates,
    CompiledBehaviour,
    Decision,
    answer,
    compile_behaviour,
    decide,
    render_templated,
)
from devserve.mocks.context import BODY_NAMES, BodyTooLarge, read_body, replaying, request_data
from devserve.mocks.limits import Limits, off_loop, run_limited
from devserve.mocks.pool import POOL
from devserve.mocks.templates import RenderError

# Why the mocks whose path fitted did not answer: the 404 of a mock-only origin shows it.
MISSES_KEY = "devserve.mock_misses"


@dataclass(frozen=True)
class CompiledRoute:
    pattern: re.Pattern[str]
    convertors: dict[str, Convertor[Any]]
    methods: frozenset[str] | None
    behaviour: CompiledBehaviour
    # The path, when the pattern holds no parameter: such a route is found by a dict lookup.
    literal: str | None = None


def label(route: Route) -> str:
    """``GET /users/{id:int}``, ``GET|POST /x`` or ``* /x``: how messages name a route."""
    return f"{'|'.join(route.methods) if route.methods else '*'} {route.path}"


def compile_routes(
    origin: str, routes: list[Route], limits: Limits, problems: list[str]
) -> list[CompiledRoute]:
    """Compile every route; template and regex errors go to ``problems`` with their key path."""
    compiled = []
    for index, route in enumerate(routes):
        behaviour = compile_behaviour(
            route,
            label=label(route),
            where=f"origins.{origin}.routes[{index}]",
            limits=limits,
            problems=problems,
        )
        pattern, _, convertors = compile_path(route.path)
        methods = None
        if route.methods is not None:  # GET routes answer HEAD, as Starlette's do
            methods = frozenset(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
        literal = route.path if pattern.pattern == f"^{re.escape(route.path)}$" else None
        compiled.append(CompiledRoute(pattern, convertors, methods, behaviour, literal))
    return compiled


async def respond(
    candidates: Candidates,
    limits: Limits,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    declared: bool = False,
) -> Receive | None:
    """Answer with the first candidate whose ``match`` holds and return None; if none does,
    return the ``receive`` the next layer must use (the body may have been read here).

    Reads the body (bounded) only when a candidate uses it; ``MISSES_KEY`` says why the others
    did not answer. ``declared``: the candidates are routes of the config, not mock files.
    """
    first = candidates[0][0]
    if first.fixed is not None:  # it answers whatever the request: nothing to read or render
        await first.fixed(scope, send, replayable=declared)
        return None
    body = None
    if any(behaviour.needs & BODY_NAMES for behaviour, _ in candidates):
        try:
            body = await read_body(receive)
        except BodyTooLarge as exc:
            await JSONResponse({"error": str(exc)}, 413)(scope, receive, send)
            return None
        receive = replaying(receive, body)
    # A route with no match and no template uses nothing of the request: skip reading it.
    dynamic = any(behaviour.dynamic for behaviour, _ in candidates)
    base = await request_data(scope, body) if dynamic else {}

    def work() -> Decision:
        return decide(candidates, base, limits)

    try:
        if any(behaviour.threaded for behaviour, _ in candidates):
            decision = await off_loop(work, limits)
        else:
            decision = run_limited(work, limits)
    except RenderError as exc:  # the backstop: the work overstayed its time limit
        decision = Decision(candidates[0][0], error=exc.reason)
    if decision.program is not None:
        await render_templated(decision, limits)
    if decision.behaviour is None:
        scope[MISSES_KEY] = [*scope.get(MISSES_KEY, []), *decision.misses]
        return receive
    await answer(decision, scope, receive, send)
    return None


class MockRoutes:
    """The routes layer of an origin; what it does not answer goes to ``fallback``."""

    def __init__(self, routes: list[CompiledRoute], fallback: ASGIApp, limits: Limits) -> None:
        self.routes = routes
        self.fallback = fallback
        self.limits = limits
        # Routes by their literal path (their indexes, in order); the others are tried in turn.
        # With thousands of routes a request costs a lookup, not thousands of regexes.
        self._literal: dict[str, list[int]] = {}
        self._patterned: list[int] = []
        for index, route in enumerate(routes):
            if route.literal is None:
                self._patterned.append(index)
            else:
                self._literal.setdefault(route.literal, []).append(index)
        if any(any(route.behaviour.programs) for route in routes):
            POOL.warm()  # in the background: start-up does not wait for it

    def reset(self) -> None:
        """Restart every sequence from its first response."""
        for route in self.routes:
            route.behaviour.sequence.reset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.routes:
            await self.fallback(scope, receive, send)
            return
        candidates, allowed = self._candidates(scope["path"], scope["method"])
        if candidates:
            following = await respond(
                candidates, self.limits, scope, receive, send, declared=True
            )
            if following is None:
                return
            receive = following
        elif allowed:
            await _method_not_allowed(scope, allowed)(scope, receive, send)
            return
        await self.fallback(scope, receive, send)

    def _matching(self, path: str) -> list[tuple[int, re.Match[str] | None]]:
        """Every route whose pattern matches ``path``, in config order, with its match (None
        for a literal one). A regex's ``$`` also matches before a final newline: so does the
        lookup, to find exactly the routes the regexes would."""
        literal = self._literal
        matched: list[tuple[int, re.Match[str] | None]] = [(i, None) for i in literal.get(path, ())]
        if path.endswith("\n"):
            matched += [(i, None) for i in literal.get(path[:-1], ())]
        routes = self.routes
        for index in self._patterned:
            found = routes[index].pattern.match(path)
            if found is not None:
                matched.append((index, found))
        if len(matched) > 1:
            matched.sort(key=lambda pair: pair[0])
        return matched

    def _candidates(self, path: str, method: str) -> tuple[Candidates, set[str]]:
        candidates: Candidates = []
        allowed: set[str] = set()
        for index, found in self._matching(path):
            route = self.routes[index]
            if route.methods is not None and method not in route.methods:
                allowed |= route.methods
                continue
            params = {}
            if found is not None:
                params = {k: route.convertors[k].convert(v) for k, v in found.groupdict().items()}
            candidates.append((route.behaviour, params))
        return candidates, allowed


def _method_not_allowed(scope: Scope, allowed: set[str]) -> Response:
    methods = ", ".join(sorted(allowed))
    error = f"method {scope['method']} is not allowed for {scope['path']}"
    return JSONResponse({"error": error, "allow": methods}, 405, headers={"Allow": methods})


def not_found(
    routes: list[Route], answers: Callable[[], dict[str, Any]] = dict
) -> ASGIApp:
    """The last layer of an origin with no static files: a 404 a front end can read, listing
    what the origin does answer (its routes, and what ``answers`` says of its other layers)."""
    listed = [label(route) for route in routes]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await refuse_websocket(scope, send, 404, f"no WebSocket endpoint at {scope['path']}")
            return
        body: dict[str, Any] = {"error": f"no route for {scope['method']} {scope['path']}"}
        body["routes"] = listed
        body.update(answers())
        if scope.get(MISSES_KEY):
            body["not_matched"] = scope[MISSES_KEY]
        await JSONResponse(body, 404)(scope, receive, send)

    return app
