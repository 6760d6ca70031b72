"""``_like`` patterns: JavaScript's ``new RegExp(value, "i")`` syntax, matched by RE2.

json-server 0.17 runs the client's pattern through a backtracking engine; any web page can put
one in an ``<img>`` URL. RE2 matches in time linear in the text, whatever the pattern, and its
compiled form is bounded by ``max_mem``. The price: no lookaround and no backreferences, which
get a clear error. The syntax JavaScript reads differently (``.``, ``\\s``, ``\\uXXXX``, ``[^]``,
escaped letters) is rewritten first, so ordinary patterns mean what they mean in the browser.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_LENGTH = 1024  # characters; patterns in URLs are short
MAX_PATTERN_MEMORY = 1 << 20  # RE2's max_mem: bounds the compiled program and its match caches
_CACHE_SIZE = 64

# JavaScript's `\s` (WhiteSpace and LineTerminator), as the inside of a character class.
_JS_SPACE_CLASS = (
    r"\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}"
    r"\x{3000}\x{FEFF}"
)
_LINE_TERMINATORS = r"\n\r\x{2028}\x{2029}"  # what `.` does not match in JavaScript
_EVERYTHING = r"\x00-\x{10FFFF}"
# Escaped letters with a meaning in JavaScript's (non-Unicode) syntax that RE2 shares; every
# other escaped letter stands for itself there (`\z` is "z"), so it is written unescaped.
_SHARED_ESCAPES = frozenset("dDwWbBtnvfr")
_HEX = frozenset("0123456789abcdefABCDEF")


class PatternError(ValueError):
    """A pattern devserve will not run; the message says why and what to do."""


def _escape(pattern: str, at: int, in_class: bool) -> tuple[str, int]:
    """The RE2 text for the escape at ``pattern[at]`` (a backslash), and the index after it."""
    if at + 1 == len(pattern):
        return "\\\\", at + 1  # a trailing backslash: an error in JavaScript, a literal here
    char, after = pattern[at + 1], at + 2
    rest = pattern[after : after + 4]
    if char == "s":
        return (_JS_SPACE_CLASS if in_class else f"[{_JS_SPACE_CLASS}]"), after
    if char == "S" and not in_class:
        return f"[^{_JS_SPACE_CLASS}]", after
    if char == "b" and in_class:
        return r"\x08", after  # backspace, inside a class
    if char == "u" and len(rest) == 4 and set(rest) <= _HEX:
        return f"\\x{{{rest}}}", after + 4
    if char == "x" and len(rest) >= 2 and set(rest[:2]) <= _HEX:
        return f"\\x{rest[:2]}", after + 2
    if char == "c" and rest[:1].isascii() and rest[:1].isalpha():
        return f"\\x{{{ord(rest[0]) % 32:X}}}", after + 1  # a control character
    if char == "0" and not rest[:1].isdigit():
        return r"\x00", after
    if char in "0123456789" or (char == "k" and rest[:1] == "<"):
        return "\\" + char, after  # a backreference: RE2 refuses it, with a clear message
    if not char.isascii() or (char.isalpha() and char not in _SHARED_ESCAPES):
        return char, after  # stands for itself in JavaScript (`\z` is "z", not end of text)
    return "\\" + char, after


def _class(pattern: str, at: int) -> tuple[str, int]:
    """The RE2 text for the character class opening at ``pattern[at]``, and the index after."""
    negated = pattern[at + 1 : at + 2] == "^"
    index = at + 2 if negated else at + 1
    if pattern[index : index + 1] == "]":  # JavaScript's `[]` matches nothing, `[^]` anything
        return (f"[{_EVERYTHING}]" if negated else f"[^{_EVERYTHING}]"), index + 1
    out = ["[^" if negated else "["]
    while index < len(pattern) and pattern[index] != "]":
        char = pattern[index]
        if char == "\\":
            text, index = _escape(pattern, index, in_class=True)
            out.append(text)
            continue
        out.append("\\[" if char == "[" else char)  # `[` is plain here: no POSIX `[:alpha:]`
        index += 1
    if index == len(pattern):
        return "".join(out), index  # unclosed, an error in JavaScript too: RE2 says so
    return "".join(out) + "]", index + 1


def to_re2(pattern: str) -> str:
    """``pattern`` in JavaScript's syntax, rewritten in RE2's with the same meaning."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            text, index = _escape(pattern, index, in_class=False)
        elif char == "[":
            text, index = _class(pattern, index)
        else:
            text, index = (f"[^{_LINE_TERMINATORS}]" if char == "." else char), index + 1
        out.append(text)
    return "".join(out)


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is the client's 400, not a line on stderr
    options.case_sensitive = False  # the "i" flag
    options.never_capture = True  # a yes/no test: no submatches to track
    options.max_mem = MAX_PATTERN_MEMORY
    return options


def _problem(pattern: str, error: re2.error) -> str:
    """What is wrong with ``pattern``, from RE2's error, in words that say what to do."""
    raw = error.args[0] if error.args else error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    unsupported = None
    if text.startswith(("invalid perl operator: (?=", "invalid perl operator: (?!")):
        unsupported = "lookahead ((?=...), (?!...))"
    elif text.startswith("invalid perl operator: (?<"):
        unsupported = "lookbehind ((?<=...), (?<!...))"
    elif text.startswith("invalid escape sequence: \\") and text[-1:] in "k123456789":
        unsupported = "a backreference (\\1, \\k<name>)"
    if unsupported is not None:
        return (
            f"_like pattern {pattern!r} uses {unsupported}, which devserve does not support: "
            "it matches _like with RE2, in time linear in the text, whatever the pattern; "
            "rewrite the pattern without it"
        )
    if text.startswith(("invalid repetition size", "pattern too large")):
        return (
            f"_like pattern {pattern!r} is too large ({text}): a repetition counts at most 1000 "
            f"(nested ones multiplied) and a pattern compiles to at most "
            f"{MAX_PATTERN_MEMORY >> 20} MiB; simplify it"
        )
    return f"_like pattern {pattern!r} is not a valid regular expression: {text}"


@lru_cache(maxsize=_CACHE_SIZE)
def compile_like(pattern: str) -> Any:
    """The compiled pattern (kept for the next request), or PatternError saying why not."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"a _like pattern may be at most {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(to_re2(pattern), _options())
    except re2.error as exc:
        raise PatternError(_problem(pattern, exc)) from None
