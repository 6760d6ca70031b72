"""Small static files served from memory: bytes, headers and ETag computed once per file version.

An unbundled ES-module app loads hundreds of small files per page; each used to cost a thread
hop to stat, one to open, one to read, and a fresh header list. Here a file's version is its
``(st_mtime_ns, st_size, st_ino)``: every request still stats the file (on the event loop — a
stat of a local file takes microseconds), so an edit is served on the very next request even
if the watcher missed it, and a changed version is simply read again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate

from devserve.media import media_type
from devserve.serving.compression import variants

DEFAULT_MAX_FILE_BYTES = 1024 * 1024
# Bound the whole cache too: a folder of many small files must not grow memory without end.
DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024

Version = tuple[int, int, int]


def version_of(info: os.stat_result) -> Version:
    return (info.st_mtime_ns, info.st_size, info.st_ino)


@dataclass(frozen=True)
class CachedFile:
    """One version of one file, ready to send: the body and every header precomputed."""

    version: Version
    body: bytes
    etag: str
    headers: list[tuple[bytes, bytes]]  # without Content-Length: it depends on the range
    media_type: str
    # ``compress = true``: the body gzip- and Brotli-encoded, by coding ({} when not worth it).
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """What this entry holds in memory: the body and its encodings."""
        return len(self.body) + sum(map(len, self.encoded.values()))


class FileCache:
    """Path -> the last version read; least recently used files leave first."""

    def __init__(
        self,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        transform: Callable[[str, bytes], bytes] | None = None,
        compress: bool = False,
    ) -> None:
        self.max_file_bytes = max_file_bytes
        self.compress = compress
        self.max_total_bytes = max_total_bytes
        # ``transform(media_type, body)``: e.g. the live-reload script put into HTML, once.
        self.transform = transform
        self._files: OrderedDict[str, CachedFile] = OrderedDict()
        self._total = 0

    def cacheable(self, info: os.stat_result) -> bool:
        return info.st_size <= self.max_file_bytes

    def get(self, path: str, info: os.stat_result) -> CachedFile | None:
        """The cached version of ``path`` if it is still the one on disk, else None."""
        entry = self._files.get(path)
        if entry is None or entry.version != version_of(info):
            return None
        self._files.move_to_end(path)
        return entry

    def load(self, path: str, info: os.stat_result) -> CachedFile | None:
        """Read ``path`` and cache it; None if it changed while being read (serve it uncached)."""
        with open(path, "rb") as file:
            body = file.read(self.max_file_bytes + 1)
            after = os.fstat(file.fileno())
        if version_of(after) != version_of(info) or len(body) != info.st_size:
            return None  # written to meanwhile: the next request reads the settled file
        kind = media_type(path)
        if self.transform is not None:
            body = self.transform(kind, body)
        encoded = variants(body, kind) if self.compress else {}  # here, in the loader's thread
        entry = _entry(path, info, body, kind, transformed=self.transform is not None)
        entry = dataclasses.replace(entry, encoded=encoded)
        self._store(path, entry)
        return entry

    def _store(self, path: str, entry: CachedFile) -> None:
        old = self._files.pop(path, None)
        if old is not None:
            self._total -= old.size
        self._files[path] = entry
        self._total += entry.size
        while self._total > self.max_total_bytes and len(self._files) > 1:
            _, dropped = self._files.popitem(last=False)
            self._total -= dropped.size



def _entry(
    path: str, info: os.stat_result, body: bytes, kind: str, *, transformed: bool
) -> CachedFile:
    # The same ETag as Starlette's FileResponse for an untouched file, so a browser's cached
    # copy stays valid whichever path served it; a transformed body gets its own tag.
    tag = hashlib.md5(f"{info.st_mtime}-{info.st_size}".encode(), usedforsecurity=False)
    etag = f'"{tag.hexdigest()}{"-lr" if transformed and kind.startswith("text/html") else ""}"'
    headers = [
        (b"content-type", kind.encode("latin-1")),
        (b"accept-ranges", b"bytes"),
        (b"last-modified", formatdate(info.st_mtime, usegmt=True).encode("latin-1")),
        (b"etag", etag.encode("latin-1")),
        (b"cache-control", b"no-cache"),
    ]
    return CachedFile(
        version=version_of(info), body=body, etag=etag, headers=headers, media_type=kind
    )
