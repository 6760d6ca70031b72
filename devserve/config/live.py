"""Event streams and sockets in the config: a route's ``stream`` of server-sent events, and the
``[[origins.NAME.sockets]]`` WebSocket mocks (README "WebSocket and event-stream mocks")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)
from starlette.routing import compile_path

from devserve.config.cors import OriginUrl
from devserve.config.strict import StrictModel


def starlette_path(path: str, *, example: str) -> str:
    """``path`` if it is an absolute path in Starlette's syntax (a route's, a socket's); else
    ValueError saying what to write, like ``example``."""
    if not path.startswith("/"):
        raise ValueError(f"must start with '/', e.g. '/{path}'")
    try:
        compile_path(path)
    except (AssertionError, ValueError) as exc:
        raise ValueError(f"not a valid Starlette path ({exc}); e.g. '{example}'") from None
    return path


# The largest message a socket may be configured to take (and what a proxied socket takes).
LARGEST_MESSAGE_BYTES = 16 * 1024 * 1024
DEFAULT_MESSAGE_BYTES = 1024 * 1024
# A close reason is at most 123 bytes of UTF-8 (RFC 6455 5.5: a control frame holds 125).
LONGEST_CLOSE_REASON = 123


def _one_line(value: str | None) -> str | None:
    if value is not None and ("\n" in value or "\r" in value or "\x00" in value):
        raise ValueError("must be one line, without CR, LF or NUL (they would end the event)")
    return value


class StreamEvent(StrictModel):
    """One server-sent event of a route's ``stream``."""

    event: StrictStr | None = Field(
        default=None, description="The event type (addEventListener name); absent: message."
    )
    data: Any = Field(
        default="",
        description="Text, or a table/array sent as JSON; a template (one {{ expr }} keeps "
        "its type).",
    )
    id: StrictStr | None = Field(
        default=None, description="The event id: Last-Event-ID resumes after it."
    )
    retry: StrictInt | None = Field(
        default=None, ge=0, description="A retry: field (reconnection time, ms) with the event."
    )
    delay_ms: int = Field(default=0, ge=0, description="Wait this long before the event.")

    _lines = field_validator("event", "id")(_one_line)


def _message_kind(value: Any) -> str:
    return "<messages>" if isinstance(value, list | tuple) else "<message>"


class SocketMessage(StrictModel):
    """A message devserve sends on a socket: ``text``, or ``json`` (sent as JSON text)."""

    text: StrictStr | None = None
    json_body: Any = Field(default=None, alias="json")
    delay_ms: int = Field(default=0, ge=0, description="Wait this long before sending it.")

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_payload(self) -> SocketMessage:
        given = [k for k in ("text", "json_body") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError('give one of text = "..." or json = {...}')
        return self


Replies = Annotated[
    Annotated[SocketMessage, Tag("<message>")]
    | Annotated[list[SocketMessage], Tag("<messages>")],
    Discriminator(_message_kind),
]


class SocketClose(StrictModel):
    """Closing a socket from devserve's side: a close code and a reason."""

    code: int = Field(default=1000, description="1000, or an application code 3000-4999.")
    reason: str = Field(default="", description=f"At most {LONGEST_CLOSE_REASON} bytes.")
    after: int | None = Field(
        default=None, ge=1, description="On a socket: close after this many client messages."
    )

    @field_validator("code")
    @classmethod
    def _sendable(cls, code: int) -> int:
        if 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999:
            return code
        raise ValueError(
            f"{code} is not a close code a server may send; use 1000 (normal), 1001, 1008, "
            "1011, or an application code 3000-4999"
        )

    @field_validator("reason")
    @classmethod
    def _short(cls, reason: str) -> str:
        if len(reason.encode()) > LONGEST_CLOSE_REASON:
            raise ValueError(f"a close reason is at most {LONGEST_CLOSE_REASON} bytes of UTF-8")
        return reason


class SocketMatch(StrictModel):
    """Which client messages a rule answers: text (exact or ``~regex``), JSON fields (subset)."""

    text: StrictStr | None = Field(default=None, description='Exact text, or "~regex".')
    json_body: Any = Field(
        default=None, alias="json", description="A JSON value the message must contain."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @property
    def has_json(self) -> bool:
        return "json_body" in self.model_fields_set


class SocketRule(StrictModel):
    """An answer to client messages: the first rule whose ``match`` holds answers."""

    match: SocketMatch | None = Field(default=None, description="Absent: every message.")
    reply: Replies | None = Field(
        default=None, description="A message (text or json, templates), or a list of them."
    )
    delay_ms: int = Field(default=0, ge=0, description="Wait this long before replying.")
    close: SocketClose | None = Field(
        default=None, description="Close the socket (after the reply) with this code."
    )

    @model_validator(mode="after")
    def _does_something(self) -> SocketRule:
        if self.reply is None and self.close is None:
            raise ValueError("a rule needs a reply, a close, or both")
        if self.close is not None and self.close.after is not None:
            raise ValueError("close.after counts the socket's messages: put it on the socket")
        return self

    @property
    def replies(self) -> list[SocketMessage]:
        if self.reply is None:
            return []
        return list(self.reply) if isinstance(self.reply, list) else [self.reply]


class ConversationFrame(StrictModel):
    """One frame of a recorded conversation: who sent it, what, and when (ms from the start)."""

    sender: Literal["server", "client"] = Field(alias="from")
    text: StrictStr | None = None
    json_body: Any = Field(default=None, alias="json")
    base64: StrictStr | None = Field(default=None, description="A binary frame.")
    close: SocketClose | None = Field(default=None, description="The socket closed here.")
    at_ms: int = Field(default=0, ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_payload(self) -> ConversationFrame:
        given = [k for k in ("text", "json_body", "base64", "close") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("a frame has one of text, json, base64 or close")
        return self


class SocketBehaviour(StrictModel):
    """What a mock socket does once open (a config entry, or a mock-folder ``.WS.mock.json``)."""

    on_connect: list[SocketMessage] = Field(
        default_factory=list, description="Messages sent as soon as a client connects."
    )
    echo: bool = Field(default=False, description="Send back messages no rule answers.")
    rules: list[SocketRule] = Field(default_factory=list)
    close: SocketClose | None = Field(
        default=None, description="Close after `after` client messages with this code."
    )
    conversation: list[ConversationFrame] | None = Field(
        default=None, description="A recorded conversation, played back (recordings)."
    )
    max_message_bytes: int = Field(
        default=DEFAULT_MESSAGE_BYTES,
        ge=1,
        le=LARGEST_MESSAGE_BYTES,
        description="A larger client message closes the socket with 1009.",
    )
    max_connections: int = Field(
        default=100, ge=1, le=10_000, description="Open connections at once; more get 503."
    )
    max_queued: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Messages waiting for one client; a client that falls further behind is "
        "dropped.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SocketBehaviour:
        if self.close is not None and self.close.after is None:
            raise ValueError(
                "close on a socket needs after = N (close after N client messages); to close "
                "on a message, give a rule a close"
            )
        if self.conversation is not None:
            scripted = [k for k in ("on_connect", "echo", "rules") if k in self.model_fields_set]
            if scripted:
                raise ValueError(
                    f"a conversation plays as recorded: remove {', '.join(scripted)}"
                )
        return self


class Socket(SocketBehaviour):
    """One ``[[origins.NAME.sockets]]`` entry: a WebSocket endpoint of the origin."""

    path: str = Field(description="Starlette path syntax, e.g. /ws or /rooms/{room}.")
    allow_origins: list[OriginUrl] | None = Field(
        default=None,
        description='Pages that may connect; absent: local origins only; ["*"]: any site.',
    )

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, path: str) -> str:
        return starlette_path(path, example="/ws")


def check_sockets(sockets: list[Socket]) -> list[Socket]:
    """Two sockets on one path: the second would never answer."""
    seen: dict[str, int] = {}
    for index, socket in enumerate(sockets):
        if socket.path in seen:
            raise ValueError(
                f"[{index}] path {socket.path!r} is already the path of "
                f"sockets[{seen[socket.path]}]"
            )
        seen[socket.path] = index
    return sockets
