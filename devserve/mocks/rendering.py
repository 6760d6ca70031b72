"""One mock response as written (a Source), compiled, and rendered to status, headers and bytes.

Everything a template produced is checked before it is sent: a status must be 100-599, a header
value one line of Latin-1 without control characters, the body JSON-serializable and the whole
response under the size limit. Any failure is a RenderError with the reason, which becomes a 500
that names it. This module imports no pydantic: renderer processes load it and start fast.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from devserve.media import media_type
from devserve.mocks.sandbox import GuardedEnvironment
from devserve.mocks.templates import Node, RenderError, as_text, compile_value

# What no header value may hold (RFC 9110 allows visible characters, space and tab): CR and LF
# would split the header, and HTTP servers drop the connection on the other control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
Kind = Literal["json", "body", "file", "empty"]


class _Invalid(Exception):
    """What a template gave cannot be sent: ``key: why``."""


@dataclass(frozen=True)
class Rendered:
    status: int
    headers: list[tuple[str, str]]
    content: bytes
    media_type: str | None


@dataclass(frozen=True)
class Source:
    """A response as the config writes it: plain data, so it can be sent to a renderer process."""

    where: str  # its key path, for the reasons of a 500
    status: Any
    headers: tuple[tuple[str, Any], ...]  # one item per header line
    kind: Kind
    content: Any  # the json value or the body text
    file: Path | None


@dataclass(frozen=True)
class Program:
    """What a renderer process compiles once, then renders per request: plain data."""

    response: Source
    shared: tuple[tuple[str, Any, str], ...]  # the route's shared headers: name, value, key path
    max_bytes: int
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # By content: the same response after a config reload reuses what renderers compiled.
        parts = (self.response, self.shared, self.max_bytes)
        digest = hashlib.blake2b(pickle.dumps(parts, protocol=5), digest_size=16).hexdigest()
        object.__setattr__(self, "key", digest)


@dataclass(frozen=True)
class Compiled:
    """A Source with every template in it compiled."""

    source: Source
    status: Node
    headers: tuple[tuple[str, Node], ...]
    content: Node | None

    @property
    def templated(self) -> bool:
        return (
            self.status.templated
            or any(node.templated for _, node in self.headers)
            or (self.content is not None and self.content.templated)
        )


def compile_source(
    source: Source,
    *,
    env: GuardedEnvironment,
    problems: list[str],
    names: set[str],
    literal: bool = False,
) -> Compiled:
    """Compile every template of ``source``; syntax errors go to ``problems`` with their key."""

    def compiled(value: Any, key: str) -> Node:
        where = f"{source.where}.{key}"
        return compile_value(
            value, env=env, where=where, problems=problems, names=names, literal=literal
        )

    status = compiled(source.status, "status")
    headers = tuple((name, compiled(value, f"headers.{name}")) for name, value in source.headers)
    content = None
    if source.kind in ("json", "body"):
        content = compiled(source.content, source.kind)
    return Compiled(source, status, headers, content)


def render(
    compiled: Compiled,
    data: dict[str, Any],
    *,
    extra_headers: Sequence[tuple[str, Node]] = (),
    max_bytes: int,
) -> Rendered:
    """Render status, headers and body; RenderError says what went wrong where."""
    try:
        return _render(compiled, data, extra_headers, max_bytes)
    except _Invalid as exc:  # a template's own errors name their key already
        raise RenderError(f"{compiled.source.where}.{exc}") from exc


def _render(
    compiled: Compiled,
    data: dict[str, Any],
    extra_headers: Sequence[tuple[str, Node]],
    max_bytes: int,
) -> Rendered:
    source = compiled.source
    status = _status(compiled.status.render(data))
    # The response's own headers replace the route's shared ones of the same name.
    own = {name.lower() for name, _ in compiled.headers}
    shared = [(name, node) for name, node in extra_headers if name.lower() not in own]
    headers = [
        (name, _header_value(name, node.render(data)))
        for name, node in (*shared, *compiled.headers)
    ]
    media: str | None = None
    if source.kind == "file":
        content, media = _read(source), media_type(source.file.name if source.file else "")
    elif source.kind == "empty":
        content = b""
    else:
        assert compiled.content is not None
        content, media = _content(source.kind, compiled.content.render(data))
    size = len(content) + sum(len(name) + len(value) for name, value in headers)
    if size > max_bytes:
        raise _Invalid(f"{source.kind}: over the size limit of {max_bytes:,} bytes")
    if any(name.lower() == "content-type" for name, _ in headers):
        media = None
    return Rendered(status, headers, content, media)


def _content(kind: Kind, value: Any) -> tuple[bytes, str]:
    try:
        if kind == "json":
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
            return text.encode(), "application/json"
        return as_text(value).encode(), "text/plain; charset=utf-8"
    except (ValueError, TypeError) as exc:  # NaN, a number too long to print, a surrogate
        raise _Invalid(f"{kind}: the value cannot be sent ({exc})") from exc


def _read(source: Source) -> bytes:
    assert source.file is not None
    try:
        return source.file.read_bytes()  # on every request: edits show at once
    except OSError as exc:
        # The reason may be sent to any page: the key path names the file, not its path.
        reason = exc.strerror or type(exc).__name__
        raise _Invalid(f"file: cannot read the file ({reason})") from exc


def _status(value: Any) -> int:
    try:
        status = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        status = -1
    if not 100 <= status <= 599:
        raise _Invalid(f"status: {_shown(value)} is not an HTTP status (100-599)")
    return status


def _shown(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "a number"
    return text if len(text) <= 60 else text[:57] + "..."


def _header_value(name: str, value: Any) -> str:
    try:
        text = "" if value is None else as_text(value)
    except (ValueError, TypeError) as exc:
        raise _Invalid(f"headers.{name}: the value cannot be sent ({exc})") from exc
    if "\r" in text or "\n" in text:
        raise _Invalid(f"headers.{name}: the value contains a line break")
    found = _CONTROL.search(text)
    if found is not None:
        raise _Invalid(
            f"headers.{name}: the value contains a control character "
            f"({found.group()!r}); percent-encode it"
        )
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise _Invalid(
            f"headers.{name}: the value has characters outside Latin-1; percent-encode them"
        ) from None
    return text
