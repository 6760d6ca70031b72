"""The resource file's content: parsed with a message that points at the mistake; written back."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from devserve.errors import DevserveError
from devserve.mocks.resources.jsvalue import number_string

SCHEMA_KEY = "$schema"  # json-server ignores it as a resource, so does devserve
# Objects and arrays in the file: an answer is serialized with the event loop's stack already
# a hundred frames deep, so data nested near Python's limit (1,000) could be read but never sent.
MAX_FILE_DEPTH = 512
_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")


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
    """The file format json-server writes, ``JSON.stringify(db, null, 2)``: two-space indent,
    UTF-8, keys in order, numbers as JavaScript prints them (``1``, ``1e+21``, ``5e-7``), a
    lone surrogate as its escape; an integer past 2**53 stays as the file wrote it. The
    reference for filetext.py, which makes the same bytes fast."""
    return dump_value(data) + b"\n"


def is_index(key: str) -> bool:
    """Whether JavaScript takes ``key`` for an array index ("0", "42"; not "01", "-1")."""
    return _INDEX.fullmatch(key) is not None and int(key) < 2**32 - 1


def javascript_order(value: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    """The object's entries in JavaScript's order: array-index keys first, ascending, then
    the others as they came (JSON.parse makes ``{"b": 1, "2": 1, "1": 1}`` list 1, 2, b)."""
    indexes = [key for key in value if is_index(key)]
    if not indexes:
        return value.items()
    keys = [*sorted(indexes, key=int), *(key for key in value if not is_index(key))]
    return [(key, value[key]) for key in keys]


def encode_key(key: str) -> bytes:
    """A string as JSON.stringify writes it (a lone surrogate, which has no UTF-8: its escape)."""
    return json.dumps(key, ensure_ascii=False).encode("utf-8", "backslashreplace")


def dump_value(value: Any, indent: str = "") -> bytes:
    """``value`` indented as it sits ``indent`` deep in the file (its first line not indented)."""
    return _text(value, indent).encode("utf-8", "backslashreplace")


def _text(value: Any, indent: str) -> str:
    # A stack, not recursion: a hand-written file may nest 512 levels.
    out: list[str] = []
    stack: list[_Open] = []
    _put(value, indent, out, stack)
    while stack:
        top = stack[-1]
        entry: Any = next(top.entries, _END)
        if entry is _END:
            stack.pop()
            out.append(f"\n{top.indent}{'}' if top.is_object else ']'}")
            continue
        out.append(("," if top.count else "") + "\n" + top.inner)
        top.count += 1
        if top.is_object:
            key, entry = entry
            out.append(json.dumps(key, ensure_ascii=False) + ": ")
        _put(entry, top.inner, out, stack)
    return "".join(out)


_END = object()


class _Open:
    """An object or array being written: what is left of it, and where its lines start."""

    def __init__(self, value: dict[str, Any] | list[Any], indent: str) -> None:
        self.is_object = isinstance(value, dict)
        self.entries: Iterator[Any] = iter(
            javascript_order(value) if isinstance(value, dict) else value
        )
        self.indent, self.inner, self.count = indent, indent + "  ", 0


def _put(value: Any, indent: str, out: list[str], stack: list[_Open]) -> None:
    if isinstance(value, dict | list):
        if value:
            out.append("{" if isinstance(value, dict) else "[")
            stack.append(_Open(value, indent))
        else:
            out.append("{}" if isinstance(value, dict) else "[]")
    elif value is None or isinstance(value, bool):
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))  # exactly, as the file had it, even past what JavaScript holds
    elif isinstance(value, float):
        out.append(number_string(value) if math.isfinite(value) else "null")
    else:
        out.append(json.dumps(value, ensure_ascii=False))
