"""The recordings folder on disk: mock-folder files a person can read and edit.

For ``GET /users/1`` the body is ``users/1.json`` (``users/1.POST.json`` for a POST,
``users/1.404.json`` for a status, ``users/1~2.json`` for a second variant or a later response
of a sequence), and ``users/1.GET.recording.json`` says which body answers which request, with
the response's status and headers. A body file alone, with no ``.recording.json``, answers its
method and path whatever the query: a hand-written mock. README "Proxy and recording" has the
grammar; writes are atomic (temporary file, fsync, rename), so no reader sees half a file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import mimetypes
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from devserve.errors import DevserveError
from devserve.live.ownwrites import OWN_WRITES, signature
from devserve.proxy.matching import RequestKey

MANIFEST_SUFFIX = ".recording.json"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# name[~n][.METHOD][.STATUS].ext -- the mock-folder grammar, parsed from the right.
_BODY_NAME = re.compile(
    r"^(?P<name>.+?)(?:~(?P<variant>\d+))?(?:\.(?P<method>[A-Z]+))?(?:\.(?P<status>[1-5]\d\d))?"
    r"\.(?P<ext>[A-Za-z0-9]+)$"
)
_EXTENSIONS = {
    "application/json": "json",
    "text/html": "html",
    "text/plain": "txt",
    "text/css": "css",
    "text/javascript": "js",
    "application/javascript": "js",
    "application/xml": "xml",
    "text/xml": "xml",
    "image/svg+xml": "svg",
    "text/event-stream": "txt",
}
# Leaves room within a file name's 255 bytes for the ~N.METHOD.STATUS.recording.json parts.
_LONGEST_NAME = 160
# Enough for any folder a person maintains by hand; a near-miss search never reads more.
MOST_MANIFESTS_SEARCHED = 2000


@dataclass
class RecordedResponse:
    """One response of a sequence: status, headers and the body file beside the manifest."""

    status: int
    headers: list[tuple[str, str]]
    file: str
    upstream_ms: float | None = None
    recorded: str | None = None

    def as_json(self) -> dict[str, Any]:
        headers: dict[str, str | list[str]] = {}
        for name, value in self.headers:
            present = headers.get(name)
            if present is None:
                headers[name] = value
            else:
                headers[name] = [*([present] if isinstance(present, str) else present), value]
        data: dict[str, Any] = {"status": self.status, "headers": headers, "file": self.file}
        if self.upstream_ms is not None:
            data["upstream_ms"] = round(self.upstream_ms, 1)
        if self.recorded is not None:
            data["recorded"] = self.recorded
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedResponse:
        headers = [
            (str(name), str(item))
            for name, value in dict(data.get("headers") or {}).items()
            for item in (value if isinstance(value, list) else [value])
        ]
        return cls(
            status=int(data.get("status", 200)),
            headers=headers,
            file=str(data["file"]),
            upstream_ms=data.get("upstream_ms"),
            recorded=data.get("recorded"),
        )


@dataclass
class Variant:
    """The responses recorded for one request key, replayed in order (then the last again)."""

    key: RequestKey
    responses: list[RecordedResponse] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"query": self.key.query}
        if self.key.body is not None:
            data["body"] = self.key.body
        if self.key.headers:
            data["headers"] = dict(self.key.headers)
        data["responses"] = [response.as_json() for response in self.responses]
        return data


@dataclass
class Manifest:
    """Every recorded variant of one method on one path."""

    method: str
    path: str
    variants: list[Variant] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "variants": [variant.as_json() for variant in self.variants],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        method, path = str(data["method"]), str(data["path"])
        variants = [
            Variant(
                key=RequestKey(
                    method=method,
                    path=path,
                    query=str(item.get("query", "")),
                    body=item.get("body"),
                    headers=tuple(
                        sorted(
                            (str(k).lower(), str(v))
                            for k, v in dict(item.get("headers") or {}).items()
                        )
                    ),
                ),
                responses=[RecordedResponse.from_json(r) for r in item.get("responses", [])],
            )
            for item in data.get("variants", [])
        ]
        return cls(method=method, path=path, variants=variants)

    def files(self) -> set[str]:
        return {response.file for variant in self.variants for response in variant.responses}


@dataclass(frozen=True)
class Endpoint:
    """Where one method on one path lives in the folder: its directory and file name stem."""

    folder: Path
    name: str
    method: str

    @property
    def manifest(self) -> Path:
        return self.folder / f"{self.name}.{self.method}{MANIFEST_SUFFIX}"

    def body_name(self, *, variant: int, status: int, ext: str) -> str:
        """``users.json``, ``users~2.POST.201.json``: the mock-folder grammar."""
        parts = self.name + (f"~{variant}" if variant > 1 else "")
        if self.method != "GET":
            parts += f".{self.method}"
        if status != 200:
            parts += f".{status}"
        return f"{parts}.{ext}"


def endpoint(root: Path, path: str, method: str) -> Endpoint:
    """The files of ``method path`` under ``root``; every segment is made safe to be a name."""
    segments = [_safe(segment) for segment in path.split("/") if segment]
    if not segments or path.endswith("/"):
        segments.append("index")
    return Endpoint(folder=root.joinpath(*segments[:-1]), name=segments[-1], method=method)


def _safe(segment: str) -> str:
    # Percent-encoding keeps names readable and reversible, and no segment can climb out
    # (`..`), hide (`.env`), or collide with the `~n` and `.METHOD` parts of the grammar.
    encoded = quote(segment, safe="!$&'()+,;=@-_").replace("~", "%7E")
    encoded = "%2E" + encoded[1:] if encoded.startswith(".") else encoded
    if len(encoded) > _LONGEST_NAME:
        # File names stop at 255 bytes; the manifest keeps the whole path anyway.
        digest = hashlib.sha256(segment.encode()).hexdigest()[:12]
        encoded = f"{encoded[: _LONGEST_NAME - 13]}-{digest}"
    return encoded


def extension(media_type: str) -> str:
    """The body file's extension for a Content-Type (``bin`` when nothing fits)."""
    bare = media_type.split(";")[0].strip().lower()
    if bare in _EXTENSIONS:
        return _EXTENSIONS[bare]
    if bare.endswith("+json"):
        return "json"
    guessed = mimetypes.guess_extension(bare) if bare else None
    return guessed.lstrip(".") if guessed else "bin"


def read_manifest(path: Path) -> Manifest | None:
    """The manifest at ``path``, None if there is none; DevserveError if it cannot be read."""
    try:
        data = json.loads(path.read_bytes())
        return Manifest.from_json(data)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return None
        raise _unreadable(path, exc) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> DevserveError:
    return DevserveError(
        f"recording {path} cannot be read ({type(exc).__name__}: {exc}); fix or delete it"
    )


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` so that a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The `.tmp` suffix is one the file watcher ignores, and the renamed file is remembered as
    # devserve's own write, which never reloads a page (live/watcher.py).
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp makes the file private (0600); a recording is an ordinary project file.
            os.fchmod(handle.fileno(), _mode_of(path))
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        OWN_WRITES.remember(path, signature(path.stat()))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def write_manifest(path: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.as_json(), indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode())


def plain_bodies(where: Endpoint) -> Iterator[tuple[Path, int]]:
    """Hand-written mock files for this endpoint (no manifest): each file and its status."""
    try:
        entries = sorted(where.folder.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _BODY_NAME.match(entry.name)
        if match is None or match["name"] != where.name or match["variant"]:
            continue
        if entry.name.endswith(MANIFEST_SUFFIX) or not entry.is_file():
            continue
        method = match["method"] or "GET"
        if method not in METHODS:
            continue
        if method == where.method or (where.method == "HEAD" and method == "GET"):
            yield entry, int(match["status"] or 200)


def manifests(root: Path) -> Iterator[Path]:
    """Every manifest under ``root`` (at most MOST_MANIFESTS_SEARCHED)."""
    for count, path in enumerate(sorted(root.rglob(f"*{MANIFEST_SUFFIX}"))):
        if count >= MOST_MANIFESTS_SEARCHED:
            return
        yield path
