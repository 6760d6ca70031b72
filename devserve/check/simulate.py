"""`devserve check`: send a request the way a browser's fetch() would, and explain the verdict.

Exit codes: 0 the page can read the response, 1 the browser blocks it, 2 usage or network error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx

from devserve.cors.cookies import CookieVerdict, judge_cookies
from devserve.cors.lna import (
    AddressSpace,
    LnaVerdict,
    judge_local_network,
    page_space,
    target_space,
)
from devserve.cors.standard import (
    FORBIDDEN_METHODS,
    UNEXPOSABLE_RESPONSE_HEADERS,
    is_forbidden_request_header,
    is_token,
    normalize_header_value,
)
from devserve.cors.verdict import (
    ENGINE_NAMES,
    ENGINES,
    PREFLIGHT_ORIGIN_AFTER_REDIRECT,
    Engine,
    RequestShape,
    Verdict,
    check_preflight,
    check_response,
    classify_request,
    normalize_method,
)
from devserve.errors import DevserveError
from devserve.origins import serialize_origin

MAX_REDIRECTS = 20  # https://fetch.spec.whatwg.org/#http-redirect-fetch
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
# Headers `check` sets itself, as the browser does; giving them with -H is a usage error.
_RESERVED = {
    "origin": "use --origin",
    "access-control-request-method": "check sends it with the preflight",
    "access-control-request-headers": "check sends it with the preflight",
    "host": "it comes from the URL",
    "content-length": "it comes from the body",
    "transfer-encoding": "it comes from the body",
    "connection": "the HTTP client manages it",
}


@dataclass(frozen=True)
class Step:
    """One request sent and its response; ``verdict`` is None where no CORS check applies."""

    kind: Literal["preflight", "request"]
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int
    reason_phrase: str
    response_headers: list[tuple[str, str]]
    verdict: Verdict | None


@dataclass(frozen=True)
class CheckReport:
    """Everything `devserve check` found: the steps, the final verdict and what is readable."""

    url: str
    origin: str
    method: str
    credentials: bool
    browser: Engine
    shape: RequestShape
    steps: list[Step]
    verdict: Verdict
    notes: list[str] = field(default_factory=list)
    cookies: list[CookieVerdict] = field(default_factory=list)  # each Set-Cookie, in order
    local_network: LnaVerdict | None = None  # None: the target's address space is unknown

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def status(self) -> int | None:
        """The status the page sees, or None when it sees only a network error."""
        return self.steps[-1].status if self.allowed else None

    @property
    def engine_notes(self) -> list[str]:
        notes = list(self.shape.engine_notes)
        notes += self.local_network.engine_notes if self.local_network else []
        for step in self.steps:
            notes += step.verdict.engine_notes if step.verdict else []
        return list(dict.fromkeys(notes))

    @property
    def readable_headers(self) -> dict[str, str]:
        if not self.allowed:
            return {}
        headers = combined(self.steps[-1].response_headers)
        return {name: headers[name] for name in self.verdict.readable_headers}


def parse_header(text: str) -> tuple[str, str]:
    """A ``'Name: value'`` command-line header."""
    name, colon, value = text.partition(":")
    if not colon or not is_token(name.strip()):
        raise DevserveError(f"-H {text!r} is not a header: write it as 'Name: value'")
    return name.strip(), normalize_header_value(value)


def run_check(
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: str | None = None,
    credentials: bool = False,
    engine: Engine = "standard",
    timeout: float = 10.0,
    address_spaces: Mapping[str, AddressSpace] | None = None,
) -> CheckReport:
    """Fetch ``url`` as a page on ``origin`` would, and judge every step as ``engine`` does.

    ``address_spaces`` overrides the address space of ``host`` or ``host:port`` (the page's or
    the target's), as Chromium's --ip-address-space-overrides does. A request Local Network
    Access stops is not sent at all, as in the browser. Raises DevserveError for a request
    fetch() itself would refuse and for network errors.
    """
    try:
        page = serialize_origin(origin)
    except DevserveError:
        raise DevserveError(
            f"--origin {origin!r} is not an origin: give the page's origin, "
            "e.g. http://localhost:8000"
        ) from None
    serialize_origin(url)
    method = _checked_method(method)
    request_headers, notes = _checked_headers(headers)
    if body is not None and method in ("GET", "HEAD"):
        raise DevserveError(
            f"a {method} request cannot have a body (fetch() refuses it): add -X POST"
        )
    if body is not None and not any(name.lower() == "content-type" for name, _ in headers):
        request_headers.append(("Content-Type", "text/plain;charset=UTF-8"))  # as fetch() does
    shape = classify_request(method, request_headers, engine=engine)
    if serialize_origin(url) == page:
        shape = RequestShape(shape.method, [], [], [])  # a same-origin request is never preflighted
    local_network = _local_network(page, url, engine, address_spaces or {})
    if local_network is not None and not local_network.allowed:
        return CheckReport(
            url=url,
            origin=page,
            method=method,
            credentials=credentials,
            browser=engine,
            shape=shape,
            steps=[],
            verdict=Verdict(
                allowed=False,
                reasons=local_network.reasons,
                engine_notes=local_network.engine_notes,
            ),
            notes=notes,
            local_network=local_network,
        )
    # The client only builds requests (default headers); _Flow sends them through the
    # transport itself, see _Flow._send. The client closes the transport.
    transport = httpx.HTTPTransport()
    deadline = time.monotonic() + timeout
    with httpx.Client(follow_redirects=False, transport=transport) as client:
        flow = _Flow(
            client, transport, page=page, credentials=credentials, engine=engine, deadline=deadline
        )
        verdict = _before(deadline, lambda: flow.run(url, method, request_headers, body), url)
    return CheckReport(
        url=url,
        origin=page,
        method=method,
        credentials=credentials,
        browser=engine,
        shape=shape,
        steps=flow.steps,
        verdict=verdict,
        notes=notes + verdict.notes,
        cookies=flow.cookies,
        local_network=local_network,
    )


def _local_network(
    page: str, url: str, engine: Engine, overrides: Mapping[str, AddressSpace]
) -> LnaVerdict | None:
    """The Local Network Access verdict; None when the page is opaque or the host unresolvable."""
    if page == "null":
        return None  # a sandboxed or file: page: its address space is its document's, unknown
    target = target_space(url, overrides)
    if target is None:
        return None
    return judge_local_network(
        page_space(page, overrides), target, engine=engine, page_origin=page, target_url=url
    )


class _Flow:
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
    ) -> None:
        self.client = client
        self.transport = transport
        self.deadline = deadline
        self.page = page
        self.credentials = credentials
        self.engine = engine
        self.steps: list[Step] = []
        self.cookies: list[CookieVerdict] = []

    def run(
        self, url: str, method: str, headers: list[tuple[str, str]], body: str | None
    ) -> Verdict:
        cors = tainted = False
        for hop in range(MAX_REDIRECTS + 1):
            # Once a request went cross-origin it stays in CORS mode, even back on the page's
            # origin; after a hop between two other origins the browser sends Origin: null.
            cors = cors or serialize_origin(url) != self.page
            origin = "null" if tainted else self.page
            shape = classify_request(method, headers, engine=self.engine)
            if cors and shape.needs_preflight:
                preflight = self._preflight(url, origin, shape, tainted=tainted)
                if preflight.verdict is not None and not preflight.verdict.allowed:
                    return preflight.verdict
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
                credentials=self.credentials or not cors,
                engine=self.engine,
            )
            verdict = response.verdict or _same_origin(response.response_headers)
            location = combined(response.response_headers).get("location")
            if not verdict.allowed or response.status not in _REDIRECTS or location is None:
                return verdict
            if hop == MAX_REDIRECTS:
                break
            target = _resolve(url, location)
            problem = _redirect_problem(target, page=self.page, cors=cors)
            if problem:
                return Verdict(allowed=False, reasons=[problem])
            if (
                serialize_origin(url) != serialize_origin(target)
                and serialize_origin(url) != self.page
            ):
                tainted = True
            if (response.status in (301, 302) and method == "POST") or (
                response.status == 303 and method not in ("GET", "HEAD")
            ):
                method, body = "GET", None
                headers = [(n, v) for n, v in headers if n.lower() not in _BODY_HEADERS]
            url = target
        return Verdict(
            allowed=False,
            reasons=[f"more than {MAX_REDIRECTS} redirects: the browser gives up (a loop?)"],
        )

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
            raise _timed_out(url)
        try:
            request = self.client.build_request(
                method, url, headers=headers, content=body, timeout=remaining
            )
            request.method = method  # httpx upper-cases it; fetch() sends "patch" as written
            return self._send(request)
        except httpx.TimeoutException:
            raise _timed_out(url) from None
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


def _timed_out(url: str) -> DevserveError:
    return DevserveError(f"{url} timed out: no answer within --timeout; is the server running?")


def _before(deadline: float, work: Callable[[], Verdict], url: str) -> Verdict:
    """Run ``work`` (blocking I/O) but give up at ``deadline``, whatever the server does.

    Each read already has the time left as its timeout; a server that trickles bytes just under
    it would still stretch the total, so the work runs in a daemon thread that is abandoned at
    the deadline (its next read times out, and the thread ends).
    """
    outcome: list[Verdict | BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the caller's thread, raised there
            outcome.append(exc)

    worker = threading.Thread(target=target, name="devserve-check", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if not outcome:
        raise _timed_out(url)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _checked_method(method: str) -> str:
    if not is_token(method):
        raise DevserveError(f"-X {method!r} is not an HTTP method")
    if method.upper() in FORBIDDEN_METHODS:
        raise DevserveError(f"a page cannot send {method.upper()}: fetch() refuses it")
    return normalize_method(method)


def _checked_headers(
    headers: Sequence[tuple[str, str]],
) -> tuple[list[tuple[str, str]], list[str]]:
    checked, notes = [], []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _RESERVED:
            raise DevserveError(
                f"-H {name!r}: the browser sets this header itself; {_RESERVED[lowered]}"
            )
        if any(char in value for char in "\r\n\0") or not value.isascii():
            raise DevserveError(f"-H {name!r}: the value must be one line of ASCII text")
        if is_forbidden_request_header(name):
            notes.append(
                f"{name} is a header only the browser sets, never the page's script: "
                "sent as given, and it does not count for the preflight"
            )
        checked.append((name, normalize_header_value(value)))
    return checked, notes


def _resolve(url: str, location: str) -> str:
    """The redirect target; an unparsable Location is kept as is for _redirect_problem."""
    try:
        return urljoin(url, location)
    except ValueError:
        return location


def _redirect_problem(target: str, *, page: str, cors: bool) -> str | None:
    # A Location the browser cannot parse, or not http(s), ends the fetch in a network error.
    try:
        serialize_origin(target)
    except DevserveError:
        return (
            f"the response redirects to {target!r}, which is not a valid http(s) URL: "
            "fix its Location header"
        )
    parts = urlsplit(target)
    # https://fetch.spec.whatwg.org/#http-redirect-fetch: in CORS mode, or when the hop leaves
    # the page's origin, a Location with user:password@ is a network error.
    leaves = cors or serialize_origin(target) != page
    if leaves and (parts.username or parts.password):
        return (
            f"the response redirects to {target!r}, a URL with credentials in it: "
            "drop the user:password@ from its Location header"
        )
    return None


def _same_origin(headers: list[tuple[str, str]]) -> Verdict:
    names = dict.fromkeys(name.lower() for name, _ in headers)
    return Verdict(
        allowed=True,
        notes=["same-origin request: CORS does not apply"],
        readable_headers=[name for name in names if name not in UNEXPOSABLE_RESPONSE_HEADERS],
    )


def combined(headers: list[tuple[str, str]]) -> dict[str, str]:
    combined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        combined[key] = f"{combined[key]}, {value}" if key in combined else value
    return combined
