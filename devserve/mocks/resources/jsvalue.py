"""JavaScript's view of JSON values, as json-server 0.17 (Node + lodash) compares and prints them.

json-server compares query strings with ``String(value)``, orders with JavaScript's ``<``/``>``
and finds ids by ``toString()``. Matching it request for request means following those rules,
not Python's (``str(True)`` is ``"True"``, ``str(1.0)`` is ``"1.0"``, ``"2" < 10`` is an error).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Final


class _Undefined:
    """JavaScript's ``undefined``: what a missing key or path reads as."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Final = _Undefined()
_PATH_PART = re.compile(r"[^.[\]]+|\[(?:([^\"'][^[]*)|([\"'])((?:(?!\2)[^\\]|\\.)*?)\2)\]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RADIX = {"0x": 16, "0o": 8, "0b": 2}
# What String.prototype.trim removes (whitespace and line terminators).
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


# JavaScript keeps integers exactly up to here; beyond, a number is the nearest double.
MAX_SAFE_INTEGER = 2**53 - 1
# A decimal longer than this is beyond every double (1.8e308): JavaScript reads it as Infinity.
_DOUBLE_DIGITS = 310
_BEYOND_DOUBLES = int("1" + "0" * _DOUBLE_DIGITS)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def js_double(number: float) -> float:
    """The number as JavaScript holds it: an integer beyond 2**53 (a hand-written file may hold
    one, Python reads it exactly) becomes the nearest double, ±Infinity past 1.8e308."""
    if isinstance(number, float) or -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        return number
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def truthy(value: Any) -> bool:
    """JavaScript truthiness: objects and arrays are truthy even when empty."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if is_number(value):
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def number_string(number: float) -> str:
    """ECMAScript Number::toString: ``1.0`` → ``1``, ``1e-7`` → ``1e-7``, ``1e16`` in full."""
    number = js_double(number)  # never str() of a huge int: Python refuses past 4,300 digits
    if isinstance(number, int):
        return str(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # n: where the decimal point sits relative to the shortest digit string (ECMA-262 7.1.12.1)
    point = (0 if whole == "0" else len(whole)) + (int(exponent) if exponent else 0)
    if whole == "0":
        point -= len(fraction) - len(fraction.lstrip("0"))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    exp = point - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if exp >= 0 else '-'}{abs(exp)}"


def js_string(value: Any) -> str:
    """``String(value)`` for a JSON value."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if is_number(value):
        return number_string(value)
    if isinstance(value, list):
        return _join(value)
    return "[object Object]"


def _join(items: list[Any]) -> str:
    """``String(array)``: items joined by commas, null as "", nested arrays joined alike. A
    stack, not recursion: a hand-written file may nest arrays hundreds of levels deep."""
    stack: list[tuple[list[Any], int, list[str]]] = [(items, 0, [])]
    while True:
        array, index, parts = stack[-1]
        if index == len(array):
            stack.pop()
            text = ",".join(parts)
            if not stack:
                return text
            stack[-1][2].append(text)
            continue
        stack[-1] = (array, index + 1, parts)
        item = array[index]
        if isinstance(item, list):
            stack.append((item, 0, []))
        else:
            parts.append("" if item is None or item is UNDEFINED else js_string(item))


def js_number(value: Any) -> float:
    """``Number(value)`` for a primitive (NaN when it is not a number)."""
    if value is True:
        return 1.0
    if value is False or value is None:
        return 0.0
    if is_number(value):
        return float(js_double(value))
    if not isinstance(value, str):
        return math.nan
    text = value.strip(_JS_SPACE)
    if text == "":
        return 0.0
    if text in ("Infinity", "+Infinity", "-Infinity"):
        return -math.inf if text[0] == "-" else math.inf
    radix = _RADIX.get(text[:2].lower())
    if radix is not None:
        digits = text[2:]
        if not (digits.isascii() and digits.isalnum()):
            return math.nan
        try:
            return float(js_double(int(digits, radix)))
        except ValueError:
            return math.nan
    return float(text) if _DECIMAL.fullmatch(text) else math.nan


def parse_int(value: str | None) -> int | None:
    """``parseInt(value, 10)``; None for NaN."""
    if value is None:
        return None
    match = _INTEGER.match(value.lstrip(_JS_SPACE))
    if not match:
        return None
    digits = match.group()
    if len(digits) > _DOUBLE_DIGITS:  # Infinity in JavaScript; any larger value acts alike
        return -_BEYOND_DOUBLES if digits.startswith("-") else _BEYOND_DOUBLES
    return int(digits)


def array_index(key: str, length: int) -> int | None:
    """The index ``key`` names in an array of ``length`` items (ASCII digits), else None."""
    if not (key.isascii() and key.isdigit()) or len(key) > len(str(length)):
        return None
    index = int(key)
    return index if index < length else None


def _primitive(value: Any) -> Any:
    return js_string(value) if isinstance(value, list | dict) else value


def utf16(text: str) -> bytes:
    # JavaScript compares strings by UTF-16 code unit, which differs from code points above U+FFFF.
    return text.encode("utf-16-be", "surrogatepass")


def js_less(left: Any, right: Any) -> bool:
    """``left < right`` with JavaScript's abstract relational comparison."""
    left, right = _primitive(left), _primitive(right)
    if isinstance(left, str) and isinstance(right, str):
        return left < right if left.isascii() and right.isascii() else utf16(left) < utf16(right)
    a = math.nan if left is UNDEFINED else js_number(left)
    b = math.nan if right is UNDEFINED else js_number(right)
    return a < b


def js_less_equal(left: Any, right: Any) -> bool:
    """``left <= right``: ``!(right < left)``, except that NaN on either side makes it false."""
    left, right = _primitive(left), _primitive(right)
    if isinstance(left, str) and isinstance(right, str):
        return not js_less(right, left)
    a = math.nan if left is UNDEFINED else js_number(left)
    b = math.nan if right is UNDEFINED else js_number(right)
    return a <= b


def js_trim(text: str) -> str:
    """``String.prototype.trim``."""
    return text.strip(_JS_SPACE)


def _reflexive(value: Any) -> bool:
    return not (isinstance(value, float) and math.isnan(value))


def compare_ascending(value: Any, other: Any) -> int:
    """lodash's ``compareAscending``, which ``orderBy`` uses: undefined and null sort last."""
    if strict_equal(value, other):
        return 0
    val_defined, val_null, val_reflexive = value is not UNDEFINED, value is None, _reflexive(value)
    oth_defined, oth_null, oth_reflexive = other is not UNDEFINED, other is None, _reflexive(other)
    if (
        (not oth_null and js_less(other, value))
        or (val_null and oth_defined and oth_reflexive)
        or (not val_defined and oth_reflexive)
        or not val_reflexive
    ):
        return 1
    if (
        (not val_null and js_less(value, other))
        or (oth_null and val_defined and val_reflexive)
        or (not oth_defined and val_reflexive)
        or not oth_reflexive
    ):
        return -1
    return 0


def strict_equal(left: Any, right: Any) -> bool:
    """``left === right`` for primitives; objects compare by identity, as in JavaScript."""
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        return left is right
    return type(left) is type(right) and left == right


@lru_cache(maxsize=512)
def path_parts(path: str) -> tuple[str, ...]:
    """lodash's ``stringToPath``: ``a.b[0]`` → ``("a", "b", "0")``."""
    parts: list[str] = []
    for match in _PATH_PART.finditer(path):
        if match.group(3) is not None:
            parts.append(re.sub(r"\\(\\)?", r"\1", match.group(3)))
        else:
            parts.append(match.group(1) if match.group(1) is not None else match.group())
    if path.startswith("."):
        parts.insert(0, "")
    return tuple(parts)


def _child(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return value.get(key, UNDEFINED)
    if isinstance(value, list) and key.isdigit():
        index = array_index(key, len(value))
        return UNDEFINED if index is None else value[index]
    if isinstance(value, list) and key == "length":
        return len(value)
    return UNDEFINED


def get_path(value: Any, path: str) -> Any:
    """lodash's ``_.get``: a key that exists as written wins over its dotted reading."""
    if isinstance(value, dict) and path in value:
        return value[path]
    for part in path_parts(path):
        if value is None or value is UNDEFINED:
            return UNDEFINED
        value = _child(value, part)
    return value


def has_path(value: Any, path: str) -> bool:
    """lodash's ``_.has``: the path exists, whatever its value (null included)."""
    if isinstance(value, dict) and path in value:
        return True
    parts = path_parts(path)
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and (index := array_index(part, len(value))) is not None:
            value = value[index]
        else:
            return False
    return bool(parts)
