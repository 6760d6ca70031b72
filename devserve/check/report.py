"""What `devserve check` found: each request sent, the final verdict and what the page can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from devserve.cors.cookies import CookieVerdict
from devserve.cors.engines import Engine
from devserve.cors.lna import LnaVerdict
from devserve.cors.request import RequestShape
from devserve.cors.verdict import Verdict


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


# fetch()'s request mode: "cors" (the default) or "no-cors" (an opaque response).
Mode = Literal["cors", "no-cors"]


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
    mode: Mode = "cors"
    preflight_only: bool = False  # --preflight-only: the request itself was not sent

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def status(self) -> int | None:
        """The status the page sees, or None when it sees only a network error."""
        return self.steps[-1].status if self.allowed and self.steps else None

    @property
    def engine_notes(self) -> list[str]:
        notes = list(self.shape.engine_notes)
        notes += self.local_network.engine_notes if self.local_network else []
        for step in self.steps:
            notes += step.verdict.engine_notes if step.verdict else []
        return list(dict.fromkeys(notes + self.verdict.engine_notes))

    @property
    def readable_headers(self) -> dict[str, str]:
        if not self.allowed or not self.steps:
            return {}
        headers = combined(self.steps[-1].response_headers)
        return {name: headers[name] for name in self.verdict.readable_headers}


def combined(headers: list[tuple[str, str]]) -> dict[str, str]:
    combined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        combined[key] = f"{combined[key]}, {value}" if key in combined else value
    return combined
