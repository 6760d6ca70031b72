"""When two requests are "the same" for a recording, and in words, how two requests differ."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from devserve.config.model import RecordMatch
from devserve.proxy.redact import Redactor

# A matched body longer than this is kept as its digest: a recording is meant to be read.
_LONGEST_KEPT_BODY = 4096


@dataclass(frozen=True, eq=False)
class RequestKey:
    """What a recording is found by: method, path, query and the opt-in parts (all redacted)."""

    method: str
    path: str
    query: str = ""
    body: Any = None  # only when matching on bodies: a JSON value, text, or "sha256:..."
    headers: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """``GET /users?page=2`` (redacted, so safe to show)."""
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''}"

    @property
    def identity(self) -> tuple[str, str, str, str, tuple[tuple[str, str], ...]]:
        """Equal for the same request (hashable: a JSON body is compared by its spelling)."""
        return (self.method, self.path, self.query, canonical(self.body), self.headers)

    def same_request(self, other: RequestKey) -> bool:
        return self.identity == other.identity

    def differences(self, recorded: RequestKey) -> list[str]:
        """What this request has that the ``recorded`` one does not, one phrase each."""
        found: list[str] = []
        if self.method != recorded.method:
            found.append(f"method: recorded {recorded.method}, got {self.method}")
        if self.path != recorded.path:
            found.append(f"path: recorded {recorded.path}, got {self.path}")
        if self.query != recorded.query:
            found.extend(_query_differences(self.query, recorded.query))
        if canonical(self.body) != canonical(recorded.body):
            found.append("body: differs from the recorded request body")
        mine, theirs = dict(self.headers), dict(recorded.headers)
        for name in sorted(set(mine) | set(theirs)):
            if mine.get(name) != theirs.get(name):
                found.append(
                    f"header {name}: recorded {_shown(theirs.get(name))}, "
                    f"got {_shown(mine.get(name))}"
                )
        return found


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
    matched_headers = tuple(
        (name.lower(), redactor.header(name, value))
        for wanted in match.headers
        for name, value in headers
        if name.lower() == wanted.lower()
    )
    return RequestKey(
        method=method,
        path=path,
        query=normalized_query(query, match, redactor) if match.query else "",
        body=_redacted(body_form(body), redactor) if match.body and body is not None else None,
        headers=tuple(sorted(matched_headers)),
    )


def normalized_query(query: str, match: RecordMatch, redactor: Redactor) -> str:
    """Parameters sorted by name (repeats keep their order), ignored ones out, secrets hidden."""
    ignored = {name.lower() for name in match.ignore_query}
    pairs = [
        (name, value)
        for name, value in parse_qsl(redactor.query(query), keep_blank_values=True)
        if name.lower() not in ignored
    ]
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def body_form(content: bytes) -> Any:
    """A request body as a recording keeps it: parsed JSON (whatever its Content-Type says:
    pages often post JSON as text/plain), text, or a digest when long or binary."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        pass
    if len(content) <= _LONGEST_KEPT_BODY:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _redacted(form: Any, redactor: Redactor) -> Any:
    if isinstance(form, str):
        return form if form.startswith("sha256:") else redactor.scrub(form)
    return redactor.json_value(form)


def canonical(body: Any) -> str:
    """One spelling per JSON value, so key order and spacing never make a miss."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _query_differences(got: str, recorded: str) -> list[str]:
    mine, theirs = _grouped(got), _grouped(recorded)
    found = []
    for name in sorted(set(mine) | set(theirs)):
        if mine.get(name) != theirs.get(name):
            found.append(
                f"query {name}: recorded {_shown(theirs.get(name))}, got {_shown(mine.get(name))}"
            )
    return found


def _grouped(query: str) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        grouped.setdefault(name, []).append(value)
    return {name: ", ".join(values) for name, values in grouped.items()}


def _shown(value: str | None, limit: int = 80) -> str:
    if value is None:
        return "(none)"
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")
