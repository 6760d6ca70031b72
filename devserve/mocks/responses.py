"""One mock response of the config: its Source, compiled, and what renders it where.

A response with templates is rendered in a renderer process (see ``devserve.mocks.pool``), from
its ``Program``: its Source and the route's shared headers, plain data sent to each renderer
once. A response without templates renders the same every time: here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from devserve.config.mocks import MockResponse
from devserve.mocks.rendering import Compiled, Rendered, Source, compile_source, render
from devserve.mocks.sandbox import GuardedEnvironment
from devserve.mocks.templates import Node


@dataclass(frozen=True)
class ResponseTemplate:
    """A response ready to render: every template in it compiled."""

    spec: MockResponse
    compiled: Compiled
    # A response without templates renders the same every time: rendered once, kept here.
    rendered: dict[str, Rendered] = field(default_factory=dict, compare=False, hash=False)

    @property
    def where(self) -> str:
        return self.compiled.source.where

    @property
    def templated(self) -> bool:
        return self.compiled.templated

    @property
    def reads_file(self) -> bool:
        return self.compiled.source.kind == "file"


def source_of(spec: MockResponse, where: str) -> Source:
    """The response as written, as plain data."""
    if spec.json_body is not None:
        return Source(where, spec.status, header_items(spec.headers), "json", spec.json_body, None)
    if spec.body is not None:
        return Source(where, spec.status, header_items(spec.headers), "body", spec.body, None)
    if spec.file is not None:
        return Source(where, spec.status, header_items(spec.headers), "file", None, spec.file)
    return Source(where, spec.status, header_items(spec.headers), "empty", None, None)


def compile_response(
    spec: MockResponse,
    *,
    env: GuardedEnvironment,
    where: str,
    problems: list[str],
    names: set[str],
    literal: bool = False,
) -> ResponseTemplate:
    source = source_of(spec, where)
    compiled = compile_source(source, env=env, problems=problems, names=names, literal=literal)
    return ResponseTemplate(spec, compiled)


def header_items(headers: dict[str, str | list[str]]) -> tuple[tuple[str, str], ...]:
    """Each header line: a list value gives one line per item, in order."""
    return tuple(
        (name, item)
        for name, value in headers.items()
        for item in (value if isinstance(value, list) else [value])
    )


def render_response(
    template: ResponseTemplate,
    data: dict[str, Any],
    *,
    extra_headers: Sequence[tuple[str, Node]] = (),
    max_bytes: int,
) -> Rendered:
    """Render status, headers and body here; RenderError says what went wrong where."""
    fixed = (
        not template.templated
        and not template.reads_file  # read on every request, so edits show at once
        and not any(node.templated for _, node in extra_headers)
    )
    if fixed and (done := template.rendered.get("fixed")) is not None:
        return done
    rendered = render(template.compiled, data, extra_headers=extra_headers, max_bytes=max_bytes)
    if fixed:
        template.rendered["fixed"] = rendered
    return rendered
