"""Content-Encoding undone piece by piece: every coding and their layers round-trip whatever
the chunking, and a body that decodes past the limit stops there, a bomb inside a bomb too."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable

import brotli
import pytest
import zstandard

from devserve.proxy.decode import PIECE, Decoder, TooLarge, UnknownEncoding
from tests.support.bombs import bomb

BODY = json.dumps({"items": list(range(80_000)), "noise": [str(i * 7919) for i in range(9000)]})
DATA = BODY.encode()  # several pieces long once decoded


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": lambda data: brotli.compress(data, quality=5),
    "zstd": zstandard.ZstdCompressor().compress,
}


def _decoded(encoding: str, encoded: bytes, step: int, limit: int = 10 * 1024 * 1024) -> bytes:
    decoder = Decoder(encoding, limit)
    pieces = []
    for start in range(0, len(encoded), step):
        for piece in decoder.feed(encoded[start : start + step]):
            assert len(piece) <= 2 * PIECE or not decoder.decodes
            pieces.append(piece)
    return b"".join(pieces)


@pytest.mark.parametrize(
    ("data", "step"), [(DATA[:3000], 1), (DATA, 4096), (DATA, 10**9)], ids=["bytes", "4k", "whole"]
)
def test_every_coding_round_trips_whatever_the_chunks(data: bytes, step: int) -> None:
    assert len(DATA) > 2 * PIECE
    for coding, encode in ENCODERS.items():
        assert _decoded(coding, encode(data), step) == data, coding
    assert _decoded("deflate", _raw_deflate(data), step) == data  # deflate sent raw
    layered = zlib.compress(ENCODERS["br"](gzip.compress(data)))
    assert _decoded("gzip, br, deflate", layered, step) == data
    assert _decoded("identity", data, step) == data


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_a_bomb_stops_at_the_limit(coding: str) -> None:
    with pytest.raises(TooLarge):
        _decoded(coding, bomb(coding), 64 * 1024, limit=1024 * 1024)


def test_a_bomb_inside_a_bomb_stops_at_the_limit() -> None:
    with pytest.raises(TooLarge):
        _decoded("gzip, gzip", gzip.compress(bomb("gzip")), 64 * 1024, limit=1024 * 1024)


def test_what_cannot_be_decoded_is_named() -> None:
    with pytest.raises(UnknownEncoding, match="compress"):
        Decoder("compress", 1024)
    with pytest.raises(UnknownEncoding, match="more than 3 codings"):
        Decoder("gzip, gzip, gzip, gzip", 1024)


def test_a_zstd_window_over_8_mb_is_refused() -> None:
    params = zstandard.ZstdCompressionParameters(window_log=27)  # 128 MB
    streamed = zstandard.ZstdCompressor(compression_params=params).compressobj()
    encoded = streamed.compress(DATA) + streamed.flush()  # no size known: the window is declared
    with pytest.raises(zstandard.ZstdError, match="too much memory"):
        _decoded("zstd", encoded, 64 * 1024)
