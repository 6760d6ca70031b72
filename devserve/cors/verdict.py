"""The browser's CORS checks (Fetch standard): may the page read this response, and if not, why."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from devserve.cors.engines import (
    ENGINES,
    WILDCARD_COVERS_AUTHORIZATION,
    Engine,
    Evaluator,
    Outcome,
    engine_notes,
    evaluate_all,
)
from devserve.cors.exposure import exposure
from devserve.cors.headerlist import HeaderList, Unparsable, extract, get_all, get_header
from devserve.cors.standard import NON_WILDCARD_REQUEST_HEADERS, SAFELISTED_METHODS

# ENGINES and Engine are re-exported: cli.py (--browser) imports them from here.
__all__ = [
    "ENGINES",
    "Engine",
    "Verdict",
    "check_preflight",
    "check_response",
]


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

    def evaluate(evaluator: Evaluator) -> Outcome:
        reasons = _cors_check(items, origin, credentials, what="preflight response")
        if not 200 <= status <= 299:
            reasons.append(_preflight_status_reason(status))
        reasons += _method_reasons(items, method, credentials)
        reasons += _header_reasons(items, names, credentials, evaluator)
        return Outcome(reasons=reasons)

    return _decide(engine, evaluate)


def check_response(
    *, headers: HeaderList, origin: str, credentials: bool, engine: Engine = "standard"
) -> Verdict:
    """The CORS check of a response (or of a redirect hop), and which headers the page can read."""
    items = list(headers)

    def evaluate(evaluator: Evaluator) -> Outcome:
        reasons = _cors_check(items, origin, credentials, what="response")
        if reasons:
            return Outcome(reasons=reasons)
        readable, notes = exposure(items, credentials)
        return Outcome(reasons=[], notes=notes, readable=readable)

    return _decide(engine, evaluate)


def _decide(engine: Engine, evaluate: Callable[[Evaluator], Outcome]) -> Verdict:
    outcomes = evaluate_all(evaluate)
    chosen = outcomes[engine]
    return Verdict(
        allowed=not chosen.reasons,
        reasons=chosen.reasons,
        engine_notes=engine_notes(engine, outcomes),
        notes=chosen.notes,
        readable_headers=chosen.readable,
    )


def _cors_check(
    headers: list[tuple[str, str]], origin: str, credentials: bool, *, what: str
) -> list[str]:
    """https://fetch.spec.whatwg.org/#cors-check, one plain sentence per failure."""
    values = get_all(headers, "access-control-allow-origin")
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
    methods = extract(headers, "access-control-allow-methods")
    if isinstance(methods, Unparsable):
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
    headers: list[tuple[str, str]], names: list[str], credentials: bool, engine: Evaluator
) -> list[str]:
    allowed = extract(headers, "access-control-allow-headers")
    if isinstance(allowed, Unparsable):
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
