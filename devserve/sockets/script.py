"""A mock socket's script, compiled: the messages sent on connect, the rules that answer a client
message (text exact or ``~regex``, JSON fields as a subset, like a route's ``match``), replies as
typed templates, echo, and the close after N messages. Compiled once, when the config loads:
a template or regex error is a config error naming its key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from devserve.config.live import ConversationFrame, SocketBehaviour, SocketClose, SocketMessage
from devserve.config.mocks import Match
from devserve.mocks.limits import Limits
from devserve.mocks.matching import Matcher, Pattern, compile_match, compile_pattern
from devserve.mocks.templates import RenderError, as_text
from devserve.mocks.values import Value


@dataclass(frozen=True)
class Outgoing:
    """A message devserve sends: its value (a template) and how it goes on the wire."""

    value: Value
    as_json: bool  # written as json = ...: sent as JSON text
    delay_ms: int

    async def text(self, data: dict[str, Any]) -> str:
        """The message for this moment; RenderError says where and why it could not be made."""
        value = await self.value.render(data)
        try:
            if self.as_json:
                return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            return as_text(value)
        except (ValueError, TypeError) as exc:  # NaN in a file, a number too long to print
            raise RenderError(f"{self.value.where}: the value cannot be sent ({exc})") from None


@dataclass(frozen=True)
class Rule:
    """One rule: what it matches, what it answers, whether it closes."""

    label: str  # its key path, for the log
    text: Pattern | None
    json: Matcher | None
    replies: tuple[Outgoing, ...]
    delay_ms: int
    close: SocketClose | None

    @property
    def has_regex(self) -> bool:
        regex_text = self.text is not None and self.text.compiled is not None
        return regex_text or (self.json is not None and self.json.has_regex)

    def holds(self, text: str | None, parsed: Any) -> bool:
        """Whether a client message (its text; ``parsed``: its JSON, or None) matches."""
        if self.text is not None and (text is None or self.text.failure("text", text)):
            return False
        return self.json is None or (text is not None and not self.json.failure({"json": parsed}))


@dataclass(frozen=True)
class Script:
    """What a mock socket does once open."""

    on_connect: tuple[Outgoing, ...]
    rules: tuple[Rule, ...]
    echo: bool
    close_after: SocketClose | None
    conversation: tuple[ConversationFrame, ...] | None
    max_message_bytes: int
    max_connections: int
    max_queued: int

    @property
    def has_regex(self) -> bool:
        return any(rule.has_regex for rule in self.rules)

    @property
    def needs(self) -> frozenset[str]:
        """The request and message data its templates use."""
        outgoing = [*self.on_connect, *(reply for rule in self.rules for reply in rule.replies)]
        return frozenset().union(*(message.value.needs for message in outgoing))

    def rule_for(self, text: str | None) -> Rule | None:
        """The first rule a client message matches (None for a binary message: ``text`` None)."""
        parsed = _parsed(text) if text is not None and self._wants_json else None
        return next((rule for rule in self.rules if rule.holds(text, parsed)), None)

    @property
    def _wants_json(self) -> bool:
        return any(rule.json is not None for rule in self.rules)


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def compile_script(
    behaviour: SocketBehaviour,
    *,
    where: str,
    limits: Limits,
    problems: list[str],
    literal: bool = False,
) -> Script:
    """Compile templates and regexes; problems go to ``problems`` with their key path.
    ``literal``: nothing is a template (mock-folder files, recordings)."""

    def outgoing(message: SocketMessage, key: str) -> Outgoing:
        as_json = "json_body" in message.model_fields_set
        value = message.json_body if as_json else message.text
        compiled = Value.compile(
            value,
            where=f"{key}.{'json' if as_json else 'text'}",
            limits=limits,
            problems=problems,
            literal=literal,
        )
        return Outgoing(compiled, as_json, message.delay_ms)

    rules = []
    for index, rule in enumerate(behaviour.rules):
        key = f"{where}.rules[{index}]"
        text = json_match = None
        if rule.match is not None and rule.match.text is not None:
            text = compile_pattern(rule.match.text, where=f"{key}.match.text", problems=problems)
        if rule.match is not None and rule.match.has_json:
            match = Match.model_validate({"json": rule.match.json_body})
            json_match = compile_match(match, where=f"{key}.match", problems=problems)
        many = isinstance(rule.reply, list)
        replies = tuple(
            outgoing(reply, f"{key}.reply{f'[{i}]' if many else ''}")
            for i, reply in enumerate(rule.replies)
        )
        rules.append(Rule(key, text, json_match, replies, rule.delay_ms, rule.close))
    return Script(
        on_connect=tuple(
            outgoing(message, f"{where}.on_connect[{i}]")
            for i, message in enumerate(behaviour.on_connect)
        ),
        rules=tuple(rules),
        echo=behaviour.echo,
        close_after=behaviour.close,
        conversation=None if behaviour.conversation is None else tuple(behaviour.conversation),
        max_message_bytes=behaviour.max_message_bytes,
        max_connections=behaviour.max_connections,
        max_queued=behaviour.max_queued,
    )
