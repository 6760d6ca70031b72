"""Browser engines, their known deviations from the Fetch standard, and where they differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Engine = Literal["standard", "chromium", "firefox"]
ENGINES: tuple[Engine, ...] = ("standard", "chromium", "firefox")
ENGINE_NAMES: dict[Engine, str] = {
    "standard": "the Fetch standard",
    "chromium": "Chromium",
    "firefox": "Firefox",
}


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
PAGE_USER_AGENT_IGNORED = Deviation(
    engines=("chromium",),
    summary="in Chromium, a User-Agent the page sets is ignored (the browser sends its own), "
    "so it needs no preflight; the Fetch standard and Firefox let the page set it and preflight",
    source=f"Chromium 156 and Firefox 153 ESR checked in {_ORACLE} (user-agent-*)",
)
DUPLICATE_HEADERS_COMBINED = Deviation(
    engines=("chromium",),
    summary="in Chromium, a header given twice is checked as one combined value ('a, b'), so "
    "the pair can be too long or no longer a safelisted value; the Fetch standard and Firefox "
    "check each value alone",
    source=f"Chromium 156 and Firefox 153 ESR checked in {_ORACLE} (duplicate-*)",
)
EMPTY_LOCATION_NOT_FOLLOWED = Deviation(
    engines=("chromium",),
    summary="in Chromium, a redirect whose Location is empty is not followed: the page gets "
    "the 3xx itself; the Fetch standard and Firefox follow it to the same URL, in a loop",
    source=f"Chromium 156 and Firefox 153 ESR checked in {_ORACLE} (redirect-empty-location*)",
)
NON_ASCII_NOT_SAFELISTED = Deviation(
    engines=("firefox",),
    summary="in Firefox, a byte above 0x7F (a Latin-1 character such as é) makes an Accept or "
    "Content-Type value not CORS-safelisted, so it is preflighted; the Fetch standard and "
    "Chromium allow those bytes",
    source=f"Firefox 153 ESR and Chromium 156 checked in {_ORACLE} (latin1-*)",
)
SCHEMELESS_COOKIE_SITES = Deviation(
    engines=("firefox",),
    summary="in Firefox, http and https on one host name are one site for cookies (SameSite and "
    "the partitions of Total Cookie Protection); Chromium counts the scheme",
    source="RFC 6265bis 'same-site' (schemeful); Chromium 156 and Firefox 153 ESR checked in "
    "tests/browser/test_sites_oracle.py (up-lax, up-plain, down-lax)",
)
# On the header rules most deviations make an engine allow more than the standard; Firefox's
# non-ASCII rule makes it stricter. The preflight origin after a redirect only changes which
# origin must match.
DEVIATIONS: tuple[Deviation, ...] = (
    WILDCARD_COVERS_AUTHORIZATION,
    CLIENT_HINTS_SAFELISTED,
    PREFLIGHT_ORIGIN_AFTER_REDIRECT,
    PAGE_USER_AGENT_IGNORED,
    DUPLICATE_HEADERS_COMBINED,
    EMPTY_LOCATION_NOT_FOLLOWED,
    NON_ASCII_NOT_SAFELISTED,
)


class Evaluator:
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
class Outcome:
    """One engine's decision: blocked when ``reasons`` is not empty."""

    reasons: list[str]
    notes: list[str] = field(default_factory=list)
    readable: list[str] = field(default_factory=list)
    used: list[Deviation] = field(default_factory=list)


def evaluate_all(evaluate: Callable[[Evaluator], Outcome]) -> dict[Engine, Outcome]:
    """Run ``evaluate`` once per engine, each outcome with the deviations that engine used."""
    outcomes: dict[Engine, Outcome] = {}
    for name in ENGINES:
        evaluator = Evaluator(name)
        outcome = evaluate(evaluator)
        outcome.used = evaluator.used
        outcomes[name] = outcome
    return outcomes


def engine_notes(
    engine: Engine,
    outcomes: dict[Engine, Outcome],
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


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
