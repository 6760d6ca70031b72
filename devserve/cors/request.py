"""How a browser sends a request: as a simple request, or after a preflight, and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from devserve.cors.engines import (
    CLIENT_HINTS_SAFELISTED,
    DUPLICATE_HEADERS_COMBINED,
    NON_ASCII_NOT_SAFELISTED,
    PAGE_USER_AGENT_IGNORED,
    Engine,
    Evaluator,
    Outcome,
    engine_notes,
    evaluate_all,
)
from devserve.cors.headerlist import HeaderList
from devserve.cors.standard import (
    NORMALIZED_METHODS,
    SAFELISTED_METHODS,
    SAFELISTED_TOTAL_MAX_BYTES,
    SAFELISTED_VALUE_MAX_BYTES,
    is_forbidden_request_header,
    normalize_header_value,
    safelisted_header_problem,
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
    unsafe: dict[Engine, list[str]] = {}

    def evaluate(evaluator: Evaluator) -> Outcome:
        reasons, unsafe[evaluator.name] = _classify(normalize_method(method), items, evaluator)
        return Outcome(reasons=reasons)

    outcomes = evaluate_all(evaluate)
    notes = engine_notes(
        engine, outcomes, allow="would send this without a preflight", block="would preflight this"
    )
    return RequestShape(normalize_method(method), outcomes[engine].reasons, unsafe[engine], notes)


def unsafe_header_names(headers: HeaderList, *, engine: Engine = "standard") -> list[str]:
    """The sorted, lowercased names a preflight lists in Access-Control-Request-Headers."""
    return classify_request("GET", headers, engine=engine).unsafe_header_names


def _classify(
    method: str, headers: list[tuple[str, str]], engine: Evaluator
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
    for name, value in _as_checked(headers, engine):
        if is_forbidden_request_header(name, value):
            continue
        if name.lower() == "user-agent" and engine.deviates(PAGE_USER_AGENT_IGNORED):
            continue
        problem = safelisted_header_problem(name, value) or _non_ascii_problem(name, value, engine)
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


def _as_checked(headers: list[tuple[str, str]], engine: Evaluator) -> list[tuple[str, str]]:
    """The headers as the engine checks them: Chromium joins a repeated name into one value."""
    names = [name.lower() for name, _ in headers]
    if len(set(names)) == len(names) or not engine.deviates(DUPLICATE_HEADERS_COMBINED):
        return headers
    combined: dict[str, tuple[str, list[str]]] = {}
    for name, value in headers:
        combined.setdefault(name.lower(), (name, []))[1].append(value)
    return [(name, ", ".join(values)) for name, values in combined.values()]


def _non_ascii_problem(name: str, value: str, engine: Evaluator) -> str | None:
    lowered = name.lower()
    if lowered not in ("accept", "content-type") or value.isascii():
        return None
    if not engine.deviates(NON_ASCII_NOT_SAFELISTED):
        return None
    return f"header {lowered!r} has a non-ASCII character, which Firefox does not safelist"
