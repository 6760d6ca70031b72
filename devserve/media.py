"""Media types: the Content-Type of a file by its name (one table for static files and mock files
alike), and the essence of a Content-Type header (the one parser for ``type/subtype``)."""

from __future__ import annotations

import mimetypes
import os

# The OS mime database varies (Windows registry, old /etc/mime.types): these must not.
_MEDIA_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".gz": "application/gzip",
}
_CHARSET_TYPES = {"application/json", "application/manifest+json", "image/svg+xml"}


def media_type(path: str) -> str:
    """The Content-Type for a file named ``path``, with ``charset=utf-8`` for text."""
    suffix = os.path.splitext(path)[1].lower()
    found = _MEDIA_TYPES.get(suffix)
    if found is None:
        guessed, encoding = mimetypes.guess_type(path)
        # `x.tar.bz2` guesses as a tar *with* an encoding we do not send: it is just bytes.
        found = guessed if guessed and encoding is None else "application/octet-stream"
    if found.startswith("text/") or found in _CHARSET_TYPES:
        found += "; charset=utf-8"
    return found


def essence(content_type: str | None) -> str:
    """``application/json`` from ``Application/JSON; charset=utf-8`` (``""`` for none). The
    lenient reading servers use; the CORS rules' strict one is ``cors.standard.mime_essence``."""
    return (content_type or "").split(";", 1)[0].strip().lower()
