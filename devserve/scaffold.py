"""`devserve init`: copy the starter project from templates/, never overwriting a file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from devserve._resources import templates_dir
from devserve.errors import DevserveError


@dataclass
class Scaffold:
    """What ``write_starter`` did: files written and files left alone (they existed)."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


# The starter's page and API ports as the templates write them; ``init --port`` moves both.
_PAGE, _API = 8000, 8001
_PORTS = re.compile(rb"\b(8000|8001)\b")


def write_starter(directory: Path, *, port: int = _PAGE) -> Scaffold:
    """Write the starter devserve.toml, page and mock API into ``directory``; the page on
    ``port``, the API on the next one (every file that names them says so).

    Raises DevserveError (naming the folder and the reason) when it cannot be written.
    """
    if directory.exists() and not directory.is_dir():
        raise DevserveError(
            f"cannot write the starter files into '{directory}': it is a file, not a folder; "
            "give a folder (it is created if missing)"
        )
    source = templates_dir() / "init"
    done = Scaffold()
    try:
        for item in sorted(source.rglob("*")):
            if item.is_dir():
                continue
            target = directory / item.relative_to(source)
            if target.exists():
                done.skipped.append(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_moved(item.read_bytes(), port))
            done.written.append(target)
    except OSError as exc:
        where = f"'{exc.filename}'" if exc.filename else f"'{directory}'"
        raise DevserveError(
            f"cannot write the starter files: {where}: {exc.strerror or exc}; "
            "pick a folder you can write to"
        ) from None
    return done


def _moved(content: bytes, port: int) -> bytes:
    if port == _PAGE:
        return content
    ports = {b"8000": str(port).encode(), b"8001": str(port + 1).encode()}
    return _PORTS.sub(lambda match: ports[match.group(1)], content)
