"""The resource file's content: parsed with a message that points at the mistake; written back."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from devserve.errors import DevserveError

SCHEMA_KEY = "$schema"  # json-server ignores it as a resource, so does devserve
# Objects and arrays in the file: an answer is serialized with the event loop's stack already
# a hundred frames deep, so data nested near Python's limit (1,000) could be read but never sent.
MAX_FILE_DEPTH = 512


class ResourceDataError(DevserveError):
    """The resource file cannot be served: unreadable, not JSON, or not shaped like a database."""


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests containers more than ``limit`` levels (no recursion)."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def reject_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON (Python's reader accepts them; browsers do not)."""
    raise ValueError(f"{name} is not a JSON value")


def js_int(text: str) -> float:
    """``parse_int`` for json.loads: exact, except that a number past every double (1.8e308)
    is ±Infinity, as JavaScript reads it (and Python's int() refuses past 4,300 digits)."""
    if len(text) > 300:
        number = float(text)
        if math.isinf(number):
            return number
    return int(text)


def _beyond(text: str) -> str:
    shown = text if len(text) <= 40 else f"{text[:20]}...{text[-8:]} ({len(text)} characters)"
    return (
        f"the number {shown} is beyond what JavaScript can hold (it reads as Infinity, which "
        "JSON cannot store)"
    )


def _file_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(_beyond(text))
    return number


def _file_int(text: str) -> float:
    number = js_int(text)
    if isinstance(number, float):
        raise ValueError(_beyond(text))
    return number


def parse(text: bytes, path: Path) -> dict[str, Any]:
    """The database in ``text``; ResourceDataError names the file, line and column of a mistake."""
    try:
        data = json.loads(
            text.decode("utf-8-sig"),
            parse_constant=reject_constant,
            parse_float=_file_float,
            parse_int=_file_int,
        )
    except UnicodeDecodeError as exc:
        raise ResourceDataError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except json.JSONDecodeError as exc:
        raise ResourceDataError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "fix the file there"
        ) from None
    except RecursionError:
        raise ResourceDataError(
            f"{path}: nests objects and arrays more than {MAX_FILE_DEPTH} levels deep; flatten it"
        ) from None
    except ValueError as exc:
        raise ResourceDataError(f"{path}: cannot be read as JSON ({exc}); fix the file") from None
    if isinstance(data, dict | list) and deeper_than(data, MAX_FILE_DEPTH):
        raise ResourceDataError(
            f"{path}: nests objects and arrays more than {MAX_FILE_DEPTH} levels deep; "
            "flatten it"
        )
    if not isinstance(data, dict):
        raise ResourceDataError(
            f"{path}: the top level is {type_name(data)}; it must be an object whose keys are "
            'resource names, e.g. {"posts": [], "profile": {}}'
        )
    problems = []
    for key, value in data.items():
        if key == SCHEMA_KEY:
            continue
        if "/" in key:
            problems.append(f"key {key!r} contains '/', which cannot be a resource name; rename it")
        elif not isinstance(value, list | dict):
            problems.append(
                f"key {key!r} is {type_name(value)}; a resource is an array (a collection) "
                "or an object (a singular resource)"
            )
    if problems:
        raise ResourceDataError(f"{path}: " + "; ".join(problems))
    return data


def read(path: Path) -> tuple[bytes, dict[str, Any]]:
    """The file's bytes and the database they hold."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ResourceDataError(
            f'{path}: file not found; create it, e.g. with {{"posts": []}}, or fix the path '
            "(relative to the config file)"
        ) from None
    except OSError as exc:
        raise ResourceDataError(f"{path}: cannot read the file ({exc.strerror})") from None
    return text, parse(text, path)


def dump(data: dict[str, Any]) -> bytes:
    """The file format json-server (lowdb) writes: two-space indent, UTF-8, keys in order."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace") + b"\n"  # a lone surrogate: its escape
