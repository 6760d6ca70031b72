"""Undo ``Content-Encoding`` piece by piece, so recordings hold bodies a person can read and edit.

The browser still gets the upstream's bytes as they came; only what is written down is decoded.
A few KB can decode to gigabytes (a decompression bomb), so nothing is decoded whole: each
coding gives its output in pieces of about ``PIECE`` bytes, and stops with TooLarge once it has
made more than ``limit`` bytes, before it makes the next piece.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli
import zstandard

# The most one coding hands on at a time (Brotli's decoder may give up to twice this).
PIECE = 256 * 1024
# More codings than this on one body is no server's doing.
MOST_CODINGS = 3
# RFC 9659 3: zstd in HTTP uses a window of at most 8 MB; a frame asking for more is refused
# rather than given the memory.
_ZSTD_WINDOW = 8 * 1024 * 1024


class UnknownEncoding(ValueError):
    """A ``Content-Encoding`` devserve cannot undo: the body is passed on but not recorded."""


class TooLarge(ValueError):
    """The body decodes to more than the limit (each coding's output is counted)."""


class _Step(Protocol):
    def pieces(self, data: bytes) -> Iterator[bytes]: ...


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._decoder = zlib.decompressobj(wbits)
        # "deflate" is meant to be zlib-wrapped; some servers send it raw (RFC 9110 8.4.1.2):
        # its first two bytes tell (held until both came).
        self._head: bytes | None = b"" if wbits == zlib.MAX_WBITS else None

    def pieces(self, data: bytes) -> Iterator[bytes]:
        if self._head is not None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            self._head = None
            if not _zlib_header(data):
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        while True:
            out = self._decoder.decompress(data, PIECE)
            left = self._decoder.unconsumed_tail
            if out:
                yield out
            if not left and len(out) < PIECE:
                return  # all input used, and the output limit was not what stopped it
            if not out and left == data:
                return  # no progress: what is left waits for more input
            data = left


def _zlib_header(data: bytes) -> bool:
    """Whether ``data`` starts as a zlib stream does (RFC 1950 2.2: deflate, a valid check)."""
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class _Brotli:
    def __init__(self) -> None:
        self._decoder = brotli.Decompressor()

    def pieces(self, data: bytes) -> Iterator[bytes]:
        # Output held back by the limit comes with empty input, until there is none; input
        # held back (can_accept_more_data() is False) must be drained the same way first.
        out = self._decoder.process(data, output_buffer_limit=PIECE)
        while out or not self._decoder.can_accept_more_data():
            if not out and self._decoder.is_finished():
                return
            if not out:  # input held back, yet nothing came of it: no progress to be made
                raise ValueError("the Brotli decoder is stuck")
            yield bytes(out)
            out = self._decoder.process(b"", output_buffer_limit=PIECE)


class _Collected:
    """Where zstd writes its output: kept in pieces, refused past ``limit`` in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.made = 0
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.made += len(data)
        if self.made > self.limit:
            raise TooLarge
        self.pieces.append(bytes(data))
        return len(data)


class _Zstd:
    """zstandard decodes an input chunk in one call, writing each ``PIECE`` of output to
    ``_Collected`` as it goes, which stops it at the limit."""

    def __init__(self, limit: int) -> None:
        self._out = _Collected(limit)
        decompressor = zstandard.ZstdDecompressor(max_window_size=_ZSTD_WINDOW)
        # Anything with write() will do, whatever the stubs say.
        self._writer = decompressor.stream_writer(self._out, write_size=PIECE)  # type: ignore[arg-type]

    def pieces(self, data: bytes) -> Iterator[bytes]:
        self._writer.write(data)
        made, self._out.pieces = self._out.pieces, []
        yield from made


def _step(coding: str, limit: int) -> _Step | None:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if coding == "br":
        return _Brotli()
    if coding == "zstd":
        return _Zstd(limit)
    return None


class Decoder:
    """Decodes a body encoded with ``content_encoding`` (``"gzip"``, ``"br, gzip"``, ...) into
    at most ``limit`` bytes."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [coding for coding in codings if coding != "identity"]
        if len(codings) > MOST_CODINGS:
            raise UnknownEncoding(f"{', '.join(codings)} (more than {MOST_CODINGS} codings)")
        steps: list[_Step] = []
        # Codings are listed in the order they were applied: undo them last first.
        for coding in reversed(codings):
            step = _step(coding, limit)
            if step is None:
                raise UnknownEncoding(coding)
            steps.append(step)
        self.limit = limit
        self._steps = steps
        self._made = [0] * len(steps)

    @property
    def decodes(self) -> bool:
        """Whether the body is encoded at all."""
        return bool(self._steps)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next chunk; raises TooLarge past the limit, ValueError
        (or the codec's error) on a corrupt body."""
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._steps):
            if data:
                yield data
            return
        # Each coding's output is counted, so a bomb inside another is stopped just as soon.
        for piece in self._steps[index].pieces(data):
            self._made[index] += len(piece)
            if self._made[index] > self.limit:
                raise TooLarge
            yield from self._through(index + 1, piece)
