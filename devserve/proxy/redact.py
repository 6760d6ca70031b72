"""Secrets out of everything written down: headers, query parameters, JSON fields, echoed values.

On by default, for every write (recording, "save as mock"): the cassettes of VCR.py and Polly.js
leak tokens because redaction there is opt-in. Placeholders keep the shape of what was there, so
a recording still reads as the real exchange.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

from devserve.config.proxy import Redact
from devserve.errors import DevserveError
from devserve.proxy.secretnames import SECRET_HEADERS, SECRET_PARAMS, is_secret_name
from devserve.proxy.spellings import SHORTEST_ANYWHERE, Search, searches

PLACEHOLDER = "REDACTED"
# Where a short cookie value counts as echoed: right after its name (`sid=ab12`, `"sid": "ab12"`).
_AFTER_NAME = r"(?:=|%3[dD]|\\*\"\s*:\s*\\*\")"


class Unredactable(DevserveError):
    """A body whose secrets cannot be found (JSON nested too deeply to walk): not written."""


Pair = tuple[str, str]
# What a string that is a JSON document may start with (an object or array, maybe after space).
_JSON_STARTS = frozenset("{[ \t\r\n")


@dataclass
class Redactor:
    """The redaction rules of one origin (built-in lists plus its ``redact`` table)."""

    headers: frozenset[str] = SECRET_HEADERS
    params: frozenset[str] = SECRET_PARAMS
    json_paths: tuple[tuple[str, ...], ...] = ()
    # Values known to be secret (proxy_headers, then a request's), scrubbed wherever they turn
    # up; one under SHORTEST_ANYWHERE characters only as a whole word.
    secrets: list[str] = field(default_factory=list, repr=False)
    # Short cookie values (`theme=en`): scrubbed only next to their name, being far more often
    # preferences than secrets, and likely to turn up anywhere as a word.
    cookies: list[Pair] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, config: Redact, proxy_headers: dict[str, str]) -> Redactor:
        redactor = cls(
            headers=SECRET_HEADERS | {h.lower() for h in config.headers},
            params=SECRET_PARAMS | {p.lower() for p in config.query},
            json_paths=tuple(tuple(path.split(".")) for path in config.json_paths),
        )
        return redactor._with_headers(list(proxy_headers.items()), every=True)

    def header(self, name: str, value: str) -> str:
        """A header value as written down; ``Set-Cookie`` keeps its name and attributes."""
        if not is_secret_name(name, self.headers):
            return self.scrub(value)
        if name.lower() == "set-cookie":
            cookie, _, attributes = value.partition(";")
            cookie_name = cookie.split("=", 1)[0].strip()
            return f"{cookie_name}={PLACEHOLDER}" + (f";{attributes}" if attributes else "")
        return PLACEHOLDER

    def query_value(self, name: str, value: str) -> str:
        """A query parameter's value as written down."""
        return PLACEHOLDER if is_secret_name(name, self.params) else self.scrub(value)

    def for_exchange(
        self,
        *,
        request: list[tuple[str, str]],
        query: str,
        body: bytes | None,
        response: list[tuple[str, str]],
    ) -> Redactor:
        """These rules plus the secret values of one exchange, to scrub where they are echoed:
        secret headers both ways (the response's ``Set-Cookie`` too), query parameters, and
        fields of a JSON or form request body."""
        secrets = [v for n, v in parse_qsl(query, keep_blank_values=True) if self._param(n)]
        if body:
            secrets.extend(self._body_secrets(body))
        more = replace(self, secrets=[*self.secrets, *secrets])
        return more._with_headers([*request, *response])

    def scrub(self, text: str) -> str:
        """``text`` with every known secret value, in any spelling, replaced by the placeholder."""
        if self._anchors is None or not self._anchors.search(text):
            return text
        for search in self._anywhere:
            text = search.sub(PLACEHOLDER, text)
        for search in self._named:
            text = search.sub(_after_name, text)
        return text

    def body(self, content: bytes, media_type: str) -> bytes:
        """A body as written down: JSON fields by name and path, known values anywhere.

        A text body that is JSON is searched by field name too (written again only if that
        found something). Raises Unredactable for JSON too deeply nested to walk.
        """
        if "json" in media_type or content.lstrip()[:1] in (b"{", b"["):
            try:
                data = json.loads(content)
                redacted = self.json_value(data)
                if "json" in media_type or redacted != data:
                    return _dumped(redacted, indent=2).encode()
            except RecursionError:
                raise Unredactable("the JSON body is nested too deeply to redact") from None
            except ValueError:
                pass  # not JSON after all (or not UTF-8): scrubbed as text
        text = content.decode("utf-8", "surrogateescape")
        return self.scrub(text).encode("utf-8", "surrogateescape")

    def json_value(self, data: Any) -> Any:
        """A parsed JSON value with secret fields (by name, by configured path, inside JSON
        strings too) replaced, and known secret values scrubbed from every string."""
        return self._json(data, ())

    @functools.cached_property
    def _anywhere(self) -> tuple[Search, ...]:
        return searches(self.secrets)

    @functools.cached_property
    def _named(self) -> tuple[Search, ...]:
        return tuple(
            Search.of(value, rf"(?P<lead>(?<![\w-]){re.escape(name)}{_AFTER_NAME})")
            for name, value in sorted(set(self.cookies))
        )

    @functools.cached_property
    def _anchors(self) -> re.Pattern[str] | None:
        """What a text must hold for any search to find something (a first, quick look)."""
        anchors = {search.anchor for search in (*self._anywhere, *self._named)}
        if not anchors:
            return None
        return re.compile("|".join(re.escape(anchor) for anchor in sorted(anchors)))

    @functools.cached_property
    def _exact(self) -> frozenset[str]:
        return frozenset(self.secrets)

    def _param(self, name: str) -> bool:
        return is_secret_name(name, self.params)

    def _with_headers(self, headers: list[tuple[str, str]], *, every: bool = False) -> Redactor:
        """These rules plus the secret values in ``headers`` (``every``: all of them are)."""
        secrets, cookies = list(self.secrets), list(self.cookies)
        for name, value in headers:
            lowered = name.lower()
            if lowered in ("cookie", "set-cookie"):
                pairs = value.split(";")[:1] if lowered == "set-cookie" else value.split(";")
                for pair in pairs:
                    cookie, equals, cookie_value = pair.partition("=")
                    cookie_value = cookie_value.strip().strip('"')
                    if not equals or not cookie_value:
                        continue
                    if len(cookie_value) >= SHORTEST_ANYWHERE:
                        secrets.append(cookie_value)
                    else:
                        cookies.append((cookie.strip(), cookie_value))
            elif is_secret_name(name, self.headers):
                secrets.extend(_parts(value))
            elif every and len(value.strip()) >= SHORTEST_ANYWHERE:
                secrets.append(value.strip())  # a proxy header, short ones as likely chance
        return replace(self, secrets=secrets, cookies=cookies)

    def _body_secrets(self, body: bytes) -> Iterator[str]:
        """The values of secret fields in a JSON or form body."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            text = body.decode("utf-8", "replace")
            yield from (v for n, v in parse_qsl(text, keep_blank_values=True) if self._param(n))
            return
        yield from self._secret_values(data, ())

    def _secret_values(self, data: Any, path: tuple[str, ...]) -> Iterator[str]:
        if isinstance(data, dict):
            for key, value in data.items():
                if self._secret_field(key, (*path, key), value):
                    yield from _scalars(value)
                else:
                    yield from self._secret_values(value, (*path, key))
        elif isinstance(data, list):
            for index, item in enumerate(data):
                yield from self._secret_values(item, (*path, str(index)))

    def _json(self, data: Any, path: tuple[str, ...]) -> Any:
        if isinstance(data, dict):
            return {
                self.scrub(key): PLACEHOLDER
                if self._secret_field(key, (*path, key), value) or self._cookie(key, value)
                else self._json(value, (*path, key))
                for key, value in data.items()
            }
        if isinstance(data, list):
            return [self._json(item, (*path, str(index))) for index, item in enumerate(data)]
        if isinstance(data, str):
            return self.scrub(self._json_in_string(data))
        if isinstance(data, int | float) and not isinstance(data, bool):
            return PLACEHOLDER if json.dumps(data) in self._exact else data
        return data

    def _json_in_string(self, text: str) -> str:
        """A string that is itself a JSON document (an echoed body), its secret fields hidden."""
        if not text or text[0] not in _JSON_STARTS or text.lstrip()[:1] not in ("{", "["):
            return text
        try:
            data = json.loads(text)
        except ValueError:
            return text
        redacted = self._json(data, ())
        return text if redacted == data else _dumped(redacted)

    def _cookie(self, key: str, value: Any) -> bool:
        return isinstance(value, str) and (key, value) in self.cookies

    def _secret_field(self, key: str, path: tuple[str, ...], value: Any) -> bool:
        """A configured path, whatever it holds; a secret-sounding name, if it holds a value
        (``"tokens": {...}`` is searched further instead)."""
        if any(_path_matches(pattern, path) for pattern in self.json_paths):
            return True
        return is_secret_name(key, self.params) and not isinstance(value, dict | list)


def _after_name(match: re.Match[str]) -> str:
    return match.group("lead") + PLACEHOLDER


def _dumped(value: Any, indent: int | None = None) -> str:
    """JSON text, non-ASCII kept readable unless it holds a lone surrogate (not UTF-8)."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(value, indent=indent)
    return text


def _path_matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(pattern) == len(path) and all(
        p in ("*", part) for p, part in zip(pattern, path, strict=True)
    )


def _scalars(value: Any) -> Iterator[str]:
    """Every string and number in a JSON value, as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield json.dumps(value)


def _parts(value: str) -> list[str]:
    """A secret header's value and its token (``Bearer abc`` -> both)."""
    parts = [value.strip()]
    scheme, _, token = value.strip().partition(" ")
    if token and scheme.isalpha():
        parts.append(token.strip())
    return parts
