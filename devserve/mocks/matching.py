"""Route ``match`` conditions: exact values, ``~regex`` (full match), presence, JSON subsets,
whole bodies, and "no other query parameter" (what a recording needs to be told apart).

Regexes come from the config but run on request data, so each match has a time limit (the
``regex`` module's ``timeout``): a catastrophic pattern fails the match instead of the server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import regex

from devserve.config.mocks import Match

REGEX_TIMEOUT_SECONDS = 0.1
# The raw request body in the request data, for ``match.body`` (not a name templates can use).
RAW_BODY = "devserve.raw_body"
# A body longer than this is matched by its digest: a recording is meant to be read.
_LONGEST_KEPT_BODY = 4096


@dataclass(frozen=True)
class Pattern:
    """One expected value: ``true`` (present), ``false`` (absent), ``"~regex"`` or exact text."""

    raw: str | bool
    compiled: regex.Pattern[str] | None = None

    def failure(self, what: str, actual: str | None) -> str | None:
        """Why ``actual`` does not match, or None when it does."""
        if self.raw is True:
            return None if actual is not None else f"{what} is missing"
        if self.raw is False:
            return None if actual is None else f"{what} is present"
        if actual is None:
            return f"{what} is missing"
        if self.compiled is not None:
            try:
                found = self.compiled.fullmatch(actual, timeout=REGEX_TIMEOUT_SECONDS)
            except TimeoutError:
                return f"{what}: the regex {self.raw!r} timed out"
            return None if found else f"{what} {_shown(actual)} does not match {self.raw!r}"
        expected = self.raw[1:] if self.raw.startswith("~~") else self.raw
        return None if actual == expected else f"{what} is {_shown(actual)}, not {expected!r}"


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def compile_pattern(raw: str | bool, *, where: str, problems: list[str]) -> Pattern:
    """A Pattern; a regex that does not compile is a config problem at ``where``."""
    if isinstance(raw, str) and raw.startswith("~") and not raw.startswith("~~"):
        try:
            return Pattern(raw, regex.compile(raw[1:]))
        except regex.error as exc:
            problems.append(f"{where}: {raw!r} is not a valid regular expression ({exc})")
    return Pattern(raw)


@dataclass(frozen=True)
class Matcher:
    """All the conditions of one route's ``match``."""

    fields: tuple[tuple[str, str, Pattern], ...]  # (part, name, pattern)
    json: Any
    has_json: bool
    body: Any = None
    has_body: bool = False
    exact_query: bool = False

    @property
    def has_regex(self) -> bool:
        return (
            any(p.compiled is not None for _, _, p in self.fields)
            or _json_has_regex(self.json)
            or _json_has_regex(self.body)
        )

    def failure(self, data: dict[str, Any]) -> str | None:
        """The first condition the request fails, in words, or None when every one holds."""
        return next(iter(self.failures(data)), None)

    def failures(self, data: dict[str, Any]) -> list[str]:
        """Every condition the request fails, in words (a replay miss lists them all)."""
        found = []
        label = {"query": "query", "headers": "header", "cookies": "cookie", "form": "form"}
        for part, name, pattern in self.fields:
            values = data.get(part) or {}
            actual = values.get(name) if isinstance(values, dict) else None
            problem = pattern.failure(f"{label[part]} {name}", _text(actual))
            if problem:
                found.append(problem)
        if self.exact_query:
            listed = {name for part, name, _ in self.fields if part == "query"}
            found.extend(
                f"query {name} is not expected"
                for name in sorted(data.get("query") or {})
                if name not in listed
            )
        if self.has_json:
            problem = json_failure(self.json, data.get("json"), "json")
            if problem:
                found.append(problem)
        if self.has_body:
            actual = body_form(data.get(RAW_BODY) or b"")
            problem = json_failure(self.body, actual, "body", exact=True)
            if problem:
                found.append(problem)
        return found


def compile_match(match: Match, *, where: str, problems: list[str]) -> Matcher:
    fields = []
    for part in ("query", "headers", "cookies", "form"):
        for name, raw in getattr(match, part).items():
            key = name.lower() if part == "headers" else name
            pattern = compile_pattern(raw, where=f"{where}.{part}.{name}", problems=problems)
            fields.append((part, key, pattern))
    expected = _compile_json(match.json_body, f"{where}.json", problems)
    body = _compile_json(match.body, f"{where}.body", problems)
    return Matcher(tuple(fields), expected, match.has_json, body, match.has_body, match.exact_query)


def body_form(content: bytes) -> Any:
    """A request body as ``match.body`` sees it: parsed JSON (whatever its Content-Type says:
    pages often post JSON as text/plain), text, or a digest when long or binary."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    if len(content) <= _LONGEST_KEPT_BODY:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else str(value)


def _compile_json(value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, str):
        return compile_pattern(value, where=where, problems=problems)
    if isinstance(value, list):
        return [_compile_json(v, f"{where}[{i}]", problems) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _compile_json(v, f"{where}.{k}", problems) for k, v in value.items()}
    return value


def _json_has_regex(value: Any) -> bool:
    if isinstance(value, Pattern):
        return value.compiled is not None
    if isinstance(value, list):
        return any(_json_has_regex(v) for v in value)
    if isinstance(value, dict):
        return any(_json_has_regex(v) for v in value.values())
    return False


def json_failure(expected: Any, actual: Any, where: str, *, exact: bool = False) -> str | None:
    """Subset match: every key of an expected object must match; lists match item by item.
    ``exact``: objects must not have other keys either."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where} is not an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key} is missing"
            problem = json_failure(value, actual[key], f"{where}.{key}", exact=exact)
            if problem:
                return problem
        extra = [key for key in actual if key not in expected] if exact else []
        return f"{where}.{extra[0]} is not expected" if extra else None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where} is not a list of {len(expected)} items"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problem = json_failure(want, got, f"{where}[{index}]", exact=exact)
            if problem:
                return problem
        return None
    if isinstance(expected, Pattern):
        if not isinstance(actual, str):
            return f"{where} is not a string"
        return expected.failure(where, actual)
    # Numbers and booleans compare as JSON does: 1 is not true.
    if type(expected) is not type(actual) and not (
        isinstance(expected, int | float)
        and isinstance(actual, int | float)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    ):
        return f"{where} is {actual!r}, not {expected!r}"
    return None if expected == actual else f"{where} is {actual!r}, not {expected!r}"
