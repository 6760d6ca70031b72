"""What ``check-config`` (and every config load) checks of the sockets beyond the model's types:
their templates and regexes compile, and every WebSocket file of a mock folder is valid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devserve.config.model import Config
from devserve.mocks.limits import Limits
from devserve.mocks.names import ENVELOPE, SOCKET_METHOD, parse_name
from devserve.sockets.files import InvalidSocketFile, read_socket_file
from devserve.sockets.layer import compile_sockets
from devserve.sockets.script import compile_script

_MAX_CHECKED = 2000  # socket files checked per folder


def socket_problems(data: dict[str, Any], config: Config | None, base: Path) -> list[str]:
    """Every problem of every origin's sockets and socket files (a ``config.load.ConfigCheck``)."""
    if config is None:
        return []
    problems: list[str] = []
    limits = Limits.of(config.devserve)
    for name, origin in config.origins.items():
        compile_sockets(name, origin.sockets, limits, problems)
        if origin.mocks is not None and origin.mocks.is_dir():
            problems.extend(
                f"origins.{name}.mocks: {p}" for p in folder_socket_problems(origin.mocks, limits)
            )
    return problems


def folder_socket_problems(root: Path, limits: Limits) -> list[str]:
    """Every ``NAME.WS.mock.json`` of the folder that would fail at a handshake."""
    problems: list[str] = []
    files = sorted(root.rglob(f"*.{SOCKET_METHOD}*{ENVELOPE}"))[:_MAX_CHECKED]
    for file in files:
        relative = file.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        parsed = parse_name(file.name, file.name.split(".", 1)[0])
        if parsed is None or parsed.method != SOCKET_METHOD:
            continue
        try:
            config = read_socket_file(file, str(relative))
        except InvalidSocketFile as exc:
            problems.append(str(exc))
            continue
        compile_script(config, where=str(relative), limits=limits, problems=problems, literal=True)
    return problems
