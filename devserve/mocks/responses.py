"""One mock response: compiled from its config, rendered to status, headers and bytes.

Everything a template produced is checked before it is sent: a status must be 100-599, a
header value one line of Latin-1, the body JSON-serializable and under the size limit. Any
failure is a RenderError with the reason, which becomes a 500 that names it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devserve.config.mocks import MockResponse
from devserve.media import media_type
from devserve.mocks.sandbox import GuardedEnvironment
from devserve.mocks.templates import Node, RenderError, as_text, compile_value

_FORBIDDEN_IN_HEADERS = ("\r", "\n", "\x00")


class _Invalid(Exception):
    """What a template gave cannot be sent: ``key: why``."""


@dataclass(frozen=True)
class Rendered:
    status: int
    headers: list[tuple[str, str]]
    content: bytes
    media_type: str | None


@dataclass(frozen=True)
class ResponseTemplate:
    """A response ready to render: every template in it compiled."""

    where: str  # its key path, for the reasons of a 500
    spec: MockResponse
    status: Node
    headers: tuple[tuple[str, Node], ...]
    content: Node | None
    file: Path | None
    # A response without templates renders the same every time: rendered once, kept here.
    rendered: dict[str, Rendered] = field(default_factory=dict, compare=False, hash=False)

    @property
    def templated(self) -> bool:
        return (
            self.status.templated
            or any(node.templated for _, node in self.headers)
            or (self.content is not None and self.content.templated)
        )


def compile_response(
    spec: MockResponse,
    *,
    env: GuardedEnvironment,
    where: str,
    problems: list[str],
    names: set[str],
    literal: bool = False,
) -> ResponseTemplate:
    def compiled(value: Any, key: str) -> Node:
        return compile_value(
            value, env=env, where=f"{where}.{key}", problems=problems, names=names, literal=literal
        )

    status = compiled(spec.status, "status")
    headers = tuple(
        (name, compiled(value, f"headers.{name}")) for name, value in header_items(spec.headers)
    )
    content = None
    if spec.json_body is not None:
        content = compiled(spec.json_body, "json")
    elif spec.body is not None:
        content = compiled(spec.body, "body")
    return ResponseTemplate(where, spec, status, headers, content, spec.file)


def header_items(headers: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    """Each header line: a list value gives one line per item, in order."""
    return [
        (name, item)
        for name, value in headers.items()
        for item in (value if isinstance(value, list) else [value])
    ]


def render_response(
    template: ResponseTemplate,
    data: dict[str, Any],
    *,
    extra_headers: Sequence[tuple[str, Node]] = (),
    max_bytes: int,
) -> Rendered:
    """Render status, headers and body; RenderError says what went wrong where."""
    fixed = (
        not template.templated
        and template.file is None  # read on every request, so edits show at once
        and not any(node.templated for _, node in extra_headers)
    )
    if fixed and (done := template.rendered.get("fixed")) is not None:
        return done
    try:
        rendered = _render(template, data, extra_headers, max_bytes)
    except _Invalid as exc:  # a template's own errors name their key already
        raise RenderError(f"{template.where}.{exc}") from exc
    if fixed:
        template.rendered["fixed"] = rendered
    return rendered


def _render(
    template: ResponseTemplate,
    data: dict[str, Any],
    extra_headers: Sequence[tuple[str, Node]],
    max_bytes: int,
) -> Rendered:
    spec = template.spec
    status = _status(template.status.render(data))
    # The response's own headers replace the route's shared ones of the same name.
    own = {name.lower() for name, _ in template.headers}
    shared = [(name, node) for name, node in extra_headers if name.lower() not in own]
    headers = [
        (name, _header_value(name, node.render(data)))
        for name, node in (*shared, *template.headers)
    ]
    media: str | None = None
    if spec.json_body is not None:
        assert template.content is not None
        try:
            text = json.dumps(template.content.render(data), ensure_ascii=False, allow_nan=False)
        except (ValueError, TypeError) as exc:
            raise _Invalid(f"json: the value is not valid JSON ({exc})") from exc
        content, media = text.encode(), "application/json"
    elif spec.body is not None:
        assert template.content is not None
        content, media = (
            as_text(template.content.render(data)).encode(),
            "text/plain; charset=utf-8",
        )
    elif template.file is not None:
        try:
            content = template.file.read_bytes()  # on every request: edits show at once
        except OSError as exc:
            # The reason may be sent to any page: the key path names the file, not its path.
            reason = exc.strerror or type(exc).__name__
            raise _Invalid(f"file: cannot read the file ({reason})") from exc
        media = media_type(template.file.name)
    else:
        content = b""
    if len(content) > max_bytes:
        raise _Invalid(f"{_kind(spec)}: over the size limit of {max_bytes:,} bytes")
    if any(name.lower() == "content-type" for name, _ in headers):
        media = None
    return Rendered(status, headers, content, media)


def _kind(spec: MockResponse) -> str:
    return "json" if spec.json_body is not None else "body" if spec.body is not None else "file"


def _status(value: Any) -> int:
    try:
        status = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        status = -1
    if not 100 <= status <= 599:
        raise _Invalid(f"status: {value!r} is not an HTTP status (100-599)")
    return status


def _header_value(name: str, value: Any) -> str:
    text = "" if value is None else as_text(value)
    if any(char in text for char in _FORBIDDEN_IN_HEADERS):
        raise _Invalid(f"headers.{name}: the value contains a line break or NUL")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise _Invalid(
            f"headers.{name}: the value has characters outside Latin-1; percent-encode them"
        ) from None
    return text
