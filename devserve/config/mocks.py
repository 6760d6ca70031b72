"""Mock routes and behaviours: match conditions, responses, sequences and faults."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)

from devserve.config.live import SocketBehaviour, StreamEvent, starlette_path
from devserve.config.strict import ConfigPath, MethodName, StrictModel
from devserve.cors.standard import is_token


def _methods_kind(value: Any) -> str:
    return "<methods>" if isinstance(value, list | tuple) else "<method>"


# One method or a list: tagged, so an error names the method, not both shapes of the union.
Methods = Annotated[
    Annotated[MethodName, Tag("<method>")] | Annotated[list[MethodName], Tag("<methods>")],
    Discriminator(_methods_kind),
]


def _header_kind(value: Any) -> str:
    return "<values>" if isinstance(value, list | tuple) else "<value>"


# One value, or a list sent as one header line each (Set-Cookie); tagged, so an error names
# the value, not both shapes of the union.
HeaderValue = Annotated[
    Annotated[str, Tag("<value>")] | Annotated[list[str], Tag("<values>")],
    Discriminator(_header_kind),
]

FaultName = Literal["reset", "close", "hang"]


def _match_value(value: object) -> object:
    if not isinstance(value, str | bool):
        raise ValueError(
            f'expected text ("2", "~regex") or true/false for present/absent (got {value!r}); '
            'write numbers in quotes: page = "2"'
        )
    return value


MatchValue = Annotated[StrictStr | StrictBool, BeforeValidator(_match_value)]


class Match(StrictModel):
    """Conditions on the request; a route answers only when every one given holds."""

    query: dict[str, MatchValue] = Field(
        default_factory=dict, description='Exact value, "~regex" (full match), true/false.'
    )
    headers: dict[str, MatchValue] = Field(default_factory=dict)
    cookies: dict[str, MatchValue] = Field(default_factory=dict)
    form: dict[str, MatchValue] = Field(default_factory=dict)
    json_body: Any = Field(
        default=None, alias="json", description="A JSON value the request body must contain."
    )
    body: Any = Field(
        default=None,
        description="The whole body: a JSON value compared exactly, text, or sha256:HEX.",
    )
    exact_query: bool = Field(
        default=False, description="No query parameter besides those in query (recordings)."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @property
    def has_json(self) -> bool:
        """Whether ``json`` was given (TOML has no null, so None means "not given")."""
        return "json_body" in self.model_fields_set

    @property
    def has_body(self) -> bool:
        return "body" in self.model_fields_set


class MockResponse(StrictModel):
    """What a mock answers: status, headers and one body, or a fault; with latency."""

    status: StrictInt | str = Field(
        default=200, description='A status (201), or a template ("{{ 201 if json.id else 422 }}").'
    )
    headers: dict[str, HeaderValue] = Field(
        default_factory=dict, description="A list sends the header once per value (Set-Cookie)."
    )
    json_body: Any = Field(default=None, alias="json")
    body: str | None = None
    file: ConfigPath | None = None
    fault: FaultName | None = Field(
        default=None, description="reset (TCP reset), close (no response) or hang (never answer)."
    )
    delay_ms: int = Field(default=0, ge=0)
    jitter_ms: int = Field(default=0, ge=0, description="Up to this much extra random latency.")

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @field_validator("status", mode="before")
    @classmethod
    def _status_or_template(cls, status: object) -> object:
        if isinstance(status, bool) or not isinstance(status, int | str):
            shown = str(status).lower() if isinstance(status, bool) else repr(status)
            raise ValueError(f"expected a status number or a template, not {shown}")
        if isinstance(status, int) and not 100 <= status <= 599:
            raise ValueError(f"a status is between 100 and 599 (got {status})")
        if isinstance(status, str) and "{{" not in status:
            fix = (
                f"write {status.strip()} without quotes"
                if status.strip().isdigit()
                else 'write a number (201) or a template such as "{{ 201 if json.id else 422 }}"'
            )
            raise ValueError(f'expected a status number or a template, not "{status}"; {fix}')
        return status

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for name in headers:
            if not is_token(name):
                raise ValueError(f"{name!r} is not a valid header name")
        return headers

    @model_validator(mode="after")
    def _one_body(self) -> MockResponse:
        given = [name for name, value in self._bodies() if value is not None]
        if len(given) > 1:
            raise ValueError(f"give only one of json, body or file (found {', '.join(given)})")
        if given and self.fault is not None:
            raise ValueError(
                f"fault = {self.fault!r} sends no response, so {given[0]} is never sent; "
                "remove one of them"
            )
        return self

    def _bodies(self) -> list[tuple[str, object]]:
        return [("json", self.json_body), ("body", self.body), ("file", self.file)]


# Keys that describe one response: with ``responses``, they go on each item instead.
RESPONSE_KEYS = ("status", "json_body", "body", "file", "fault")
# Keys that only mean something with ``stream``.
STREAM_KEYS = ("stream_repeat", "stream_cut_after", "retry_ms")


class Behaviour(MockResponse):
    """A response, or a sequence of them, and the conditions for answering at all.

    A route is a Behaviour plus its method and path; a mock folder's ``.mock.json`` file is
    a Behaviour whose method and path come from its file name.
    """

    match: Match | None = Field(
        default=None, description="Answer only requests that also match these conditions."
    )
    responses: list[MockResponse] | None = Field(
        default=None, min_length=1, description="A sequence of responses, one per request."
    )
    order: Literal["cycle", "random", "once-then-last"] = Field(
        default="cycle", description="How the responses follow each other."
    )
    stream: list[StreamEvent] | None = Field(
        default=None,
        min_length=1,
        description="An event stream (text/event-stream): these server-sent events, in order.",
    )
    stream_repeat: bool = Field(
        default=False, description="Loop the stream's events (their numeric ids continue)."
    )
    stream_cut_after: int = Field(
        default=0, ge=0, description="Drop the connection after this many events (0: never)."
    )
    retry_ms: int | None = Field(
        default=None, ge=0, description="Sent first as retry: (the reconnection time)."
    )

    @model_validator(mode="after")
    def _responses_or_one(self) -> Behaviour:
        if self.responses is not None:
            both = [k for k in RESPONSE_KEYS if k in self.model_fields_set]
            if both:
                key = "json" if both[0] == "json_body" else both[0]
                raise ValueError(
                    f"with responses = [...], put {key} on each response, not on the route "
                    "(the route's headers, delay_ms and jitter_ms apply to all of them)"
                )
        return self

    @model_validator(mode="after")
    def _stream_alone(self) -> Behaviour:
        extras = [k for k in STREAM_KEYS if k in self.model_fields_set]
        if self.stream is None:
            if extras:
                raise ValueError(f"{extras[0]} applies to a stream: add stream = [...]")
            return self
        body_keys = (*RESPONSE_KEYS[1:], "responses")  # status and headers go with the stream
        given = [k for k in body_keys if k in self.model_fields_set]
        if given:
            key = "json" if given[0] == "json_body" else given[0]
            raise ValueError(f"stream = [...] is the body: remove {key}")
        if self.stream_repeat and not any(event.delay_ms for event in self.stream):
            raise ValueError(
                "stream_repeat = true needs a delay_ms on at least one event (else the loop "
                "would flood the page)"
            )
        return self


class Route(Behaviour):
    """One declared mock route: which requests it answers, and its response(s)."""

    method: Methods = Field(default="GET", description='"GET", a list, or "*" for any.')
    path: str = Field(description="Starlette path syntax, e.g. /users/{id:int}.")

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, path: str) -> str:
        return starlette_path(path, example="/users/{id:int}")

    @property
    def methods(self) -> list[str] | None:
        """The methods this route answers; None means any."""
        methods = [self.method] if isinstance(self.method, str) else self.method
        return None if "*" in methods else methods


class SocketFile(SocketBehaviour):
    """A mock folder's ``NAME.WS.mock.json``: a socket's keys (the file name gives its path),
    and which handshakes it answers (``match``: query, headers, cookies). Recorded
    conversations are written in this form."""

    match: Match | None = Field(
        default=None, description="Answer only handshakes that also match these conditions."
    )
