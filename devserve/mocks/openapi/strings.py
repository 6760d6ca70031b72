"""Strings for a schema: its ``format``, or a value that matches a simple ``pattern``."""

from __future__ import annotations

import base64
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

try:  # the regex parser of the standard library, under its 3.11 and its later name
    import re._parser as _sre  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre

_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
_MAX_REPEAT = 8  # `+` and `*` in a pattern: a few characters, not thousands
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def formatted(fmt: str, rng: random.Random) -> str | None:
    """A deterministic value of the string ``format``; None for a format devserve does not know."""
    moment = _EPOCH + timedelta(seconds=rng.randrange(0, 365 * 24 * 3600))
    word = rng.choice(_WORDS)
    values = {
        "date-time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H:%M:%SZ"),
        "email": f"{word}@example.com",
        "idn-email": f"{word}@example.com",
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "uri": f"https://example.com/{word}",
        "url": f"https://example.com/{word}",
        "iri": f"https://example.com/{word}",
        "uri-reference": f"/{word}",
        "hostname": f"{word}.example.com",
        "idn-hostname": f"{word}.example.com",
        "ipv4": f"192.0.2.{rng.randrange(1, 255)}",
        "ipv6": f"2001:db8::{rng.randrange(1, 0xFFFF):x}",
        "byte": base64.b64encode(word.encode()).decode(),
        "binary": word,
        "password": "s3cret-" + word,
        "duration": f"PT{rng.randrange(1, 60)}M",
        "json-pointer": f"/{word}",
        "regex": "^[a-z]+$",
    }
    return values.get(fmt)


def from_pattern(pattern: str, rng: random.Random) -> str | None:
    """A string that ``re.search(pattern, ...)`` accepts, for patterns made of literals,
    classes, groups, alternatives and repeats; None for anything else (lookarounds, ...)."""
    try:
        parsed = _sre.parse(pattern)
        value = _emit(list(parsed), rng)
    except (re.error, _Unsupported, RecursionError, ValueError, OverflowError):
        return None
    try:
        return value if re.search(pattern, value) else None
    except re.error:
        return None


class _Unsupported(Exception):
    pass


def _emit(items: list[Any], rng: random.Random) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("x")
        elif name == "IN":
            out.append(_in(arg, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, inner = arg
            high = low + min(int(high) - low, _MAX_REPEAT) if high != _sre.MAXREPEAT else low + 2
            count = max(low, min(high, max(low, 1)))
            out.extend(_emit(list(inner), rng) for _ in range(count))
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            out.append(_emit(list(arg[-1] if name == "SUBPATTERN" else arg), rng))
        elif name == "BRANCH":
            out.append(_emit(list(arg[1][0]), rng))
        elif name == "AT":
            continue
        elif name == "CATEGORY":
            out.append(_category(str(arg)))
        else:
            raise _Unsupported(name)
    return "".join(out)


def _in(items: list[Any], rng: random.Random) -> str:
    if items and str(items[0][0]) == "NEGATE":
        return "a" if all(_allows(item, "a") is False for item in items[1:]) else "_"
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0] + rng.randrange(0, arg[1] - arg[0] + 1))
    if name == "CATEGORY":
        return _category(str(arg))
    raise _Unsupported(name)


def _allows(item: tuple[Any, Any], char: str) -> bool:
    op, arg = item
    if str(op) == "LITERAL":
        return bool(arg == ord(char))
    if str(op) == "RANGE":
        return bool(arg[0] <= ord(char) <= arg[1])
    return True


def _category(name: str) -> str:
    if "DIGIT" in name:
        return "7" if "NOT" not in name else "a"
    if "SPACE" in name:
        return " " if "NOT" not in name else "a"
    if "WORD" in name:
        return "a" if "NOT" not in name else "-"
    raise _Unsupported(name)
