"""Mock values as templates: compiled once at config load, rendered keeping their JSON types.

A string that is exactly one ``{{ expr }}`` keeps the type of ``expr`` (a number, a list, an
object, null); any other string containing ``{{`` or ``{%`` renders to text; everything else is
a constant. Rendering runs inside a :func:`devserve.mocks.sandbox.budget`.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from jinja2 import TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.environment import Template, TemplateExpression
from jinja2.runtime import Undefined
from markupsafe import Markup

from devserve.mocks.sandbox import BudgetError, GuardedEnvironment, check_size


class CaseInsensitive(dict[str, Any]):
    """Header names: ``headers.Authorization`` and ``headers['x-api-key']`` both work."""

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class RenderError(Exception):
    """A mock could not be rendered; ``reason`` says where and why, for the 500 and the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@functools.cache
def environment(max_bytes: int) -> GuardedEnvironment:
    """One sandbox per size limit; its template cache is shared by every origin."""
    return GuardedEnvironment(max_bytes=max_bytes)


class Node(Protocol):
    """A compiled value: render it with the request data in scope."""

    @property
    def templated(self) -> bool: ...

    def render(self, data: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Constant:
    value: Any
    templated = False

    def render(self, data: dict[str, Any]) -> Any:
        return self.value


@dataclass(frozen=True)
class Expression:
    """``"{{ expr }}"``: the value of ``expr``, as JSON data."""

    where: str
    expression: TemplateExpression
    templated = True

    def render(self, data: dict[str, Any]) -> Any:
        with _reasons(self.where):
            env = self.expression._template.environment
            assert isinstance(env, GuardedEnvironment)
            return to_json(self.expression(**data), env)


@dataclass(frozen=True)
class Text:
    """Any other template: rendered to a string."""

    where: str
    template: Template
    templated = True

    def render(self, data: dict[str, Any]) -> str:
        with _reasons(self.where):
            parts = list(self.template.root_render_func(self.template.new_context(data)))
            return "".join(parts)


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]
    templated: bool

    def render(self, data: dict[str, Any]) -> list[Any]:
        return [item.render(data) for item in self.items]


@dataclass(frozen=True)
class Object:
    items: tuple[tuple[str, Node], ...]
    templated: bool

    def render(self, data: dict[str, Any]) -> dict[str, Any]:
        return {key: item.render(data) for key, item in self.items}


@contextlib.contextmanager
def _reasons(where: str) -> Iterator[None]:
    """Turn whatever a template raised into a RenderError naming the key and the reason."""
    try:
        yield
    except (RenderError, MemoryError):  # a renderer process reports running out of memory itself
        raise
    except BudgetError as exc:
        raise RenderError(f"{where}: over a limit: {exc}") from exc
    except TemplateError as exc:
        raise RenderError(f"{where}: template error: {exc}") from exc
    except Exception as exc:  # the user's template failing (1 / 0, int('x')), not devserve
        raise RenderError(f"{where}: {type(exc).__name__}: {exc}") from exc


def compile_value(
    value: Any,
    *,
    env: GuardedEnvironment,
    where: str,
    problems: list[str],
    names: set[str],
    literal: bool = False,
) -> Node:
    """Compile every string inside ``value``; syntax errors go to ``problems`` with their key.

    ``names`` collects the request data the templates use (``json``, ``form``, ...). With
    ``literal``, nothing is a template: the value is sent as it is.
    """
    if literal:
        return Constant(value)
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value and "{#" not in value:
            return Constant(value)
        try:
            return _compile_string(value, env, where, names)
        except TemplateSyntaxError as exc:
            line = f" (line {exc.lineno})" if value.count("\n") else ""
            message = (exc.message or "").rstrip(".")
            problems.append(f"{where}: template syntax error: {message}{line}; fix the template")
            return Constant(value)
    if isinstance(value, list):
        items = tuple(
            compile_value(v, env=env, where=f"{where}[{i}]", problems=problems, names=names)
            for i, v in enumerate(value)
        )
        return Array(items, templated=any(item.templated for item in items))
    if isinstance(value, dict):
        pairs = tuple(
            (k, compile_value(v, env=env, where=f"{where}.{k}", problems=problems, names=names))
            for k, v in value.items()
        )
        return Object(pairs, templated=any(node.templated for _, node in pairs))
    return Constant(value)


def _compile_string(source: str, env: GuardedEnvironment, where: str, names: set[str]) -> Node:
    tree = env.parse(source)
    names.update(meta.find_undeclared_variables(tree))
    body = tree.body
    single = len(body) == 1 and isinstance(body[0], nodes.Output) and len(body[0].nodes) == 1
    if single and not isinstance(body[0].nodes[0], nodes.TemplateData):  # type: ignore[attr-defined]
        expr = body[0].nodes[0]  # type: ignore[attr-defined]
        assign = nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)
        template = env.from_string(nodes.Template([assign], lineno=1))
        return Expression(where, TemplateExpression(template, undefined_to_none=True))
    return Text(where, env.from_string(tree))


def to_json(value: Any, env: GuardedEnvironment) -> Any:
    """Turn what an expression gave into JSON data: lists, objects, strings, numbers, null."""
    if isinstance(value, Undefined) or value is None:
        return None
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        check_size(value, env.max_bytes)
        return {str(key): to_json(item, env) for key, item in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        items = []
        for item in env.filters["__devserve_loop"](value):  # generators too, on the budget
            items.append(to_json(item, env))
            check_size(items, env.max_bytes)
        return items
    return str(value)


def as_text(value: Any) -> str:
    """A rendered value where text is needed (a header, a text body): data as JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
