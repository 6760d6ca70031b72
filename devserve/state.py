"""One origin's state as everyone shows it: the banner, the control API, `devserve status`, the
dashboard (which reads the control API's JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CorsState:
    """An origin's CORS now (``enabled``, ``mode``) against what its config says."""

    enabled: bool
    mode: str  # "off", "on", "*" or "policy"
    configured: str
    describe: str

    def with_runtime_note(self) -> str:
        """``describe``, plus a note when a runtime switch disagrees with the config."""
        if self.enabled and self.configured == "off":
            return f"{self.describe} (switched on at runtime; configured off)"
        if not self.enabled and self.configured != "off":
            configured = _CONFIGURED.get(self.configured, self.configured)
            return f"{self.describe} (switched off at runtime; configured {configured})"
        return self.describe


# The configured mode in words ("policy" is the model's name for a cors table).
_CONFIGURED = {"policy": "with a cors table"}


@dataclass(frozen=True)
class OriginState:
    """One origin: name, URL, what it serves, and its CORS state."""

    name: str
    url: str
    port: int
    cors: CorsState
    serves: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The control API's shape (``GET /api/origins``), which the dashboard reads."""
        cors = self.cors
        return {
            "name": self.name,
            "url": self.url,
            "port": self.port,
            "cors": {
                "enabled": cors.enabled,
                "mode": cors.mode,
                "configured": cors.configured,
                "describe": cors.describe,
            },
            "serves": list(self.serves),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OriginState:
        cors = data["cors"]
        return cls(
            name=data["name"],
            url=data["url"],
            port=data["port"],
            cors=CorsState(
                enabled=cors["enabled"],
                mode=cors["mode"],
                configured=cors["configured"],
                describe=cors["describe"],
            ),
            serves=tuple(data["serves"]),
        )

    def status_line(self) -> str:
        """`devserve cors NAME`: name, URL, what it serves, CORS state (with runtime notes)."""
        return aligned([self], runtime=True)[0]


# What an aligned line may pad "serves" to: a longer one (a deep static path) is not padded.
_SERVES_WIDTH = 48


def aligned(states: Sequence[OriginState], *, runtime: bool) -> list[str]:
    """One line per origin, in columns (name, URL, what it serves, CORS), for the banner and
    `devserve status`; ``runtime`` adds whether a switch differs from the config."""
    serves = [", ".join(state.serves) for state in states]
    name = max((len(state.name) for state in states), default=0)
    url = max((len(state.url) for state in states), default=0)
    width = min(max((len(text) for text in serves), default=0), _SERVES_WIDTH)
    return [
        f"{state.name:<{name}}  {state.url:<{url}}  {text:<{width}}  | CORS "
        + (state.cors.with_runtime_note() if runtime else state.cors.describe)
        for state, text in zip(states, serves, strict=True)
    ]
