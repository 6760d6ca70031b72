"""Mock-folder names: which file answers which request, one mapping for reading and writing.

A request path maps to a folder and a name (``/users/1`` → folder ``users``, name ``1``;
``/`` and paths ending in ``/`` → name ``index``), and a file in that folder answers when
``parse_name`` reads its name as one for that name. The proxy's recorder writes files by the
same mapping, so whatever it records is found by the reader that serves ``mocks = "dir"``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import unquote

ENVELOPE = ".mock.json"
# The "method" of a WebSocket's mock file: ``chat.WS.mock.json`` answers a handshake at /chat.
SOCKET_METHOD = "WS"
_METHOD = re.compile(r"[A-Z]+")
# Characters a path segment may hold but a file name may not, or not safely: `/` and NUL
# cannot be in a name, `\` is a separator elsewhere, `%` keeps the encoding reversible.
_ENCODED = {"%": "%25", "\\": "%5C", "\x00": "%00"}
# Leaves room within a file name's 255 bytes for the .METHOD.LABEL.mock.json parts.
_LONGEST_NAME = 160


@dataclass(frozen=True)
class FileName:
    """What a mock file's name says: the method and status it answers, its labels."""

    method: str
    status: int | None
    labels: tuple[str, ...]
    envelope: bool


def parse_name(filename: str, name: str) -> FileName | None:
    """Parse ``filename`` as a mock for a path ending in ``name``; None if it is not one."""
    if not filename.startswith(name + ".") or filename.startswith("."):
        return None
    envelope = filename.endswith(ENVELOPE)
    rest = filename[len(name) + 1 : -len(ENVELOPE) if envelope else None]
    tokens = rest.split(".")[: None if envelope else -1] if rest else []
    method, status, labels = None, None, []
    for token in tokens:
        if not token:
            return None
        if _METHOD.fullmatch(token):
            if method is not None:
                return None
            method = token
        elif len(token) == 3 and token.isdigit() and 100 <= int(token) <= 599:
            if status is not None:
                return None
            status = int(token)
        else:
            labels.append(token)
    return FileName(method or "GET", status, tuple(labels), envelope)


def segment_name(segment: str) -> str:
    """The file or folder name of one decoded path segment.

    Ordinary names are kept as they are (``users``, ``logo.png``, ``café``); a leading dot and
    the characters in ``_ENCODED`` are percent-encoded, so no request can reach a dot-file, climb
    out (``..`` becomes ``%2E.``) or make a name the file system refuses; a name too long for a
    file is shortened and given a digest of the whole.
    """
    name = "".join(_ENCODED.get(char, char) for char in segment)
    name = "%2E" + name[1:] if name.startswith(".") else name
    if len(name.encode()) > _LONGEST_NAME:
        digest = hashlib.sha256(segment.encode()).hexdigest()[:12]
        name = f"{name.encode()[: _LONGEST_NAME - 13].decode(errors='ignore')}-{digest}"
    return name


def path_names(path: str) -> tuple[list[str], str]:
    """The folders and the name a request path is answered from."""
    segments = [segment_name(segment) for segment in path.split("/") if segment]
    if path.endswith("/") or not segments:
        segments.append("index")
    return segments[:-1], segments[-1]


def file_request(
    folders: tuple[str, ...], filename: str, name: str | None
) -> tuple[str, FileName] | None:
    """The request path a file answers and what its name says, if it is a mock for a path
    ending in ``name``, else for its name up to the first dot (names cannot tell ``v1.2``
    from ``v1`` with a label ``2``)."""
    parsed = None if name is None else parse_name(filename, name)
    if parsed is None or name is None:
        name = filename.split(".", 1)[0]
        parsed = parse_name(filename, name)
        if parsed is None:
            return None
    path = "/" + "".join(unquote(part) + "/" for part in folders)
    return (path if name == "index" else path + unquote(name)), parsed
