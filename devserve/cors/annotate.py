"""Server-side verdicts (README, "Why was it blocked?"): judge each cross-origin response as a
browser would, and say so.

The verdict goes into the ``X-Devserve-Cors`` response header (visible in the network panel)
and into the scope, where the request log picks it up for the terminal and the dashboard.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache, partial

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.cors.cookies import CookieVerdict, judge_cookies
from devserve.cors.engines import unique
from devserve.cors.headerlist import HeaderList, get_header
from devserve.cors.middleware import REFUSAL_KEY
from devserve.cors.origins import MAX_ORIGIN_LENGTH
from devserve.cors.policy import CorsSwitch, Policy
from devserve.cors.standard import split_list
from devserve.cors.verdict import Verdict, check_preflight, check_response
from devserve.memo import per_object
from devserve.records import VERDICT_AGAIN_KEY, VERDICT_KEY, LoggedVerdict
from devserve.urls import Origin

HEADER = "X-Devserve-Cors"
_HEADER_BYTES = HEADER.lower().encode("latin-1")
# No CORS check happens for these: a navigation (a form post, a link) or an opaque no-cors
# load (<img>, <script> without crossorigin). Judging them would only cry wolf.
_NOT_CORS_MODES = frozenset({"navigate", "no-cors", "same-origin", "websocket"})


def server_verdict(
    *,
    method: str,
    request_headers: HeaderList,
    status: int,
    response_headers: HeaderList,
    serving_origin: str | None = None,
) -> Verdict | None:
    """The verdict on one of devserve's own responses, as the standard (strictest) decides.

    None when there is nothing to judge: no ``Origin``, or the request comes from
    ``serving_origin`` itself. The server cannot see the credentials mode: unless the request
    carries cookies (only sent with credentials), both modes are judged; when they differ, the
    verdict is the one without credentials (fetch's default) and a note gives the other.
    """
    request = list(request_headers)
    response = list(response_headers)
    origin = get_header(request, "origin")
    if origin is None or origin == serving_origin:
        return None
    requested_method = get_header(request, "access-control-request-method")
    preflight = method == "OPTIONS" and requested_method is not None

    def judge(credentials: bool) -> Verdict:
        if preflight:
            assert requested_method is not None
            return check_preflight(
                status=status,
                headers=response,
                origin=origin,
                method=requested_method,
                request_header_names=split_list(
                    get_header(request, "access-control-request-headers") or ""
                ),
                credentials=credentials,
            )
        return check_response(headers=response, origin=origin, credentials=credentials)

    if get_header(request, "cookie") is not None:
        return judge(True)
    without, with_credentials = judge(False), judge(True)
    if without.allowed == with_credentials.allowed:
        return without
    # Credentials only ever make the check stricter, so here: allowed without, blocked with.
    note = f"allowed without credentials; blocked with credentials: {with_credentials.reasons[0]}"
    engine_notes = unique(without.engine_notes + with_credentials.engine_notes)
    return replace(without, credentials_note=note, engine_notes=engine_notes)


# Response headers whose values a verdict reads; of the others only the names count.
_VALUE_PREFIXES = (b"access-control-", b"set-cookie")
# What server_verdict reads of a request: the rest cannot change a verdict.
_REQUEST_KEYS = frozenset(
    {b"origin", b"access-control-request-method", b"access-control-request-headers"}
)


def judged(
    method: str,
    request: list[tuple[bytes, bytes]],
    status: int,
    response: list[tuple[bytes, bytes]],
    serving_origin: str,
) -> Verdict | None:
    """``server_verdict`` on raw ASGI headers, computed once per distinct request/response shape.

    An app answers the same few shapes over and over; judging each response under every engine
    and both credential modes cost more than serving it. The key keeps exactly what the verdict
    reads — the CORS request headers, whether cookies were sent, every response header's name,
    and the values of the CORS response headers and Set-Cookie — so a hit is always right.
    """
    wanted = tuple(
        (name.lower(), value if name.lower() in _REQUEST_KEYS else b"")
        for name, value in request
        if name.lower() in _REQUEST_KEYS or name.lower() == b"cookie"
    )
    shown = tuple(
        (
            lowered,
            value if lowered.startswith(b"access-control-") or lowered == b"set-cookie" else b"",
        )
        for name, value in response
        for lowered in (name.lower(),)
    )
    return _judged(method, wanted, status, shown, serving_origin)


@lru_cache(maxsize=4096)
def _judged(
    method: str,
    request: tuple[tuple[bytes, bytes], ...],
    status: int,
    response: tuple[tuple[bytes, bytes], ...],
    serving_origin: str,
) -> Verdict | None:
    return server_verdict(
        method=method,
        request_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request],
        status=status,
        response_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response],
        serving_origin=serving_origin,
    )


def server_cookies(
    *, request_headers: HeaderList, response_headers: HeaderList, url: str
) -> list[CookieVerdict]:
    """The verdict on each Set-Cookie of a cross-origin response to ``url``.

    Judged as for a credentialed fetch (without credentials the browser ignores Set-Cookie, and
    the server cannot see the mode), by Chromium's rules, the stricter browser's. Cached like
    ``judged``: the same few cookies come back on every login; an ``Expires`` date keeps its
    entry for a minute at most, so a date that passes is noticed.
    """
    lines = tuple(value for name, value in response_headers if name.lower() == "set-cookie")
    if not lines:
        return []
    origin = get_header(list(request_headers), "origin") or "null"
    minute = int(time.time() // 60) if any("expires" in line.lower() for line in lines) else 0
    return list(_cookies(lines, origin, url, minute))


@lru_cache(maxsize=1024)
def _cookies(
    lines: tuple[str, ...], origin: str, url: str, minute: int
) -> tuple[CookieVerdict, ...]:
    return tuple(judge_cookies(list(lines), page=origin, url=url))


def header_value(verdict: Verdict, cookies: list[CookieVerdict] | None = None) -> str:
    """``allowed`` or ``blocked; reason="..."`` (+ ``note``, + ``cookies``): X-Devserve-Cors."""
    parts = ["allowed" if verdict.allowed else "blocked"]
    if not verdict.allowed:
        parts.append(f"reason={_quoted('; '.join(verdict.reasons))}")
    if verdict.caveat:
        parts.append(f"note={_quoted(verdict.caveat)}")
    if cookies:
        parts.append(f"cookies={_quoted('; '.join(cookie.summary for cookie in cookies))}")
    return "; ".join(parts)


def _quoted(text: str, limit: int = 600) -> str:
    """An HTTP quoted-string: one line, ASCII only, at most ``limit`` characters of text."""
    clean = "".join(char if " " <= char <= "~" else " " if char.isspace() else "?" for char in text)
    if len(clean) > limit:
        clean = clean[: limit - 3] + "..."
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Pages remembered per origin for the credentials note; past this, every line says it again.
_MAX_TOLD = 256


class VerdictReporter:
    """Wraps an origin's CORS layer, so it sees the exact headers the browser will see."""

    def __init__(
        self, app: ASGIApp, name: str, switch: CorsSwitch, *, switch_on: str | None = None
    ) -> None:
        self.app = app
        self.name = name
        self.switch = switch
        # How to turn this origin's CORS on, in the terms of the command that started it.
        self.switch_on = switch_on or (
            f'turn it on with `devserve cors {name} on` or set cors = "on" for it in devserve.toml'
        )
        # Pages already told that credentials would be blocked: the log says it once per page.
        self._told: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        if "origin" not in request or request.get("sec-fetch-mode") in _NOT_CORS_MODES:
            await self.app(scope, receive, send)
            return
        serving = f"{scope.get('scheme', 'http')}://{request.get('host', '')}"

        async def reporting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message["headers"]
                judgement = judged(scope["method"], request.raw, message["status"], raw, serving)
                if judgement is not None:
                    verdict = self._explain(judgement, scope, request)
                    if any(name.lower() == b"set-cookie" for name, _ in raw):
                        cookies = server_cookies(
                            request_headers=request.items(),
                            response_headers=MutableHeaders(scope=message).items(),
                            url=serving + scope["path"],
                        )
                        value = header_value(verdict, cookies).encode("latin-1")
                        logged = _logged(verdict, cookies)
                    elif verdict is judgement:  # the common case: the same few, cached
                        value, logged = _presented(verdict)
                    else:
                        value, logged = _present(verdict)  # explained anew: not cached
                    message["headers"] = [
                        *((name, v) for name, v in raw if name.lower() != _HEADER_BYTES),
                        (_HEADER_BYTES, value),
                    ]
                    if verdict.credentials_note is not None:
                        again = partial(self._once, logged, verdict, request.get("origin", ""))
                        scope[VERDICT_AGAIN_KEY] = again  # for a replay of this answer
                        logged = again()
                    scope[VERDICT_KEY] = logged
            await send(message)

        await self.app(scope, receive, reporting_send)

    def _once(self, logged: LoggedVerdict, verdict: Verdict, page: str) -> LoggedVerdict:
        """"Blocked with credentials" in the log the first time a page hears it, not on every
        line after (a page that never sends credentials needs it once); the response header
        keeps it on every response."""
        if page not in self._told:
            if len(self._told) < _MAX_TOLD:
                self._told.add(page)
            return logged
        return replace(logged, note="; ".join(verdict.engine_notes) or None)

    def _explain(self, verdict: Verdict, scope: Scope, request: Headers) -> Verdict:
        """Put devserve's own knowledge first: which origin, which config key, which command."""
        if verdict.allowed:
            return verdict
        name = self.name
        policy = self.switch.active
        if policy is None:
            reason = f"CORS is off for origin '{name}': {self.switch_on}"
        elif REFUSAL_KEY in scope:
            reason = (
                f"origin '{name}' refused the preflight: {scope[REFUSAL_KEY]}; "
                "list it in that origin's cors table"
            )
        elif problem := policy.origin_problem(origin := request.get("origin", "")):
            reason = _origin_reason(name, policy, origin, problem)
        else:
            return verdict  # the engine's reason already names the header and the fix
        # devserve's own reason names the fix in devserve's terms; the engine's would repeat it
        # in header terms, less helpfully.
        return replace(verdict, reasons=[reason])


def _origin_reason(name: str, policy: Policy, origin: str, problem: str) -> str:
    """Why origin ``name`` refuses the page's origin, and the config change that admits it."""
    if len(origin) > MAX_ORIGIN_LENGTH:
        return f"origin '{name}' refused the request: {problem}"
    if policy.local is not None and origin != "null":
        parsed = Origin.of_header(origin)
        listed = f", or add {parsed.host!r} to allowed_hosts in [devserve]" if parsed else ""
        return (
            f"origin {origin!r} is not allowed by origin '{name}': cors = \"on\" echoes only "
            f"local origins ({policy.local.describe()}); to let it in, give '{name}' a cors "
            f'table with allow_origins = ["{origin}"]{listed}'
        )
    where = "its cors table" if policy.mode == "policy" else "a cors table for it"
    return (
        f"origin {origin!r} is not allowed by origin '{name}': add it to allow_origins in {where}"
    )


def _present(verdict: Verdict) -> tuple[bytes, LoggedVerdict]:
    return header_value(verdict).encode("latin-1"), _logged(verdict, [])


# X-Devserve-Cors and the log's verdict, once per verdict ``judged`` returned as it is (its
# cache hands out the same object for the same request shape).
_presented = per_object(_present, max_size=4096)


def _logged(verdict: Verdict, cookies: list[CookieVerdict]) -> LoggedVerdict:
    return LoggedVerdict(
        verdict="allowed" if verdict.allowed else "blocked",
        reason=verdict.reasons[0] if verdict.reasons else None,
        note=verdict.caveat,
        cookies=tuple(cookie.summary for cookie in cookies),
        cookies_lost=tuple(cookie.summary for cookie in cookies if cookie.lost),
    )
