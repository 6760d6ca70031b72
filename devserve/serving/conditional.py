"""Conditional and range requests: when a GET may be answered 304, and which bytes a Range asks."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Literal

from starlette.datastructures import Headers

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_DIGITS = re.compile(rb"\d+")
# No file has 10**19 bytes: a longer number means the same as this one, for any file.
_LARGEST = b"9" * 19


def not_modified(request: Headers, response: Headers) -> bool:
    """Whether a conditional GET may be answered 304 (RFC 9110 13.1.2-13.1.3)."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        # RFC 9110 13.1.3: If-None-Match overrides If-Modified-Since and compares weakly.
        if if_none_match.strip() == "*":
            return True
        etag = response["etag"].removeprefix("W/")
        return etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    if_modified_since = request.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
        return since >= parsedate_to_datetime(response["last-modified"])
    except (TypeError, ValueError):  # unparsable, or a date without a zone against one with
        return False


def plain_range(value: bytes) -> bytes:
    """A ``bytes=`` Range with every number in plain form: leading zeros dropped, any number
    beyond every file size capped. RFC 9110 allows as many digits as a client likes; Python's
    int() refuses more than 4,300, so 5,000 zeros before a 1 would otherwise be a 500."""
    return _DIGITS.sub(_plain_number, value)


def _plain_number(match: re.Match[bytes]) -> bytes:
    digits = match.group().lstrip(b"0") or b"0"
    return digits if len(digits) <= len(_LARGEST) else _LARGEST


def single_range(header: str, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """The ``(start, end)`` (inclusive) of a one-part ``bytes=`` Range over ``size`` bytes.

    None: not one satisfiable-or-not byte range we handle here (other units, several parts —
    the caller may ignore it, RFC 9110 14.2); "unsatisfiable": answer 416.
    """
    match = _SINGLE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return (max(size - length, 0), size - 1) if size else "unsatisfiable"
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return "unsatisfiable"
    return start, end
