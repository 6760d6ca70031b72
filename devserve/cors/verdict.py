"""The browser side of CORS (Fetch standard): may the page read this response, and if not, why."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from devserve.cors.standard import (
    NON_WILDCARD_REQUEST_HEADERS,
    NORMALIZED_METHODS,
    SAFELISTED_METHODS,
    SAFELISTED_RESPONSE_HEADERS,
    SAFELISTED_TOTAL_MAX_BYTES,
    SAFELISTED_VALUE_MAX_BYTES,
    UNEXPOSABLE_RESPONSE_HEADERS,
    is_forbidden_request_header,
    is_token,
    normalize_header_value,
    safelisted_header_problem,
    split_list,
)

Engine = Literal["standard", "chromium", "firefox"]
ENGINES: tuple[Engine, ...] = ("standard", "chromium", "firefox")
ENGINE_NAMES: dict[Engine, str] = {
    "standard": "the Fetch standard",
    "chromium": "Chromium",
    "firefox": "Firefox",
}
HeaderList = Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Deviation:
    """A known place where engines depart from the Fetch standard, measured in those engines."""

    engines: tuple[Engine, ...]
    summary: str
    source: str

    def applies(self, engine: Engine) -> bool:
        return engine in self.engines


_ORACLE = "tests/browser/test_oracle.py"
WILDCARD_COVERS_AUTHORIZATION = Deviation(
    engines=("chromium", "firefox"),
    summary="in Chromium and Firefox, Access-Control-Allow-Headers: * also covers Authorization "
    "(without credentials), against the Fetch standard (whatwg/fetch #1919)",
    source="Fetch standard, 'CORS non-wildcard request-header name'; Chromium 156 and Firefox "
    f"153 ESR checked in {_ORACLE}",
)
CLIENT_HINTS_SAFELISTED = Deviation(
    engines=("chromium",),
    summary="in Chromium, well-formed client-hint headers (DPR, Device-Memory, Downlink, "
    "Width, Viewport-Width, RTT, ECT, Save-Data: on) need no preflight",
    source="Chromium's IsCorsSafelistedHeader (services/network/public/cpp/cors/cors.cc); "
    f"Chromium 156 and Firefox 153 ESR (which preflights them) checked in {_ORACLE}",
)
PREFLIGHT_ORIGIN_AFTER_REDIRECT = Deviation(
    engines=("firefox",),
    summary="in Firefox, a preflight after a redirect between two other origins is sent and "
    "checked with the page's origin, not 'null' (the request itself then goes out as 'null')",
    source="Fetch standard, 'HTTP-redirect fetch' (tainted origin) and 'CORS-preflight fetch'; "
    f"Firefox 153 ESR and Chromium 156 checked in {_ORACLE} (redirect-307-*)",
)
# The standard is the strictest on the header rules: those deviations make an engine allow
# more, never less. The preflight origin after a redirect only changes which origin must match.
DEVIATIONS: tuple[Deviation, ...] = (
    WILDCARD_COVERS_AUTHORIZATION,
    CLIENT_HINTS_SAFELISTED,
    PREFLIGHT_ORIGIN_AFTER_REDIRECT,
)

_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_INTEGER = re.compile(r"[0-9]+")
_CLIENT_HINTS: dict[str, Callable[[str], bool]] = {
    "device-memory": lambda value: _DECIMAL.fullmatch(value) is not None,
    "dpr": lambda value: _DECIMAL.fullmatch(value) is not None,
    "downlink": lambda value: _DECIMAL.fullmatch(value) is not None,
    "width": lambda value: _INTEGER.fullmatch(value) is not None,
    "viewport-width": lambda value: _INTEGER.fullmatch(value) is not None,
    "rtt": lambda value: _INTEGER.fullmatch(value) is not None,
    "ect": lambda value: value in ("slow-2g", "2g", "3g", "4g"),
    "save-data": lambda value: value.lower() == "on",
}
# Headers that say nothing a page would want to read; left out of "the page cannot read ...".
_UNINTERESTING_RESPONSE_HEADERS = frozenset(
    {"date", "server", "connection", "keep-alive", "transfer-encoding", "vary", "x-devserve-cors"}
)


@dataclass(frozen=True)
class Verdict:
    """What a browser decides: ``reasons`` say why it blocks, each naming the header and the fix.

    ``engine_notes`` name any engine that would decide otherwise; ``credentials_note`` says how
    the other credentials mode would end (server side only: a server cannot see the mode);
    ``notes`` are remarks that change nothing (response headers the page cannot read).
    ``readable_headers`` are the response header names (lowercased) the page's script can read.
    """

    allowed: bool
    reasons: list[str] = field(default_factory=list)
    engine_notes: list[str] = field(default_factory=list)
    credentials_note: str | None = None
    notes: list[str] = field(default_factory=list)
    readable_headers: list[str] = field(default_factory=list)

    @property
    def caveat(self) -> str | None:
        """What could make this outcome differ (credentials mode, engine), as one sentence."""
        caveats = [self.credentials_note] if self.credentials_note else []
        return "; ".join(caveats + self.engine_notes) or None


@dataclass(frozen=True)
class RequestShape:
    """How a browser sends a request: as is (a simple request) or after a preflight, and why."""

    method: str  # as fetch() sends it
    preflight_reasons: list[str]
    unsafe_header_names: list[str]  # sorted, lowercased: Access-Control-Request-Headers
    engine_notes: list[str]

    @property
    def needs_preflight(self) -> bool:
        return bool(self.preflight_reasons)


class _Engine:
    """One engine's evaluation; remembers which deviations changed a decision."""

    def __init__(self, name: Engine) -> None:
        self.name = name
        self.used: list[Deviation] = []

    def deviates(self, deviation: Deviation) -> bool:
        if not deviation.applies(self.name):
            return False
        if deviation not in self.used:
            self.used.append(deviation)
        return True


@dataclass
class _Outcome:
    reasons: list[str]
    notes: list[str] = field(default_factory=list)
    readable: list[str] = field(default_factory=list)
    used: list[Deviation] = field(default_factory=list)


def normalize_method(method: str) -> str:
    """The method fetch() sends: DELETE, GET, HEAD, OPTIONS, POST, PUT upper-cased, others as is."""
    return method.upper() if method.upper() in NORMALIZED_METHODS else method


def classify_request(
    method: str, headers: HeaderList, *, engine: Engine = "standard"
) -> RequestShape:
    """Decide whether the browser sends ``method`` with ``headers`` as is or preflights it.

    Headers a page cannot set (Cookie, Origin, ...) are ignored: the browser adds or drops them.
    """
    items = [(name, normalize_header_value(value)) for name, value in headers]
    results: dict[Engine, tuple[list[str], list[str]]] = {}
    outcomes: dict[Engine, _Outcome] = {}
    for name in ENGINES:
        evaluator = _Engine(name)
        reasons, unsafe = _classify(normalize_method(method), items, evaluator)
        results[name] = (reasons, unsafe)
        outcomes[name] = _Outcome(reasons=reasons, used=evaluator.used)
    reasons, unsafe = results[engine]
    notes = _engine_notes(
        engine, outcomes, allow="would send this without a preflight", block="would preflight this"
    )
    return RequestShape(normalize_method(method), reasons, unsafe, notes)


def unsafe_header_names(headers: HeaderList, *, engine: Engine = "standard") -> list[str]:
    """The sorted, lowercased names a preflight lists in Access-Control-Request-Headers."""
    return classify_request("GET", headers, engine=engine).unsafe_header_names


def _classify(
    method: str, headers: list[tuple[str, str]], engine: _Engine
) -> tuple[list[str], list[str]]:
    reasons: list[str] = []
    if method not in SAFELISTED_METHODS:
        reason = f"method {method!r} is not GET, HEAD or POST"
        if method != method.upper():
            reason += (
                " (fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT, "
                f"so {method!r} is sent as written)"
            )
        reasons.append(reason)
    unsafe: list[str] = []
    safe: list[str] = []
    total = 0
    for name, value in headers:
        if is_forbidden_request_header(name):
            continue
        problem = safelisted_header_problem(name, value)
        hint = _CLIENT_HINTS.get(name.lower())
        if (
            problem is not None
            and hint is not None
            and len(value) <= SAFELISTED_VALUE_MAX_BYTES
            and hint(value)
            and engine.deviates(CLIENT_HINTS_SAFELISTED)
        ):
            problem = None
        if problem is None:
            safe.append(name)
            total += len(value.encode("latin-1", errors="replace"))
        else:
            unsafe.append(name)
            reasons.append(problem)
    if total > SAFELISTED_TOTAL_MAX_BYTES:
        unsafe.extend(safe)
        reasons.append(
            f"the CORS-safelisted header values total {total} bytes, over the "
            f"{SAFELISTED_TOTAL_MAX_BYTES}-byte limit"
        )
    return reasons, sorted({name.lower() for name in unsafe})


def check_preflight(
    *,
    status: int,
    headers: HeaderList,
    origin: str,
    method: str,
    request_header_names: Iterable[str],
    credentials: bool,
    engine: Engine = "standard",
) -> Verdict:
    """Does this preflight response let the browser send ``method`` with those header names?

    ``origin`` is the Origin the preflight carried (``"null"`` after a cross-origin redirect).
    """
    items = list(headers)
    names = sorted({name.strip().lower() for name in request_header_names if name.strip()})

    def evaluate(evaluator: _Engine) -> _Outcome:
        reasons = _cors_check(items, origin, credentials, what="preflight response")
        if not 200 <= status <= 299:
            reasons.append(_preflight_status_reason(status))
        reasons += _method_reasons(items, method, credentials)
        reasons += _header_reasons(items, names, credentials, evaluator)
        return _Outcome(reasons=reasons)

    return _decide(engine, evaluate)


def check_response(
    *, headers: HeaderList, origin: str, credentials: bool, engine: Engine = "standard"
) -> Verdict:
    """The CORS check of a response (or of a redirect hop), and which headers the page can read."""
    items = list(headers)

    def evaluate(evaluator: _Engine) -> _Outcome:
        reasons = _cors_check(items, origin, credentials, what="response")
        if reasons:
            return _Outcome(reasons=reasons)
        readable, notes = _exposure(items, credentials)
        return _Outcome(reasons=[], notes=notes, readable=readable)

    return _decide(engine, evaluate)


def _decide(engine: Engine, evaluate: Callable[[_Engine], _Outcome]) -> Verdict:
    outcomes: dict[Engine, _Outcome] = {}
    for name in ENGINES:
        evaluator = _Engine(name)
        outcome = evaluate(evaluator)
        outcome.used = evaluator.used
        outcomes[name] = outcome
    chosen = outcomes[engine]
    return Verdict(
        allowed=not chosen.reasons,
        reasons=chosen.reasons,
        engine_notes=_engine_notes(engine, outcomes),
        notes=chosen.notes,
        readable_headers=chosen.readable,
    )


def _engine_notes(
    engine: Engine,
    outcomes: dict[Engine, _Outcome],
    *,
    allow: str = "would allow this",
    block: str = "would block this",
) -> list[str]:
    """Name the engines whose decision differs from ``engine``'s, and why."""
    mine = not outcomes[engine].reasons
    differ = [name for name in ENGINES if name != engine and (not outcomes[name].reasons) != mine]
    if not differ:
        return []
    who = " and ".join(ENGINE_NAMES[name] for name in differ)
    who = who[0].upper() + who[1:]
    if mine:  # the others are stricter: they lack a deviation this engine has
        used = unique([d.summary for d in outcomes[engine].used])
        first = outcomes[differ[0]].reasons[0]
        return [f"{who} {block}: {first}" + (f" ({'; '.join(used)})" if used else "")]
    used = unique([d.summary for name in differ for d in outcomes[name].used])
    return [f"{who} {allow}: {'; '.join(used)}"]


def _get_all(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [normalize_header_value(v) for key, v in headers if key.lower() == name]


def get_header(headers: list[tuple[str, str]], name: str) -> str | None:
    """A header's value, several values combined with ", " as the Fetch standard's "get" does."""
    values = _get_all(headers, name)
    return ", ".join(values) if values else None


class _Unparsable(str):
    """The raw value of a list header that is not a comma-separated list of tokens."""


def _extract(headers: list[tuple[str, str]], name: str) -> list[str] | _Unparsable | None:
    """https://fetch.spec.whatwg.org/#extract-header-list-values for a ``#token`` header."""
    value = get_header(headers, name)
    if value is None:
        return None
    items = split_list(value)
    if not all(is_token(item) for item in items):
        return _Unparsable(value)
    return items


def _cors_check(
    headers: list[tuple[str, str]], origin: str, credentials: bool, *, what: str
) -> list[str]:
    """https://fetch.spec.whatwg.org/#cors-check, one plain sentence per failure."""
    values = _get_all(headers, "access-control-allow-origin")
    if not values:
        fix = (
            "and Access-Control-Allow-Credentials: true"
            if credentials
            else "(or *, without credentials)"
        )
        return [
            f"the {what} has no Access-Control-Allow-Origin header: "
            f"send Access-Control-Allow-Origin: {origin} {fix}"
        ]
    value = ", ".join(values)
    if len(values) > 1 or "," in value:
        return [
            f"Access-Control-Allow-Origin has several values ({value!r}); browsers accept "
            f"exactly one: send only {origin!r}"
        ]
    if value == "*":
        if not credentials:
            return []
        return [
            f"Access-Control-Allow-Origin is '*' but the request sends credentials: echo the "
            f"origin {origin!r} and send Access-Control-Allow-Credentials: true"
        ]
    if value != origin:
        return [
            f"Access-Control-Allow-Origin {value!r} does not match the origin {origin!r}"
            f"{_origin_hint(value, origin)}: send exactly {origin!r}"
        ]
    if not credentials:
        return []
    allow_credentials = get_header(headers, "access-control-allow-credentials")
    if allow_credentials == "true":
        return []
    if allow_credentials is None:
        return [
            f"the request sends credentials but the {what} has no "
            "Access-Control-Allow-Credentials: send Access-Control-Allow-Credentials: true"
        ]
    return [
        f"Access-Control-Allow-Credentials is {allow_credentials!r}; with credentials it must "
        "be exactly 'true' (lower case, one value): send Access-Control-Allow-Credentials: true"
    ]


def _origin_hint(got: str, origin: str) -> str:
    if origin == "null":
        return (
            " (the request's origin is 'null': a sandboxed page, a file: URL or a request "
            "redirected across origins; only '*' without credentials, or 'null', passes)"
        )
    if got.rstrip("/") == origin:
        return " (drop the trailing slash: an origin has no path)"
    if got.lower() == origin.lower():
        return " (origins are compared byte for byte: mind the case)"
    if re.sub(r"^(http://[^/]+):80$|^(https://[^/]+):443$", r"\1\2", got) == origin:
        return " (browsers leave the default port out of the origin)"
    if got.split("://")[-1] == origin.split("://")[-1]:
        return " (the scheme differs: http and https are different origins)"
    return ""


def _preflight_status_reason(status: int) -> str:
    if 300 <= status <= 399:
        return (
            f"the preflight was answered {status}, a redirect: browsers never follow a "
            "preflight's redirect; answer the OPTIONS request itself with 200 or 204"
        )
    return (
        f"the preflight was answered {status}: a preflight needs a 2xx status; "
        "answer OPTIONS with 200 or 204"
    )


def _method_reasons(headers: list[tuple[str, str]], method: str, credentials: bool) -> list[str]:
    methods = _extract(headers, "access-control-allow-methods")
    if isinstance(methods, _Unparsable):
        return [
            f"Access-Control-Allow-Methods {str(methods)!r} is not a comma-separated list of "
            "method names: browsers reject the whole preflight; send e.g. "
            "Access-Control-Allow-Methods: GET, PUT"
        ]
    listed = methods or []
    if method in listed or method in SAFELISTED_METHODS:
        return []
    if "*" in listed and not credentials:
        return []
    if "*" in listed:
        return [
            "Access-Control-Allow-Methods is '*', which does not count for a request with "
            f"credentials: list {method!r} explicitly"
        ]
    if methods is None:
        return [
            f"method {method!r} is not allowed: the preflight response has no "
            f"Access-Control-Allow-Methods; send Access-Control-Allow-Methods: {method}"
        ]
    got = get_header(headers, "access-control-allow-methods")
    reason = f"method {method!r} is not in Access-Control-Allow-Methods (got {got!r})"
    if any(item.upper() == method.upper() for item in listed):
        reason += f": methods match case-sensitively, list {method!r} exactly"
        if method != method.upper():
            reason += f" (or have the page send {method.upper()!r})"
        return [reason]
    return [reason + ": add it"]


def _header_reasons(
    headers: list[tuple[str, str]], names: list[str], credentials: bool, engine: _Engine
) -> list[str]:
    allowed = _extract(headers, "access-control-allow-headers")
    if isinstance(allowed, _Unparsable):
        return [
            f"Access-Control-Allow-Headers {str(allowed)!r} is not a comma-separated list of "
            "header names: browsers reject the whole preflight; send e.g. "
            "Access-Control-Allow-Headers: Content-Type, X-Token"
        ]
    listed = {item.lower() for item in allowed or []}
    got = get_header(headers, "access-control-allow-headers")
    reasons = []
    for name in names:
        if name in listed:
            continue
        if "*" in listed and not credentials:
            if name not in NON_WILDCARD_REQUEST_HEADERS:
                continue
            if engine.deviates(WILDCARD_COVERS_AUTHORIZATION):
                continue
            reasons.append(
                f"header {name!r} is not covered by Access-Control-Allow-Headers: * in the "
                "Fetch standard (allowed today in Chromium and Firefox, against the standard; "
                f"deprecated): list {name!r} explicitly"
            )
        elif "*" in listed:
            reasons.append(
                "Access-Control-Allow-Headers is '*', which does not count for a request with "
                f"credentials: list {name!r} explicitly"
            )
        elif allowed is None:
            reasons.append(
                f"header {name!r} is not allowed: the preflight response has no "
                f"Access-Control-Allow-Headers; send Access-Control-Allow-Headers: {name}"
            )
        else:
            reasons.append(
                f"header {name!r} is not in Access-Control-Allow-Headers (got {got!r}): add it"
            )
    return reasons


def _exposure(headers: list[tuple[str, str]], credentials: bool) -> tuple[list[str], list[str]]:
    """The response header names the page can read, and notes on the ones it cannot."""
    present = unique([name.lower() for name, _ in headers])
    exposed = _extract(headers, "access-control-expose-headers")
    notes = []
    if isinstance(exposed, _Unparsable):
        notes.append(
            f"Access-Control-Expose-Headers {str(exposed)!r} is not a comma-separated list of "
            "header names, so it exposes nothing"
        )
        exposed = None
    listed = {item.lower() for item in exposed or []}
    everything = "*" in listed and not credentials
    if "*" in listed and credentials:
        notes.append(
            "Access-Control-Expose-Headers: * does not count for a request with credentials: "
            "list the headers by name"
        )
    readable = [
        name
        for name in present
        if name not in UNEXPOSABLE_RESPONSE_HEADERS
        and (name in SAFELISTED_RESPONSE_HEADERS or everything or name in listed)
    ]
    hidden = [
        name
        for name in present
        if name not in readable
        and name not in UNEXPOSABLE_RESPONSE_HEADERS
        and name not in _UNINTERESTING_RESPONSE_HEADERS
        and not name.startswith("access-control-")
    ]
    if hidden:
        notes.append(
            f"the page cannot read the response header(s) {', '.join(hidden)}: list them in "
            "Access-Control-Expose-Headers if it needs them"
        )
    return readable, notes


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
