"""Large YAML specs parsed once per content: the value is kept as JSON (read about fifteen
times faster) in devserve's data folder, named by the sha256 of the YAML's bytes, when JSON
holds it exactly; the few most recently used are kept."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import orjson

from devserve.home import data_dir, private_dir
from devserve.mocks.openapi.yamlload import read_yaml

# A smaller spec parses in a small fraction of a second: not worth a file.
SMALLEST = 512 * 1024
_KEPT = 8
# Part of each name: a cache written by another way of reading YAML is never read.
_FORMAT = b"devserve-openapi-yaml-1\n"


def yaml_value(raw: bytes) -> Any:
    """The value of the YAML document ``raw``, from the cache when it was parsed before."""
    if len(raw) < SMALLEST:
        return read_yaml(raw)[0]
    folder = data_dir() / "openapi-cache"
    kept = folder / (hashlib.sha256(_FORMAT + raw).hexdigest() + ".json")
    try:
        value = json.loads(kept.read_bytes())
    except (OSError, ValueError, RecursionError):
        pass  # not there yet (or damaged): parsed, and written again
    else:
        with contextlib.suppress(OSError):
            os.utime(kept)  # recently used: kept longer
        return value
    value, as_json = read_yaml(raw)
    if as_json:
        _keep(kept, value)
    return value


def _keep(kept: Path, value: Any) -> None:
    try:
        text = orjson.dumps(value)  # several times faster than json; read_yaml ruled out NaN
    except (orjson.JSONEncodeError, RecursionError):
        return  # an integer beyond 64 bits: only YAML holds it here
    temporary = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
    try:
        private_dir(kept.parent)
        temporary.write_bytes(text)
        os.replace(temporary, kept)  # whole or not at all, for another devserve reading it
        _prune(kept.parent)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()  # a full disk, a read-only home: the next start parses again


def _prune(folder: Path) -> None:
    """Only the ``_KEPT`` most recently used values stay."""
    kept = []
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            kept.append((path.stat().st_mtime_ns, path))
    for _, path in sorted(kept, reverse=True)[_KEPT:]:
        with contextlib.suppress(OSError):
            path.unlink()
