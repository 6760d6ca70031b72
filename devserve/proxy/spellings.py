"""Every spelling of a secret an upstream may echo back, as one regular expression.

An upstream echoes what it was sent: as sent (percent-encoded, in either case, ``+`` for a
space, sometimes twice), decoded, or inside JSON text, which escapes quotes, backslashes and
(with ``ensure_ascii``) every non-ASCII character, once per level of nesting. A secret is
matched character by character in any of these spellings, and in any mix of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# A value this short is likely to turn up by chance: it is matched only as a whole word.
SHORTEST_ANYWHERE = 6
# One or more backslashes: a JSON escape, at any depth of JSON inside JSON strings.
_BACKSLASHES = r"\\\\*"
# Before a short value: not a letter or digit, unless that ends an escape (%3D, \u003d, \n).
_WORD_START = r"(?:(?<!\w)|(?<=%[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4})|(?<=\\[nrtbf]))"
_WORD_END = r"(?!\w)"


def _hex(text: str) -> str:
    """``text`` with each hex letter matched in either case."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _character(char: str) -> str:
    forms = [re.escape(char)]
    if char == " ":
        forms.append(r"\+")
    # Percent-encoded, once or twice (%2F, %252F).
    forms.append("".join(f"%(?:25)?{_hex(f'{byte:02x}')}" for byte in char.encode("utf-8")))
    # JSON-escaped: a short escape (\" \\ \/ \n) or \uXXXX (surrogate pairs included).
    escapes = {json.dumps(char)[1:-1], json.dumps(char, ensure_ascii=True)[1:-1]}
    if char == "/":
        escapes.add("\\/")
    for escape in escapes - {char}:
        pieces = escape.split("\\")[1:]
        forms.append("".join(_BACKSLASHES + _hex(piece) for piece in pieces))
    return forms[0] if len(forms) == 1 else f"(?:{'|'.join(forms)})"


def spelled(secret: str) -> str:
    """A pattern for ``secret`` in any spelling; a short one only as a whole word."""
    pattern = "".join(_character(char) for char in secret)
    if len(secret) < SHORTEST_ANYWHERE:
        return _WORD_START + pattern + _WORD_END
    return pattern


@dataclass(frozen=True)
class Search:
    """One secret's pattern, tried only on a text holding its longest run of letters and
    digits, which every encoding leaves as it is: most texts are passed over at ``str.find``
    speed instead of being scanned with a pattern that has no literal to look for."""

    anchor: str
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, secret: str, before: str = "") -> Search:
        """A search for ``secret``; ``before``, a pattern named ``lead``, must come first."""
        anchor = max(re.findall("[A-Za-z0-9]+", secret), key=len, default="")
        return cls(anchor, re.compile(before + spelled(secret)))

    def sub(self, replacement: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.pattern.sub(replacement, text) if self.anchor in text else text


def searches(secrets: Iterable[str]) -> tuple[Search, ...]:
    """One search per secret, longest first (a token inside a longer secret comes second)."""
    unique = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
    return tuple(Search.of(secret) for secret in unique)
