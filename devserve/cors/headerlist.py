"""A response's header list read as the Fetch standard does: "get" and "extract" list values."""

from __future__ import annotations

from collections.abc import Iterable

from devserve.cors.standard import is_token, normalize_header_value, split_list

HeaderList = Iterable[tuple[str, str]]


class Unparsable(str):
    """The raw value of a list header that is not a comma-separated list of tokens."""


def get_all(headers: list[tuple[str, str]], name: str) -> list[str]:
    """Every value of the header ``name`` (lowercased), normalized, in order."""
    return [normalize_header_value(v) for key, v in headers if key.lower() == name]


def get_header(headers: list[tuple[str, str]], name: str) -> str | None:
    """A header's value, several values combined with ", " as the Fetch standard's "get" does."""
    values = get_all(headers, name)
    return ", ".join(values) if values else None


def extract(headers: list[tuple[str, str]], name: str) -> list[str] | Unparsable | None:
    """https://fetch.spec.whatwg.org/#extract-header-list-values for a ``#token`` header."""
    value = get_header(headers, name)
    if value is None:
        return None
    items = split_list(value)
    if not all(is_token(item) for item in items):
        return Unparsable(value)
    return items
