"""json-server's ``--routes`` rules: ``{"/api/*": "/$1", "/blog/:resource/:id/show":
"/:resource/:id"}`` rewrite a request's URL before the resources answer it.

json-server 0.17 runs each rule through express-urlrewrite 1.4, which compiles its key with
path-to-regexp 1.9 (case-insensitive, matched against the URL *with* its query string) and
fills the target's ``$1`` and ``:name`` from the match; the rules apply one after the other,
each to the URL the previous ones left. Both are ported here, so a routes file rewrites the
same URLs to the same targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

# The rules are the user's, but the URL they run on is the client's: a pattern like
# `:a((x+)+)` could backtrack for ages, so each match has a time limit.
MATCH_TIMEOUT_SECONDS = 0.1
# path-to-regexp's PATH_REGEXP: an escaped character, or a parameter (`/:name(pattern)?`,
# `/(pattern)`, `/*`) with its prefix and modifier.
_TOKENS = regex.compile(
    r"(\\.)|([/.])?(?:(?::(\w+)(?:\(((?:\\.|[^\\()])+)\))?|\(((?:\\.|[^\\()])+)\))([+*?])?|(\*))",
    regex.ASCII,
)
_ESCAPE_STRING = regex.compile(r"([.+*?=^!:${}()\[\]|/\\])")
_ESCAPE_GROUP = regex.compile(r"([=!:$/()])")
# What a target may fill in: `$1` (a group by number) or `:name` (a parameter by name).
_TARGET_VALUES = regex.compile(r"\$(\d+)|(?::(\w+))", regex.ASCII)


class RuleError(ValueError):
    """A rule json-server would refuse at start-up, or that could only answer a 500."""


class RuleTimeout(Exception):
    """A rule's pattern took longer than MATCH_TIMEOUT_SECONDS on a URL."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.source = source


@dataclass(frozen=True)
class _Parameter:
    name: str
    prefix: str
    optional: bool
    repeat: bool
    partial: bool
    pattern: str


def _escape_string(text: str) -> str:
    return _ESCAPE_STRING.sub(r"\\\1", text)


def _restrict_backtrack(delimiter: str, previous: str) -> str:
    if not previous or delimiter in previous:
        return f"[^{_escape_string(delimiter)}]+?"
    text, delim = _escape_string(previous), _escape_string(delimiter)
    return f"{text}|(?:(?!{text})[^{delim}])+?"


def _tokens(path: str) -> list[str | _Parameter]:
    """path-to-regexp's ``parse``: literal text and parameters, in order."""
    tokens: list[str | _Parameter] = []
    key, index, text = 0, 0, ""
    for match in _TOKENS.finditer(path):
        text += path[index : match.start()]
        index = match.end()
        escaped, prefix, name, capture, group, modifier, asterisk = match.groups()
        if escaped:
            text += escaped[1]
            continue
        following = path[index] if index < len(path) else None
        if text:
            tokens.append(text)
            text = ""
        previous = prefix or (tokens[-1] if tokens and isinstance(tokens[-1], str) else "")
        delimiter = prefix or "/"
        custom = capture or group
        if custom:
            pattern = _ESCAPE_GROUP.sub(r"\\\1", custom)
        else:
            pattern = ".*" if asterisk else _restrict_backtrack(delimiter, previous)
        if not name:
            name, key = str(key), key + 1
        tokens.append(
            _Parameter(
                name=name,
                prefix=prefix or "",
                optional=modifier in ("?", "*"),
                repeat=modifier in ("+", "*"),
                partial=prefix is not None and following is not None and following != prefix,
                pattern=pattern,
            )
        )
    text += path[index:]
    if text:
        tokens.append(text)
    return tokens


def _expression(tokens: list[str | _Parameter]) -> str:
    """path-to-regexp's ``tokensToRegExp`` (not strict, anchored at the end)."""
    route = ""
    for token in tokens:
        if isinstance(token, str):
            route += _escape_string(token)
            continue
        prefix = _escape_string(token.prefix)
        capture = f"(?:{token.pattern})"
        if token.repeat:
            capture += f"(?:{prefix}{capture})*"
        if token.optional:
            capture = f"{prefix}({capture})?" if token.partial else f"(?:{prefix}({capture}))?"
        else:
            capture = f"{prefix}({capture})"
        route += capture
    route = route.removesuffix(r"\/")
    # JavaScript's `$` without the m flag: the very end (Python's `$` also allows a final \n).
    return rf"^{route}(?:\/(?=\Z))?\Z"


@dataclass(frozen=True)
class Rule:
    """One ``"source": "target"`` pair of a routes file, compiled."""

    source: str
    target: str
    pattern: regex.Pattern[str]
    groups: dict[str, int]  # parameter name -> its group number

    def apply(self, url: str) -> str | None:
        """The rewritten URL, or None when the rule does not match ``url``."""
        try:
            match = self.pattern.match(url, timeout=MATCH_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RuleTimeout(self.source) from None
        if match is None:
            return None

        def value(found: regex.Match[str]) -> str:
            number, name = found.groups()
            group = self.groups[name] if name is not None else int(number)
            # A group that did not take part is `undefined` in JavaScript, and so in the URL.
            text = match.group(group)
            return "undefined" if text is None else text

        return _TARGET_VALUES.sub(value, self.target)


def compile_rule(source: str, target: str) -> Rule:
    """A Rule; RuleError says what is wrong with it."""
    tokens = _tokens(source)
    parameters = [token for token in tokens if isinstance(token, _Parameter)]
    try:
        pattern = regex.compile(_expression(tokens), regex.IGNORECASE)
    except regex.error as exc:
        raise RuleError(f"the pattern is not a valid path ({exc})") from None
    groups = {parameter.name: index + 1 for index, parameter in enumerate(parameters)}
    for found in _TARGET_VALUES.finditer(target):
        number, name = found.groups()
        if name is not None and name not in groups:
            raise RuleError(
                f"the target names ':{name}', which the pattern does not capture; capture it "
                f"(e.g. /things/:{name}) or write the value out"
            )
        if number is not None and (str(int(number)) != number or int(number) > pattern.groups):
            raise RuleError(
                f"the target uses ${number}, but the pattern captures {pattern.groups} "
                f"value{'s' if pattern.groups != 1 else ''} ($1 is the first)"
            )
    return Rule(source, target, pattern, groups)


def rewrite(rules: list[Rule], url: str) -> str | None:
    """``url`` after every rule, each applied to what the previous ones left; None when no
    rule matched (RuleTimeout when one took too long)."""
    rewritten = None
    for rule in rules:
        result = rule.apply(url if rewritten is None else rewritten)
        if result is not None:
            rewritten = result
    return rewritten
