"""JSON pointers and ``$ref`` resolution across the spec's local files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote, urldefrag, urljoin

# Deeper chains of $ref to $ref are a loop in practice.
_MAX_HOPS = 64


class RefError(Exception):
    """A ``$ref`` that points at nothing."""


def escape(token: str) -> str:
    """One JSON pointer token: ``~`` and ``/`` escaped."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """A JSON pointer from its tokens: ``pointer("paths", "/pets")`` is ``/paths/~1pets``."""
    return "".join("/" + escape(str(token)) for token in tokens)


def lookup(document: Any, fragment: str) -> Any:
    """The value at a URI fragment (a JSON pointer, percent-encoded) of ``document``."""
    fragment = unquote(fragment)
    if fragment in ("", "/"):
        return document
    if not fragment.startswith("/"):
        raise RefError(f"'#{fragment}' is not a JSON pointer (plain-name anchors are not read)")
    node = document
    for raw in fragment[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise RefError(f"nothing at '#{fragment}'")
    return node


class Located(NamedTuple):
    """A node of the spec, the URI of its document and its JSON pointer there."""

    node: Any
    uri: str
    at: str

    def child(self, *tokens: str | int) -> Located:
        """The node under ``tokens`` (no ``$ref`` followed); an empty dict when absent."""
        node: Any = self.node
        for token in tokens:
            if isinstance(node, dict):
                node = node.get(str(token), {})
            elif isinstance(node, list) and isinstance(token, int) and token < len(node):
                node = node[token]
            else:
                node = {}
        return Located(node, self.uri, self.at + pointer(*tokens))

    @property
    def ref(self) -> str:
        """A ``$ref`` that names this node from anywhere."""
        return f"{self.uri}#{self.at}"


class Documents:
    """Every file of a spec by its URI; follows ``$ref`` from one node to what it names."""

    def __init__(self, main: str, documents: dict[str, Any]) -> None:
        self.main = main
        self.documents = documents

    def target(self, ref: str, base: str) -> tuple[Any, str]:
        """What ``ref`` (seen in the document at ``base``) names, and the URI of its document."""
        uri, fragment = urldefrag(urljoin(base, ref))
        if uri not in self.documents:
            raise RefError(f"'{ref}' names a file that is not part of the spec")
        return lookup(self.documents[uri], fragment), uri

    def deref(self, node: Any, base: str) -> tuple[Any, str]:
        """``node`` with every ``$ref`` followed (siblings of a ``$ref`` are dropped)."""
        for _ in range(_MAX_HOPS):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node, base
            node, base = self.target(node["$ref"], base)
        raise RefError("a loop of $ref that point at each other")

    def follow(self, located: Located) -> Located:
        """``located`` with every ``$ref`` followed, its URI and pointer tracked."""
        node, uri, at = located
        for _ in range(_MAX_HOPS):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return Located(node, uri, at)
            target, fragment = urldefrag(urljoin(uri, node["$ref"]))
            node, uri, at = self.target(node["$ref"], uri)[0], target, unquote(fragment)
        raise RefError("a loop of $ref that point at each other")

    def value(self, node: Any, base: str) -> Any:
        """``node`` with its ``$ref`` followed, when the document it comes from does not matter."""
        return self.deref(node, base)[0]


def refs_in(node: Any) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` string under ``node``, with the JSON pointer of the object holding it.

    Pointers are spelled out only for the objects that hold a ``$ref``: a walk of a large spec
    stays a walk, not millions of strings built for nothing."""
    Trail = tuple[Any, ...]  # (parent trail, key) pairs, nested; () at the root
    stack: list[tuple[Any, Trail]] = [(node, ())]
    while stack:
        current, trail = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield ref, _spelled(trail)
            for key, value in current.items():
                if isinstance(value, dict | list):
                    stack.append((value, (trail, key)))
        elif isinstance(current, list):
            for index, value in enumerate(current):
                if isinstance(value, dict | list):
                    stack.append((value, (trail, index)))


def _spelled(trail: tuple[Any, ...]) -> str:
    tokens: list[str | int] = []
    while trail:
        trail, token = trail
        tokens.append(token)
    return pointer(*reversed(tokens))
