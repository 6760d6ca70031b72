"""The operations of a spec (method + path template) and which one a request is for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from devserve.mocks.openapi.refs import Documents, Located, pointer
from devserve.mocks.openapi.spec import Spec

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{([^{}/]+)\}")
# Header parameters OpenAPI says to ignore: the media types and security schemes cover them.
_IGNORED_HEADERS = ("accept", "content-type", "authorization")


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation, its ``$ref`` followed."""

    name: str
    location: str  # path, query, header or cookie
    required: bool
    schema: Located  # its $ref followed; an empty dict when the parameter has none
    style: str
    explode: bool
    content: bool  # described by `content` (a JSON value) rather than a schema


@dataclass(frozen=True, eq=False)
class Operation:
    """One operation: ``GET /pets/{petId}`` and its object in the spec."""

    method: str
    template: str
    node: dict[str, Any]
    base: str
    at: str  # JSON pointer of the operation in the spec
    parameters: tuple[Parameter, ...]

    @property
    def label(self) -> str:
        """``GET /pets/{petId}``, with the operationId when the spec gives one."""
        named = self.node.get("operationId")
        return f"{self.method} {self.template}" + (f" ({named})" if isinstance(named, str) else "")


class Router:
    """Finds the operation for a method and a path: concrete paths before templated ones."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        entries: list[tuple[tuple[int, int, str], re.Pattern[str], str, dict[str, Operation]]] = []
        paths = spec.document.get("paths") or {}
        for template, item in paths.items():
            methods = self._operations(template, item)
            if not methods:
                continue
            pattern = re.compile(_pattern(template))
            # Fewer parameters first: /pets/mine wins over /pets/{id}, as OpenAPI says.
            rank = (len(_TEMPLATE.findall(template)), -len(template), template)
            entries.append((rank, pattern, template, methods))
        entries.sort(key=lambda entry: entry[0])
        self._entries = [(pattern, methods) for _, pattern, _, methods in entries]
        self.operations = [op for _, methods in self._entries for op in methods.values()]
        # Indexed by the first path segment, so a spec of a thousand paths tries a handful.
        self._wild = [(p, m) for (_, p, t, m) in entries if _first(t) is None]
        self._by_first: dict[str, list[tuple[re.Pattern[str], dict[str, Operation]]]] = {}
        for entry in entries:
            first = _first(entry[2])
            if first is not None:
                self._by_first.setdefault(first, [])
        for _, pattern, template, methods in entries:  # in rank order, wildcards kept in place
            first = _first(template)
            for key, bucket in self._by_first.items():
                if first is None or first == key:
                    bucket.append((pattern, methods))

    def _operations(self, template: str, item: Any) -> dict[str, Operation]:
        documents = self.spec.documents
        located = documents.follow(Located(item, documents.main, pointer("paths", template)))
        if not isinstance(located.node, dict):
            return {}
        shared = _listed(located.child("parameters"))
        found = {}
        for method in METHODS:
            node = located.node.get(method)
            if not isinstance(node, dict):
                continue
            own = _listed(located.child(method, "parameters"))
            parameters = _parameters(documents, [*shared, *own])
            found[method.upper()] = Operation(
                method.upper(), template, node, located.uri, f"{located.at}/{method}", parameters
            )
        return found

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation for ``method`` (HEAD falls back to GET) on ``path``, with the path
        parameters' raw values; None when no path of the spec fits, or not that method."""
        first = path.split("/", 2)[1] if path.startswith("/") and path != "/" else ""
        for pattern, methods in self._by_first.get(first, self._wild):
            found = pattern.fullmatch(path)
            if found is None:
                continue
            operation = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
            if operation is None:
                return None
            names = _TEMPLATE.findall(operation.template)
            return operation, dict(zip(names, found.groups(), strict=True))
        return None

    def knows(self, path: str) -> bool:
        """Whether some path of the spec fits ``path`` (whatever the method)."""
        return any(pattern.fullmatch(path) for pattern, _ in self._entries)


def _first(template: str) -> str | None:
    """The first segment of a template when it has no parameter (``/pets/{id}``: ``pets``)."""
    first = template.split("/", 2)[1] if template.startswith("/") and template != "/" else ""
    return None if "{" in first else first


def _pattern(template: str) -> str:
    out, last = [], 0
    for found in _TEMPLATE.finditer(template):
        out.append(re.escape(template[last : found.start()]))
        out.append("([^/]+)")
        last = found.end()
    out.append(re.escape(template[last:]))
    return "".join(out)


def _listed(located: Located) -> list[Located]:
    if not isinstance(located.node, list):
        return []
    return [located.child(index) for index in range(len(located.node))]


def _parameters(documents: Documents, raw: list[Located]) -> tuple[Parameter, ...]:
    """Path-level parameters overridden by the operation's own (same name and location)."""
    by_key: dict[tuple[str, str], Parameter] = {}
    for entry in raw:
        located = documents.follow(entry)
        node = located.node
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            continue
        location = str(node.get("in", "query"))
        if location == "header" and node["name"].lower() in _IGNORED_HEADERS:
            continue
        content = node.get("content")
        schema = located.child("schema")
        if isinstance(content, dict) and content:
            schema = located.child("content", next(iter(content)), "schema")
        if schema.node:
            schema = documents.follow(schema)
        style = str(node.get("style") or ("form" if location in ("query", "cookie") else "simple"))
        name = node["name"].lower() if location == "header" else node["name"]
        by_key[(location, name)] = Parameter(
            name=node["name"],
            location=location,
            required=bool(node.get("required", location == "path")),
            schema=schema,
            style=style,
            explode=bool(node.get("explode", style == "form")),
            content=isinstance(content, dict) and bool(content),
        )
    return tuple(by_key.values())


def router_of(spec: Spec) -> Router:
    """The spec's router, built once per loaded spec."""
    router = spec.cache.get("router")
    if router is None:
        router = spec.cache["router"] = Router(spec)
    assert isinstance(router, Router)
    return router
