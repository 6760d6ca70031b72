"""The browser's fetch loop in `devserve check`: preflight, request, CORS check, redirects."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Literal

import httpx

from devserve.check.deadline import timed_out
from devserve.check.redirects import (
    MAX_REDIRECTS,
    REDIRECTS,
    redirect_problem,
    redirected,
    resolve,
)
from devserve.check.report import Mode, Step
from devserve.cors.cookies import CookieVerdict, judge_cookies
from devserve.cors.engines import (
    EMPTY_LOCATION_NOT_FOLLOWED,
    ENGINE_NAMES,
    ENGINES,
    PREFLIGHT_ORIGIN_AFTER_REDIRECT,
    Engine,
)
from devserve.cors.request import RequestShape, classify_request
from devserve.cors.standard import UNEXPOSABLE_RESPONSE_HEADERS, normalize_header_value
from devserve.cors.verdict import Verdict, check_preflight, check_response
from devserve.errors import DevserveError
from devserve.urls import serialize_origin


class Flow:
    """The browser's fetch loop: preflight where needed, request, CORS check, redirects."""

    def __init__(
        self,
        client: httpx.Client,
        transport: httpx.BaseTransport,
        *,
        page: str,
        credentials: bool,
        engine: Engine,
        deadline: float,
        mode: Mode = "cors",
        preflight_only: bool = False,
    ) -> None:
        self.client = client
        self.transport = transport
        self.deadline = deadline
        self.page = page
        self.credentials = credentials
        self.engine = engine
        self.mode = mode
        self.preflight_only = preflight_only
        self.steps: list[Step] = []
        self.cookies: list[CookieVerdict] = []
        self.engine_notes: list[str] = []  # where another engine takes another path

    def run(
        self, url: str, method: str, headers: list[tuple[str, str]], body: str | None
    ) -> Verdict:
        verdict = self._run(url, method, headers, body)
        if self.engine_notes:
            verdict = replace(verdict, engine_notes=[*verdict.engine_notes, *self.engine_notes])
        return verdict

    def _run(
        self, url: str, method: str, headers: list[tuple[str, str]], body: str | None
    ) -> Verdict:
        cors = tainted = left = False
        for hop in range(MAX_REDIRECTS + 1):
            # Once a request went cross-origin it stays in CORS mode, even back on the page's
            # origin; after a hop between two other origins the browser sends Origin: null.
            here = serialize_origin(url)
            left = left or here != self.page
            cors = cors or (left and self.mode == "cors")
            origin = "null" if tainted else self.page
            shape = classify_request(method, headers, engine=self.engine)
            if cors and shape.needs_preflight:
                preflight = self._preflight(url, origin, shape, tainted=tainted)
                if preflight.verdict is not None and not preflight.verdict.allowed:
                    return preflight.verdict
            if self.preflight_only:
                return _not_sent(cors and shape.needs_preflight)
            sent = list(headers)
            if cors or method not in ("GET", "HEAD"):
                sent.append(("Origin", origin))
            response = self._request(method, url, sent, body, cors=cors, origin=origin)
            # The browser stores cookies before, and whatever, the CORS check decides; with
            # credentials: 'same-origin' only while the request never left the page's origin.
            self.cookies += judge_cookies(
                [v for n, v in response.response_headers if n.lower() == "set-cookie"],
                page=self.page,
                url=url,
                credentials=self.credentials or not left,
                engine=self.engine,
            )
            verdict = response.verdict or _same_origin(response.response_headers)
            if not verdict.allowed or response.status not in REDIRECTS:
                return _opaque(response.status) if left and self.mode == "no-cors" else verdict
            location = self._location(response.status, response.response_headers)
            if isinstance(location, Verdict):
                return location
            if location is None:
                return verdict
            if hop == MAX_REDIRECTS:
                break
            target = resolve(url, location)
            problem = redirect_problem(target, page=self.page, cors=cors)
            if problem:
                return Verdict(allowed=False, reasons=[problem])
            if here not in (serialize_origin(target), self.page):
                tainted = True
            method, headers, body = redirected(response.status, method, headers, body)
            url = target
        return Verdict(
            allowed=False,
            reasons=[f"more than {MAX_REDIRECTS} redirects: the browser gives up (a loop?)"],
        )

    def _location(self, status: int, headers: list[tuple[str, str]]) -> str | Verdict | None:
        """Where a redirect goes: None when it is not followed, a Verdict when it fails."""
        given = (value for name, value in headers if name.lower() == "location")
        locations = list(dict.fromkeys(normalize_header_value(value) for value in given))
        if len(locations) > 1:
            shown = ", ".join(repr(location) for location in locations)
            return Verdict(
                allowed=False,
                reasons=[
                    f"the {status} response has {len(locations)} different Location headers "
                    f"({shown}): the browser fails with a network error; send one Location"
                ],
            )
        if not locations:
            return None
        if locations[0] == "":
            stops = EMPTY_LOCATION_NOT_FOLLOWED.applies(self.engine)
            who = "Firefox and the Fetch standard follow it" if stops else "Chromium stops here"
            self.engine_notes.append(f"{who}: {EMPTY_LOCATION_NOT_FOLLOWED.summary}")
            if stops:
                return None
        return locations[0]

    def _preflight(self, url: str, origin: str, shape: RequestShape, *, tainted: bool) -> Step:
        # Which Origin each engine sends (and checks) on this preflight: they differ only after
        # a redirect between two other origins (PREFLIGHT_ORIGIN_AFTER_REDIRECT).
        origins = {
            engine: self.page
            if tainted and PREFLIGHT_ORIGIN_AFTER_REDIRECT.applies(engine)
            else origin
            for engine in ENGINES
        }
        sent = origins[self.engine]
        headers = [("Origin", sent), ("Access-Control-Request-Method", shape.method)]
        if shape.unsafe_header_names:
            headers.append(("Access-Control-Request-Headers", ",".join(shape.unsafe_header_names)))
        response = self._fetch("OPTIONS", url, headers, None)

        def judge(engine: Engine) -> Verdict:
            return check_preflight(
                status=response.status_code,
                headers=response.headers.multi_items(),
                origin=origins[engine],
                method=shape.method,
                request_header_names=shape.unsafe_header_names,
                credentials=self.credentials,
                engine=engine,
            )

        verdict = judge(self.engine)
        differ = [
            ENGINE_NAMES[engine]
            for engine in ENGINES
            if origins[engine] != sent and judge(engine).allowed != verdict.allowed
        ]
        if differ:
            note = (
                f"{' and '.join(differ)} would {'block' if verdict.allowed else 'allow'} this: "
                f"{PREFLIGHT_ORIGIN_AFTER_REDIRECT.summary}"
            )
            verdict = replace(verdict, engine_notes=[*verdict.engine_notes, note])
        return self._record("preflight", "OPTIONS", url, headers, response, verdict)

    def _request(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: str | None,
        *,
        cors: bool,
        origin: str,
    ) -> Step:
        response = self._fetch(method, url, headers, body)
        verdict = (
            check_response(
                headers=response.headers.multi_items(),
                origin=origin,
                credentials=self.credentials,
                engine=self.engine,
            )
            if cors
            else None
        )
        return self._record("request", method, url, headers, response, verdict)

    def _record(
        self,
        kind: Literal["preflight", "request"],
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        response: httpx.Response,
        verdict: Verdict | None,
    ) -> Step:
        step = Step(
            kind=kind,
            method=method,
            url=url,
            request_headers=headers,
            status=response.status_code,
            reason_phrase=response.reason_phrase,
            response_headers=response.headers.multi_items(),
            verdict=verdict,
        )
        self.steps.append(step)
        return step

    def _fetch(
        self, method: str, url: str, headers: list[tuple[str, str]], body: str | None
    ) -> httpx.Response:
        if not any(name.lower() == "accept" for name, _ in headers):
            headers = [*headers, ("Accept", "*/*")]  # fetch()'s default
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise timed_out(url)
        try:
            # Header values are bytes: fetch() sends U+0080-U+00FF as single Latin-1 bytes.
            raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
            request = self.client.build_request(
                method, url, headers=raw, content=body, timeout=remaining
            )
            request.method = method  # httpx upper-cases it; fetch() sends "patch" as written
            return self._send(request)
        except httpx.TimeoutException:
            raise timed_out(url) from None
        except (httpx.InvalidURL, ValueError) as exc:  # ValueError: IDNA errors in a host name
            raise DevserveError(f"{method} {url}: the URL is not valid ({exc})") from None
        except httpx.HTTPError as exc:
            raise DevserveError(
                f"{method} {url} failed: {exc or type(exc).__name__}. "
                "Is the server running, and is the URL right?"
            ) from None

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send one request, never following or even parsing a redirect.

        Not ``client.send``: httpx parses the Location of every redirect response, even with
        follow_redirects=False, and raises on one it cannot parse; a browser gets a response
        and judges it (a network error, so "blocked", not a failure of `check`).
        The body is never read: every CORS check is on the status and headers, and a body may
        be endless.
        """
        response = self.transport.handle_request(request)
        response.request = request
        response.close()
        return response


def _same_origin(headers: list[tuple[str, str]]) -> Verdict:
    names = dict.fromkeys(name.lower() for name, _ in headers)
    return Verdict(
        allowed=True,
        notes=["same-origin request: CORS does not apply"],
        readable_headers=[name for name in names if name not in UNEXPOSABLE_RESPONSE_HEADERS],
    )


def _not_sent(preflighted: bool) -> Verdict:
    """--preflight-only: the request itself never goes out."""
    if preflighted:
        note = "the preflight passed; --preflight-only: the request itself was not sent"
    else:
        note = "a simple request, sent without a preflight; --preflight-only: nothing was sent"
    return Verdict(allowed=True, notes=[note])


def _opaque(status: int) -> Verdict:
    """mode: 'no-cors' across origins: the browser hands the script an opaque response."""
    return Verdict(
        allowed=False,
        reasons=[
            f"mode 'no-cors' gives the script an opaque response (status 0, no headers, no "
            f"body) whatever the server sends (it answered {status}): the server cannot change "
            "that; to read it, fetch in mode 'cors' and have the server send CORS headers"
        ],
    )
