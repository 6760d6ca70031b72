"""A replay miss: name the nearest recording and what differed.

Recordings are answered by the mock-folder reader (devserve/mocks/folders.py); what it does not
answer in replay mode gets the 404 here. Not knowing why a replay missed is the top complaint
about VCR.py and Polly.js: the 404 says which envelope came closest and, condition by
condition (the reader's own words), how the request differs from it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import JSONResponse, Response

from devserve.config.mocks import Match
from devserve.mocks.folders import InvalidMock, read_mock
from devserve.mocks.matching import compile_match
from devserve.mocks.names import ENVELOPE, file_request, path_names
from devserve.proxy.matching import RequestKey

# Enough for any folder a person maintains by hand; a near-miss search never reads more.
MOST_ENVELOPES_SEARCHED = 2000


@dataclass(frozen=True)
class Candidate:
    score: float
    request: str
    file: str
    differs: list[str]


def nearest(root: Path, method: str, path: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The envelope closest to the request: its request, its file and what differs."""
    best: Candidate | None = None
    folders, name = path_names(path)
    envelopes = sorted(root.rglob(f"*{ENVELOPE}")) if root.is_dir() else []
    for file in envelopes[:MOST_ENVELOPES_SEARCHED]:
        candidate = _compare(root, file, method, path, (folders, name), data)
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    if best is None:
        return None
    return {"request": best.request, "file": best.file, "differs": best.differs}


def _compare(
    root: Path,
    file: Path,
    method: str,
    path: str,
    names: tuple[list[str], str],
    data: dict[str, Any],
) -> Candidate | None:
    relative = file.relative_to(root)
    if any(part.startswith(".") for part in relative.parts):
        return None
    folders, name = names
    here = list(relative.parts[:-1]) == folders
    found = file_request(relative.parts[:-1], file.name, name if here else None)
    if found is None:
        return None
    recorded_path, parsed = found
    try:
        match = read_mock(file, parsed, str(relative)).match
    except InvalidMock:
        return None
    differs = []
    if recorded_path != path:
        differs.append(f"path: recorded {recorded_path}, got {path}")
    if parsed.method != method:
        differs.append(f"method: recorded {parsed.method}, got {method}")
    if match is not None:
        differs.extend(compile_match(match, where="match", problems=[]).failures(data))
    score = (100.0 if recorded_path == path else 0.0) + (10.0 if parsed.method == method else 0)
    score += difflib.SequenceMatcher(None, path, recorded_path).ratio() - len(differs)
    request = f"{parsed.method} {recorded_path}{_query(match)}"
    return Candidate(score, request, str(relative), differs)


def _query(match: Match | None) -> str:
    """The query a match asks for, as a URL shows it (``*`` for any value)."""
    if match is None or not match.query:
        return ""
    shown = [f"{name}={_shown(value)}" for name, value in match.query.items() if value is not False]
    return "?" + "&".join(shown) if shown else ""


def _shown(value: str | bool) -> str:
    if value is True:
        return "*"
    return str(value)[1:] if str(value).startswith("~~") else str(value)


def missed(key: RequestKey, *, root: Path | None, nearest: dict[str, Any] | None) -> Response:
    """The 404 of a replay miss: what was asked, what came closest, and how to get it."""
    if root is None:
        fix = 'set record = "DIR" on this origin to record the upstream, then replay it'
    elif nearest is None:
        fix = (
            f"nothing is recorded in {root} yet: run with the upstream reachable and "
            'record_mode = "missing" (the default) to record it'
        )
    else:
        fix = (
            'record it (run without --offline, record_mode "missing"), add a file by hand, '
            "or make the request match the nearest recording"
        )
    body = {
        "error": f"no recording for {key.describe()}",
        "mode": "replay",
        "nearest": nearest,
        "fix": fix,
    }
    return JSONResponse(body, status_code=404, headers={"Cache-Control": "no-store"})
