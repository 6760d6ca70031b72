"""Text safe for a terminal: whatever came from a request or an upstream is escaped before it is
printed, so no request can retitle, clear or forge a line of the developer's terminal."""

from __future__ import annotations

import re

# What a terminal may act on: C0 and C1 controls (ESC, CSI, BEL, CR, LF...), DEL, Unicode line
# breaks, and the bidi overrides that make a line read differently than it is ("Trojan Source").
_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def printable(text: str) -> str:
    """``text`` safe to print: every control character shown as an escape (``\\x1b``)."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_printable(text: str) -> str:
    """JSON text safe to print: what ``json.dumps`` leaves raw (C1 controls, bidi overrides,
    line separators) as ``\\uXXXX`` escapes, which JSON readers decode back."""
    return _UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
