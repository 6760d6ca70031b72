"""Turn pydantic validation errors into one line per problem: key path, what is wrong, the fix."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from devserve.config.cors import CorsTable
from devserve.config.live import (
    ConversationFrame,
    Socket,
    SocketClose,
    SocketMatch,
    SocketMessage,
    SocketRule,
    StreamEvent,
)
from devserve.config.mocks import Match, MockResponse, Route
from devserve.config.model import Origin, Settings
from devserve.config.proxy import RecordMatch, Redact

# Keys of features that have not landed yet (README, "Config reference"): reject them loudly
# rather than ignore them.
UNSUPPORTED_SETTINGS_KEYS: dict[str, str] = {}
UNSUPPORTED_ORIGIN_KEYS: dict[str, str] = {}
UNSUPPORTED_ROUTE_KEYS: dict[str, str] = {}


def _keys(model: type[BaseModel], *extra: str) -> list[str]:
    """The keys a user may write in a table: the model's fields, by the name TOML uses."""
    return [field.alias or name for name, field in model.model_fields.items()] + list(extra)


# Discriminator tags pydantic puts in error locations; they are not keys the user wrote.
_TAGS = {
    "<switch>",
    "<mode>",
    "<table>",
    "<method>",
    "<methods>",
    "<value>",
    "<values>",
    "<message>",
    "<messages>",
}


def key_path(loc: tuple[str | int, ...]) -> str:
    """Render a location as the user wrote it: ``origins.api.cors.allow_origins[0]``."""
    out = ""
    for part in loc:
        if part in _TAGS:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def unsupported_key_problems(data: dict[str, Any]) -> list[str]:
    """One problem per key of a feature this version does not have yet."""
    problems = []

    def note(path: str, feature: str) -> None:
        problems.append(
            f"{path}: not supported by this version of devserve yet ({feature}); remove the key"
        )

    settings = data.get("devserve")
    if isinstance(settings, dict):
        for key, feature in UNSUPPORTED_SETTINGS_KEYS.items():
            if key in settings:
                note(f"devserve.{key}", feature)
    origins = data.get("origins")
    if isinstance(origins, dict):
        for name, origin in origins.items():
            if not isinstance(origin, dict):
                continue
            for key, feature in UNSUPPORTED_ORIGIN_KEYS.items():
                if key in origin:
                    note(f"origins.{name}.{key}", feature)
            routes = origin.get("routes")
            for index, route in enumerate(routes if isinstance(routes, list) else []):
                for key, feature in UNSUPPORTED_ROUTE_KEYS.items():
                    if isinstance(route, dict) and key in route:
                        note(f"origins.{name}.routes[{index}].{key}", feature)
    return problems


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    parent = [part for part in loc[:-1] if part not in _TAGS]
    if len(parent) == 0:
        return ["devserve", "origins"]
    if parent == ["devserve"]:
        return _keys(Settings, *UNSUPPORTED_SETTINGS_KEYS)
    if len(parent) == 2 and parent[0] == "origins":
        return _keys(Origin, *UNSUPPORTED_ORIGIN_KEYS)
    if len(parent) == 3 and parent[2] == "cors":
        return _keys(CorsTable)
    if len(parent) == 3 and parent[2] == "record_match":
        return _keys(RecordMatch)
    if len(parent) == 3 and parent[2] == "redact":
        return _keys(Redact)
    if len(parent) == 4 and parent[2] == "routes":
        return _keys(Route, *UNSUPPORTED_ROUTE_KEYS)
    if len(parent) == 5 and parent[2] == "routes" and parent[4] == "match":
        return _keys(Match)
    if len(parent) == 6 and parent[2] == "routes" and parent[4] == "responses":
        return _keys(MockResponse)
    if len(parent) == 6 and parent[2] == "routes" and parent[4] == "stream":
        return _keys(StreamEvent)
    if len(parent) >= 4 and parent[2] == "sockets":
        return _socket_keys(parent[4:])
    return []


def _socket_keys(inner: list[str | int]) -> list[str]:
    """The keys of a table inside one ``[[origins.NAME.sockets]]`` entry."""
    named = [part for part in inner if isinstance(part, str)]
    if not named:
        return _keys(Socket)
    last = named[-1]
    if last in ("on_connect", "reply"):
        return _keys(SocketMessage)
    if last == "match":
        return _keys(SocketMatch)
    if last == "close":
        return _keys(SocketClose)
    if last == "conversation":
        return _keys(ConversationFrame)
    return _keys(SocketRule) if last == "rules" else []


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    known = _known_keys(loc)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    if known:
        return f"unknown key; expected one of: {', '.join(known)}"
    return "unknown key; remove it"


# Type errors (the model is strict): what the key needs, in TOML words.
_EXPECTED = {
    "int_type": "a whole number",
    "bool_type": "true or false",
    "string_type": "a string in quotes",
    "list_type": "a list, e.g. [...]",
    "dict_type": "a table",
    "model_type": "a table",
}


def toml_value(value: Any) -> str:
    """``value`` as it was written in TOML: true, "8000", 8000.0, a table, a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"')[:80] + '"'
    return str(value)


def _wrong_type(kind: str, given: Any, key: str) -> str:
    expected = "a port number (0-65535)" if key.endswith("port") else _EXPECTED[kind]
    message = f"expected {expected}, not {toml_value(given)}"
    if kind == "int_type" and isinstance(given, str) and given.strip().isdigit():
        message += f"; write {given.strip()} without quotes"
    elif kind == "int_type" and isinstance(given, float) and given.is_integer():
        message += f"; write {int(given)}"
    elif kind == "bool_type" and isinstance(given, str | int):
        word = str(given).strip().lower()
        if word in ("true", "yes", "on", "1"):
            message += "; write true, without quotes"
        elif word in ("false", "no", "off", "0"):
            message += "; write false, without quotes"
    elif kind == "string_type" and not isinstance(given, dict | list):
        message += f'; write "{toml_value(given)}" in quotes'
    return message


def _message(error: Any, within: tuple[str | int, ...] = ()) -> tuple[str, str]:
    """Return (extra key path suffix, message) for one pydantic error."""
    kind = error["type"]
    loc = within + tuple(error["loc"])
    given = error.get("input")
    if kind == "extra_forbidden":
        return "", _unknown_key(loc)
    if kind == "literal_error" and "<mode>" in loc:
        return (
            "",
            f'expected "off", "on", "*", true, false or a table of policy keys (got {given!r})',
        )
    if kind == "missing" and loc != ("origins",):
        return "", "required key is missing; add it"
    if kind in ("too_short", "missing") and loc == ("origins",):
        return (
            "",
            'no origins defined; add one, e.g. [origins.site] with port = 8000 and static = "."',
        )
    if loc and loc[-1] == "port" and kind in ("greater_than_equal", "less_than_equal"):
        return "", f"port must be between 0 (any free port) and 65535 (got {given!r})"
    if kind in _EXPECTED:
        return "", _wrong_type(kind, given, str(loc[-1]) if loc else "")
    message = str(error["msg"])
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        # Validators of list items prefix their message with the item index, e.g. "[0] ...".
        if message.startswith("[") and "] " in message:
            index, _, rest = message.partition("] ")
            return index + "]", rest
        return "", message
    message = message[0].lower() + message[1:]
    if not isinstance(given, dict | list):
        message += f" (got {given!r})"
    return "", message


# Where a route's keys sit in a config: a mock-folder envelope has the same keys.
ROUTE = ("origins", "-", "routes", 0)


def describe(exc: ValidationError, *, within: tuple[str | int, ...] = ()) -> list[str]:
    """One line per pydantic error, in the user's terms.

    ``within``: where the validated table sits in a config (``ROUTE`` for a route's keys), so
    an unknown key gets the right suggestions; it is not part of the key paths shown.
    """
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        suffix, message = _message(error, within)
        problems.append(f"{key_path(loc)}{suffix}: {message}")
    return problems
