"""When two requests are "the same" for a recording: the ``match`` its envelope is written with.

A recording is a mock-folder envelope, so the request it answers is said in the envelope's
``match``, which the mock-folder reader checks like any other: every query parameter
(``exact_query``: no others), the ``record_match`` headers, the body if matched on. A value
redaction changed is written as ``true`` (present, any value), or for a body as a ``~regex``
standing for it, so a recording without its secrets still answers the request that made it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from devserve.config.proxy import RecordMatch
from devserve.mocks.matching import body_form
from devserve.proxy.redact import PLACEHOLDER, Redactor

# Any string at all, newlines included: what a redacted string in a body is matched with.
_ANY_TEXT = "~(?s).*"


@dataclass(frozen=True, eq=False)
class RequestKey:
    """A request as a recording finds it: method, path, and its envelope's ``match``."""

    method: str
    path: str
    query: str  # the matched query, redacted: for messages only
    match: dict[str, Any]

    def describe(self) -> str:
        """``GET /users?page=2`` (redacted, so safe to show)."""
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''}"

    @property
    def identity(self) -> tuple[str, str, str]:
        """Equal for the same request (hashable: the match is compared by its spelling)."""
        return (self.method, self.path, canonical(self.match))


def request_key(
    *,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    match: RecordMatch,
    redactor: Redactor,
) -> RequestKey:
    """The key of a request under an origin's ``record_match`` and redaction rules."""
    written: dict[str, Any] = {}
    shown = ""
    if match.query:
        pairs = matched_query(query, match)
        first: dict[str, str] = {}
        for name, value in pairs:  # the reader matches a repeated parameter's first value
            first.setdefault(name, value)
        written["query"] = {
            name: _literal(value, redactor.query_value(name, value))
            for name, value in sorted(first.items())
        }
        written["exact_query"] = True
        shown = urlencode(sorted((n, redactor.query_value(n, v)) for n, v in pairs))
    if match.headers:
        written["headers"] = {
            name.lower(): _header(name, headers, redactor) for name in match.headers
        }
    if match.body and body is not None:
        written["body"] = _body(body_form(body), redactor)
    return RequestKey(method=method, path=path, query=shown, match=written)


def matched_query(query: str, match: RecordMatch) -> list[tuple[str, str]]:
    """The query parameters a recording is matched on: all but ``ignore_query``."""
    ignored = {name.lower() for name in match.ignore_query}
    return [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name.lower() not in ignored
    ]


def _header(name: str, headers: list[tuple[str, str]], redactor: Redactor) -> str | bool:
    values = [value for key, value in headers if key.lower() == name.lower()]
    if not values:
        return False  # recorded without it: a request with it is another recording
    value = ", ".join(values)  # as the reader sees a repeated header
    return _literal(value, redactor.header(name, value))


def _literal(value: str, redacted: str) -> str | bool:
    """A match value for exactly ``value``; ``true`` when redaction hid it."""
    if redacted != value:
        return True
    return "~" + value if value.startswith("~") else value  # `~~` is a literal `~`


def _body(form: Any, redactor: Redactor) -> Any:
    if isinstance(form, str):
        if form.startswith("sha256:"):
            return form
        scrubbed = redactor.scrub(form)
        if scrubbed == form:
            return _literal(form, form)
        return "~(?s)" + ".*".join(re.escape(part) for part in scrubbed.split(PLACEHOLDER))
    return _patterns(form, redactor.json_value(form))


def _patterns(original: Any, redacted: Any) -> Any:
    """``redacted`` as match values: its strings literal, what redaction changed any text."""
    if isinstance(original, dict) and isinstance(redacted, dict):
        # Side by side, not by key: redaction may have changed a key that held a secret.
        pairs = zip(original.values(), redacted.items(), strict=False)
        return {key: _patterns(before, value) for before, (key, value) in pairs}
    if isinstance(original, list) and isinstance(redacted, list):
        return [_patterns(a, b) for a, b in zip(original, redacted, strict=True)]
    if original != redacted:
        return _ANY_TEXT
    return _literal(original, original) if isinstance(original, str) else original


def canonical(value: Any) -> str:
    """One spelling per JSON value, so key order and spacing never make a difference."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
