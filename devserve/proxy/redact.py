"""Secrets out of everything written down: headers, query parameters, JSON fields, echoed values.

On by default, for every write (recording, "save as mock"): the cassettes of VCR.py and Polly.js
leak tokens because redaction there is opt-in. Placeholders keep the shape of what was there, so
a recording still reads as the real exchange.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

from devserve.config.proxy import Redact

PLACEHOLDER = "REDACTED"

_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
    }
)
_SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "secret",
        "client_secret",
        "password",
        "sig",
        "signature",
        "code",
    }
)
# Names that say "secret" whatever comes around them: x-goog-api-key, stripe_secret, passwd.
_SECRET_WORDS = re.compile(r"api[-_]?key|token|secret|passw(or)?d|signature|credential", re.I)
# Headers that match the words but carry no secret and matter when replaying.
_NOT_SECRET = frozenset({"www-authenticate", "x-ratelimit-reset", "content-security-policy"})
# Values this short are too likely to occur by chance in a body to be scrubbed.
_SHORTEST_SCRUBBED = 6


def _is_secret_name(name: str, listed: frozenset[str]) -> bool:
    lowered = name.lower()
    if lowered in _NOT_SECRET:
        return False
    return lowered in listed or bool(_SECRET_WORDS.search(lowered))


@dataclass
class Redactor:
    """The redaction rules of one origin (built-in lists plus its ``redact`` table)."""

    headers: frozenset[str] = _SECRET_HEADERS
    params: frozenset[str] = _SECRET_PARAMS
    json_paths: tuple[tuple[str, ...], ...] = ()
    # Values known to be secret (proxy_headers), scrubbed wherever they turn up.
    secrets: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, config: Redact, secrets: list[str]) -> Redactor:
        return cls(
            headers=_SECRET_HEADERS | {h.lower() for h in config.headers},
            params=_SECRET_PARAMS | {p.lower() for p in config.query},
            json_paths=tuple(tuple(path.split(".")) for path in config.json_paths),
            secrets=list(secrets),
        )

    def header(self, name: str, value: str) -> str:
        """A header value as written down; ``Set-Cookie`` keeps its name and attributes."""
        if not _is_secret_name(name, self.headers):
            return self.scrub(value)
        if name.lower() == "set-cookie":
            cookie, _, attributes = value.partition(";")
            cookie_name = cookie.split("=", 1)[0].strip()
            return f"{cookie_name}={PLACEHOLDER}" + (f";{attributes}" if attributes else "")
        return PLACEHOLDER

    def query_value(self, name: str, value: str) -> str:
        """A query parameter's value as written down."""
        return PLACEHOLDER if _is_secret_name(name, self.params) else self.scrub(value)

    def for_request(self, headers: list[tuple[str, str]], query: str) -> Redactor:
        """These rules plus this request's secret values (a token, a key), to scrub echoes."""
        secrets = list(self.secrets)
        for name, value in headers:
            if _is_secret_name(name, self.headers):
                secrets.extend(_parts(value))
        for name, value in parse_qsl(query, keep_blank_values=True):
            if _is_secret_name(name, self.params):
                secrets.append(value)
        return replace(self, secrets=secrets)

    def scrub(self, text: str) -> str:
        """``text`` with every known secret value replaced by the placeholder."""
        for secret in self._scrubbed():
            text = text.replace(secret, PLACEHOLDER)
        return text

    def body(self, content: bytes, media_type: str) -> bytes:
        """A body as written down: JSON fields by name and path, then known values anywhere."""
        if "json" in media_type:
            try:
                data = json.loads(content)
            except (ValueError, UnicodeDecodeError):
                pass
            else:
                content = json.dumps(self.json_value(data), ensure_ascii=False, indent=2).encode()
        for secret in self._scrubbed():
            content = content.replace(secret.encode(), PLACEHOLDER.encode())
        return content

    def json_value(self, data: Any) -> Any:
        """A parsed JSON value with secret fields (by name, by configured path) replaced."""
        return self._json(data, ())

    def _scrubbed(self) -> list[str]:
        # Longest first, so a token is not half-replaced through a shorter secret inside it.
        unique = {s for s in self.secrets if len(s) >= _SHORTEST_SCRUBBED}
        return sorted(unique, key=len, reverse=True)

    def _json(self, data: Any, path: tuple[str, ...]) -> Any:
        if isinstance(data, dict):
            return {
                key: PLACEHOLDER
                if self._secret_field(key, (*path, key), value)
                else self._json(value, (*path, key))
                for key, value in data.items()
            }
        if isinstance(data, list):
            return [self._json(item, (*path, str(index))) for index, item in enumerate(data)]
        return data

    def _secret_field(self, key: str, path: tuple[str, ...], value: Any) -> bool:
        """A configured path, whatever it holds; a secret-sounding name, if it holds a value
        (``"tokens": {...}`` is searched further instead)."""
        if any(_path_matches(pattern, path) for pattern in self.json_paths):
            return True
        return _is_secret_name(key, self.params) and not isinstance(value, dict | list)


def _path_matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(pattern) == len(path) and all(
        p in ("*", part) for p, part in zip(pattern, path, strict=True)
    )


def _parts(value: str) -> list[str]:
    """A header value and its token (``Bearer abc`` -> both), cookie values included."""
    parts = [value.strip()]
    scheme, _, token = value.strip().partition(" ")
    if token and scheme.isalpha():
        parts.append(token.strip())
    for cookie in value.split(";"):
        _, equals, cookie_value = cookie.partition("=")
        if equals:
            parts.append(cookie_value.strip())
    return parts
