"""Decompression bombs: 1 GiB of zeros in each Content-Encoding, a few KB to 1 MB on the wire.

Built once per test process. The gzip and deflate ones repeat one fully flushed deflate block
(each block after a full flush compresses the same input to the same bytes), with a correct
trailer, so they are valid streams built in milliseconds instead of seconds.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Callable

import brotli
import zstandard

MiB = 1024 * 1024
DECODED = 1024 * MiB
_ZEROS = b"\0" * MiB
_BLOCKS = DECODED // MiB


def _deflate_blocks() -> bytes:
    """Raw deflate of ``DECODED`` zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + block * (_BLOCKS - 1) + compressor.flush()


def _checksum(function: Callable[[bytes, int], int], start: int) -> int:
    """crc32 or adler32 of ``DECODED`` zero bytes."""
    value = start
    for _ in range(_BLOCKS):
        value = function(_ZEROS, value)
    return value


@functools.cache
def bomb(coding: str) -> bytes:
    """``DECODED`` zero bytes encoded with ``coding`` (gzip, deflate, br or zstd)."""
    if coding == "gzip":
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        trailer = struct.pack("<II", _checksum(zlib.crc32, 0), DECODED % 2**32)
        return header + _deflate_blocks() + trailer
    if coding == "deflate":  # zlib-wrapped, as RFC 9110 means it
        return b"\x78\xda" + _deflate_blocks() + struct.pack(">I", _checksum(zlib.adler32, 1))
    if coding == "br":
        compressor = brotli.Compressor(quality=5)
        parts: list[bytes] = [compressor.process(_ZEROS) for _ in range(_BLOCKS)]
        return b"".join([*parts, compressor.finish()])
    if coding == "zstd":
        zstd = zstandard.ZstdCompressor(level=3).compressobj()
        return b"".join(zstd.compress(_ZEROS) for _ in range(_BLOCKS)) + zstd.flush()
    raise ValueError(coding)
