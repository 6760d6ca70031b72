"""``devserve check-contract``: every recording and mock file of an origin with a spec, checked
against the operation it answers; a drift names the file, the operation, the JSON pointer and
what differs."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devserve.config.model import Config, Origin
from devserve.media import media_type
from devserve.mocks.folders import InvalidMock, read_mock
from devserve.mocks.names import FileName, file_request
from devserve.mocks.openapi.conform import NOT_JSON, check_response
from devserve.mocks.openapi.operations import Operation, router_of
from devserve.mocks.openapi.schemas import Failure, validators_of
from devserve.mocks.openapi.source import spec_at
from devserve.mocks.openapi.spec import Spec

_MAX_FILES = 5000  # per folder: a check, not a crawl


@dataclass
class Report:
    """What ``check-contract`` found: drifts (exit 1), files checked, files not in the spec."""

    drifts: list[str] = field(default_factory=list)
    checked: int = 0
    skipped: list[str] = field(default_factory=list)


def check_contract(config: Config) -> Report:
    """Check the ``record`` and ``mocks`` folders of every origin that has a spec."""
    report = Report()
    for name, origin in config.origins.items():
        if origin.openapi is None:
            continue
        spec = spec_at(origin.openapi)
        for folder in _folders(origin):
            for file in _files(folder):
                _check_file(name, spec, folder, file, report)
    return report


def _folders(origin: Origin) -> list[Path]:
    found = [origin.record, origin.mocks]
    return [folder for folder in found if folder is not None and folder.is_dir()]


def _files(folder: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(root) / n for n in sorted(names) if not n.startswith(".")]
    return files[:_MAX_FILES]


def _check_file(origin: str, spec: Spec, folder: Path, file: Path, report: Report) -> None:
    relative = file.relative_to(folder)
    shown = f"origins.{origin}: {folder.name}/{relative.as_posix()}"
    request = file_request(relative.parts[:-1], file.name, None)
    if request is None:
        return
    path, parsed = request
    found = router_of(spec).match(parsed.method, path)
    if found is None:
        report.skipped.append(f"{shown}: {parsed.method} {path} is not in the spec")
        return
    operation = found[0]
    report.checked += 1
    try:
        answers = _answers(file, parsed, str(relative))
    except InvalidMock as exc:
        report.drifts.append(f"{shown}: {exc}")
        return
    for index, (status, content_type, body) in enumerate(answers):
        where = f"{shown}" + (f" (responses[{index}])" if len(answers) > 1 else "")
        for failure in _failures(spec, operation, status, content_type, body):
            report.drifts.append(
                f"{where}: {operation.label}: {failure.pointer or '/'}: "
                f"wanted {failure.wanted}, got {failure.got}"
            )


def _failures(
    spec: Spec, operation: Operation, status: int, content_type: str | None, body: Any
) -> list[Failure]:
    return check_response(
        operation, status, content_type, body, spec.documents, validators_of(spec)
    )


def _answers(file: Path, parsed: FileName, relative: str) -> list[tuple[int, str | None, Any]]:
    """(status, content type, JSON body or NOT_JSON or None) of each response the file gives."""
    if not parsed.envelope:
        kind = media_type(file.name)
        plain = _file_body(file, kind)
        if plain is NOT_JSON and "json" in kind:
            raise InvalidMock(f"{relative}: not valid JSON")
        return [(parsed.status or 200, kind, plain)]
    behaviour = read_mock(file, parsed, relative)
    answers = []
    for response in behaviour.responses or [behaviour]:
        if not isinstance(response.status, int) or response.fault is not None:
            continue
        headers = {k.lower(): v for k, v in response.headers.items()}
        declared = headers.get("content-type")
        content_type = declared if isinstance(declared, str) else None
        if "json_body" in response.model_fields_set:
            body: Any = response.json_body
            content_type = content_type or "application/json"
        elif response.body is not None:
            body = NOT_JSON if response.body else None
            content_type = content_type or "text/plain"
        elif response.file is not None:
            target = file.parent / response.file
            content_type = content_type or media_type(target.name)
            body = _file_body(target, content_type)
        else:
            body = None
        answers.append((response.status, content_type, body))
    return answers


def _file_body(file: Path, content_type: str) -> Any:
    if "json" not in content_type:
        return NOT_JSON
    try:
        return json.loads(file.read_bytes())
    except (OSError, ValueError, RecursionError):
        return NOT_JSON
