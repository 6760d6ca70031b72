"""Undo ``Content-Encoding`` chunk by chunk, so recordings hold bodies a person can read and edit.

The browser still gets the upstream's bytes as they came; only what is written down is decoded.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli
import zstandard


class _Step(Protocol):
    def feed(self, data: bytes) -> bytes: ...


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._decoder = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes) -> bytes:
        if not self._started and self._wbits == zlib.MAX_WBITS:
            self._started = True
            try:
                return self._decoder.decompress(data)
            except zlib.error:
                # "deflate" is meant to be zlib-wrapped; some servers send it raw
                # (RFC 9110 8.4.1.2).
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._decoder.decompress(data)


class _Brotli:
    def __init__(self) -> None:
        self._decoder = brotli.Decompressor()

    def feed(self, data: bytes) -> bytes:
        return bytes(self._decoder.process(data))


class _Zstd:
    def __init__(self) -> None:
        self._decoder = zstandard.ZstdDecompressor().decompressobj()

    def feed(self, data: bytes) -> bytes:
        return bytes(self._decoder.decompress(data))


def _step(coding: str) -> _Step | None:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if coding == "br":
        return _Brotli()
    if coding == "zstd":
        return _Zstd()
    return None


class UnknownEncoding(ValueError):
    """A ``Content-Encoding`` devserve cannot undo: the body is passed on but not recorded."""


class Decoder:
    """Decodes a body encoded with ``content_encoding`` (``"gzip"``, ``"br, gzip"``, ...)."""

    def __init__(self, content_encoding: str | None) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        steps: list[_Step] = []
        # Codings are listed in the order they were applied: undo them last first.
        for coding in reversed(codings):
            if coding == "identity":
                continue
            step = _step(coding)
            if step is None:
                raise UnknownEncoding(coding)
            steps.append(step)
        self._steps = steps

    def feed(self, data: bytes) -> bytes:
        """Decode the next chunk; raises ValueError (or the codec's error) on a corrupt body."""
        for step in self._steps:
            data = step.feed(data)
        return data
