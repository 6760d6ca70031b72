"""The resource file's bytes for a write, fast on a big file and equal byte for byte to
``data.dump`` (json-server's ``JSON.stringify(db, null, 2)``).

Items are encoded by orjson in chunks (each call short, so the event loop's thread gets the
GIL between them), orjson's floats are rewritten as JavaScript prints them, and a chunk
orjson refuses (a lone surrogate, an integer past 64 bits, deep nesting) is encoded by
``data.dump``'s own rules. The bytes of each chunk are kept with the very item objects they
were made from: a later write re-encodes only chunks whose items are not those same objects,
so writes must never change an item in place (they put a changed copy in its place).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import orjson

from devserve.mocks.resources.data import dump_value, encode_key, javascript_order
from devserve.mocks.resources.jsvalue import number_string

CHUNK_ITEMS = 500  # ~0.2 ms of orjson for typical items: the GIL is never held long
_INDENT = orjson.OPT_INDENT_2
# orjson's floats that JavaScript prints otherwise: integral ones ("3.0": JavaScript "3") and
# those with an exponent ("1e16" or "1e+16" by version, "1e-6": JavaScript "10000000000000000",
# "0.000001"). In indented output a number always ends its line, and a string never does
# (a line break inside a string is escaped), so these patterns find numbers only.
_ODD_FLOATS = (re.compile(rb"\.0,?\n"), re.compile(rb"e[-+]?[0-9]+,?\n"))
_NUMBER = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?")
# A key JavaScript may take for an array index, which it lists before the others; orjson
# keeps the dict's order, so such an object goes data.dump's way. (An escaped quote inside a
# key may match too: that costs the slow way, never a wrong byte.)
_INDEX_KEY = re.compile(rb'"[0-9]+": ')


def javascript_numbers(text: bytes) -> bytes:
    """orjson's indented ``text`` with every float printed as JavaScript prints it."""
    spans = sorted({m.end() for pattern in _ODD_FLOATS for m in pattern.finditer(text)})
    if not spans:
        return text
    parts: list[bytes] = []
    done = 0
    for line_end in spans:
        end = line_end - 1  # the line break
        if text[end - 1 : end] == b",":
            end -= 1
        start = text.rfind(b" ", 0, end) + 1
        token = text[start:end]
        if not _NUMBER.fullmatch(token):
            continue
        parts += [text[done:start], number_string(float(token)).encode()]
        done = end
    parts.append(text[done:])
    return b"".join(parts)


def _orjson(value: Any) -> bytes | None:
    """orjson's indented bytes for ``value``, or None where they would not be data.dump's."""
    try:
        text = orjson.dumps(value, option=_INDENT)
    except TypeError:  # orjson's JSONEncodeError: a surrogate, a big integer, deep nesting
        return None
    return None if _INDEX_KEY.search(text) else javascript_numbers(text)


def _items_text(items: list[Any]) -> bytes:
    """``items`` as they sit in a collection of the file: four spaces in, a comma and a line
    break between them."""
    text = _orjson([items])
    if text is None:
        return b",\n".join([b"    " + dump_value(item, "    ") for item in items])
    return text[6:-6]  # without "[\n  [\n" and "\n  ]\n]"


def _member_text(key: str, value: Any) -> bytes:
    """``"key": value`` as a member of the file's top-level object, two spaces in."""
    text = _orjson({"": value})
    if text is None:
        return b"  " + encode_key(key) + b": " + dump_value(value, "  ")
    return b"  " + encode_key(key) + text[6:-2]  # without '{\n  ""' and "\n}"


@dataclass
class _Chunk:
    items: list[Any]  # held, so that no other object can take their identities meanwhile
    text: bytes


@dataclass
class _Member:
    value: Any
    text: bytes  # for a collection: "  "key": [\n"; else the whole member
    chunks: list[_Chunk]


class FileText:
    """Makes the file's bytes for the data of one store, re-encoding only what changed."""

    def __init__(self) -> None:
        self._members: dict[str, _Member] = {}

    def forget(self) -> None:
        self._members = {}

    def render(self, data: dict[str, Any]) -> list[bytes]:
        """The file's bytes (to be written one after the other): ``data.dump(data)``."""
        if not data:
            self._members = {}
            return [b"{}\n"]
        parts = [b"{\n"]
        members: dict[str, _Member] = {}
        for position, (key, value) in enumerate(javascript_order(data)):
            if position:
                parts.append(b",\n")
            member = members[key] = self._member(key, value)
            parts.append(member.text)
            if member.chunks:
                parts += _joined(member.chunks)
        parts.append(b"\n}\n")
        self._members = members
        return parts

    def _member(self, key: str, value: Any) -> _Member:
        known = self._members.get(key)
        if not isinstance(value, list) or not value:
            if known is not None and known.value is value and not known.chunks:
                return known
            return _Member(value, _member_text(key, value), [])
        head = b"  " + encode_key(key) + b": [\n"
        return _Member(value, head, _chunks(value, known.chunks if known else []))


def _joined(chunks: list[_Chunk]) -> list[bytes]:
    parts: list[bytes] = []
    for index, chunk in enumerate(chunks):
        parts += [b",\n" if index else b"", chunk.text]
    parts.append(b"\n  ]")
    return parts


def _chunks(items: list[Any], known: list[_Chunk]) -> list[_Chunk]:
    """``items`` in chunks: those of ``known`` that still hold the same objects in the same
    order, and new ones for the rest (at most CHUNK_ITEMS items each)."""
    starts: dict[Hashable, _Chunk] = {id(chunk.items[0]): chunk for chunk in known}
    chunks: list[_Chunk] = []
    position, total = 0, len(items)
    while position < total:
        chunk = starts.get(id(items[position]))
        if chunk is not None and _same(chunk.items, items, position):
            chunks.append(chunk)
            position += len(chunk.items)
            continue
        start = position
        if chunks and len(chunks[-1].items) < CHUNK_ITEMS // 2:
            start -= len(chunks.pop().items)  # merged with a short neighbour: no crumbs
        position += 1
        while position < total and position - start < CHUNK_ITEMS:
            if id(items[position]) in starts:
                break
            position += 1
        fresh = items[start:position]
        chunks.append(_Chunk(fresh, _items_text(fresh)))
    return chunks


def _same(held: list[Any], items: list[Any], position: int) -> bool:
    end = position + len(held)
    return end <= len(items) and all(map(operator.is_, held, items[position:end]))
