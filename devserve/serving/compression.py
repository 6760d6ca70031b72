"""gzip and Brotli for static text files, when an origin has ``compress = true``.

Compressed once per file version, when the file is read into memory (in the loader thread,
never on the event loop), and kept beside the plain bytes: a request costs a lookup. Each
encoding is its own representation (RFC 9110 §8.8.3): its own ETag, and ``Vary:
Accept-Encoding`` on every response of a compressible file, compressed or not.
"""

from __future__ import annotations

import gzip

import brotli

from devserve.media import essence

# Worth compressing: text and the formats that are text underneath. Images, fonts (woff2 is
# already Brotli inside), audio and video are compressed by their format.
_TEXT_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/wasm",
        "application/xml",
        "image/svg+xml",
    }
)
MIN_BYTES = 1024  # below a packet, compression saves nothing a browser would notice
# Preferred first when the client weighs them the same: Brotli is smaller for text.
ENCODINGS = ("br", "gzip")


def compressible(media_type: str) -> bool:
    kind = essence(media_type)
    return kind.startswith("text/") or kind in _TEXT_TYPES or kind.endswith("+json")


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return bytes(brotli.compress(body, quality=5))  # quality 5: most of 11's gain, fast
    return gzip.compress(body, compresslevel=6, mtime=0)  # mtime 0: same bytes every time


def variants(body: bytes, media_type: str) -> dict[str, bytes]:
    """The encodings of ``body`` worth sending (smaller than it), by name; {} if none."""
    if len(body) < MIN_BYTES or not compressible(media_type):
        return {}
    found = {}
    for encoding in ENCODINGS:
        packed = compress(body, encoding)
        if len(packed) < len(body):
            found[encoding] = packed
    return found


def choose(accept_encoding: str, available: dict[str, bytes]) -> str | None:
    """The encoding to send for this ``Accept-Encoding`` (RFC 9110 §12.5.3), None: identity.

    The highest q among the available encodings wins, br before gzip on a tie; ``q=0`` refuses
    an encoding, and ``*`` stands for any not named.
    """
    weights: dict[str, float] = {}
    for item in accept_encoding.split(",")[:32]:  # a client needs a few; a probe gets 32
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        name = "gzip" if name == "x-gzip" else name  # RFC 9110 §8.4.1.3: the same coding
        weight = 1.0
        key, _, value = params.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                weight = min(max(float(value), 0.0), 1.0)
            except ValueError:
                weight = 0.0
        if name:
            weights[name] = weight
    best, best_weight = None, 0.0
    for encoding in ENCODINGS:
        weight = weights.get(encoding, weights.get("*", 0.0))
        if encoding in available and weight > best_weight:
            best, best_weight = encoding, weight
    return best
