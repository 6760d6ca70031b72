"""`status`, `cors` and `reset` against a server that is not devserve, or one that answers with
terminal escapes: one clear error (exit 2), never a traceback, a false success or a raw escape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner, Result

from devserve.cli import app
from tests.support.configs import config_toml
from tests.support.served import served

COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["cors", "api"],
    ["cors", "api", "off"],
    ["reset", "api"],
]

INSTANCE: dict[str, Any] = {"config": None, "kind": "folder", "pid": 4242, "version": "0.1.0"}
ORIGIN: dict[str, Any] = {
    "name": "api",
    "url": "http://127.0.0.1:8001",
    "port": 8001,
    "cors": {"enabled": True, "mode": "on", "configured": "on", "describe": "on"},
    "serves": ["1 route"],
}
RESET: dict[str, Any] = {"name": "api", "resources": None, "reset": {}}

# A terminal escape that clears the screen, a title change, and a line that poses as our own.
CLEAR = "\x1b[2J"
FORGED = "\nerror: none of this happened"
TITLE = "\x1b]0;owned\x07"


@dataclass(frozen=True)
class Raw:
    """An answer other than a 200 JSON one."""

    body: bytes
    status: int = 200
    media: str = "application/json"


@contextmanager
def server(answers: dict[str, Any]) -> Iterator[str]:
    """A server answering each ``/api/...`` path with ``answers[path]`` (JSON, or a ``Raw``),
    and ``answers["*"]`` for any other."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        found = answers.get(scope["path"], answers.get("*"))
        raw = found if isinstance(found, Raw) else Raw(json.dumps(found).encode())
        await Response(raw.body, raw.status, media_type=raw.media)(scope, receive, send)

    with served(asgi) as url:
        yield url


def run(url: str, command: list[str]) -> Result:
    return CliRunner().invoke(app, [*command, "--url", url])


def assert_not_devserve(result: Result, url: str) -> None:
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: the server at {url} is not a devserve control API ("), lines
    assert result.stdout == ""


@pytest.mark.parametrize(
    "answer",
    [
        Raw(b"<!doctype html><title>My blog</title>", media="text/html"),
        Raw(b"<h1>Not Found</h1>", 404, "text/html"),
        [],
        {},
        {"nope": 1},
    ],
    ids=["html", "html-404", "empty-list", "empty-object", "nope"],
)
def test_a_server_that_is_not_devserve_is_named_as_such(answer: Any) -> None:
    with server({"*": answer}) as url:
        for command in COMMANDS:
            assert_not_devserve(run(url, command), url)


@pytest.mark.parametrize(
    ("path", "wrong"),
    [
        ("/api/origins", [{**ORIGIN, "port": "8001"}]),  # strict: a string is not a port
        ("/api/origins", [{**ORIGIN, "cors": {**ORIGIN["cors"], "enabled": 1}}]),
        ("/api/origins/api/cors", {"nope": 1}),
        ("/api/origins/api/reset", {"nope": 1}),  # was printed as a successful reset
        ("/api/origins/api/reset", {**RESET, "reset": {"users": True}}),
    ],
    ids=["port-string", "enabled-int", "cors-nope", "reset-nope", "reset-bool"],
)
def test_a_devserve_lookalike_with_one_wrong_answer_is_not_believed(path: str, wrong: Any) -> None:
    answers = {
        "/api/instance": INSTANCE,
        "/api/origins": [ORIGIN],
        "/api/origins/api/cors": ORIGIN,
        "/api/origins/api/reset": RESET,
        path: wrong,
    }
    command = {
        "/api/origins": ["status"],
        "/api/origins/api/cors": ["cors", "api", "off"],
        "/api/origins/api/reset": ["reset", "api"],
    }[path]
    with server(answers) as url:
        assert_not_devserve(run(url, command), url)


def test_a_devserve_answer_passes() -> None:
    answers = {
        "/api/instance": INSTANCE,
        "/api/origins": [ORIGIN],
        "/api/origins/api/cors": ORIGIN,
        "/api/origins/api/reset": RESET,
    }
    with server(answers) as url:
        for command in COMMANDS:
            result = run(url, command)
            assert result.exit_code == 0, (command, result.output)


def test_what_the_server_says_reaches_the_terminal_escaped() -> None:
    hostile = {
        "/api/instance": {**INSTANCE, "kind": "config", "config": f"/p{FORGED}", "version": CLEAR},
        "/api/origins": [
            {**ORIGIN, "serves": [f"x{TITLE}"], "cors": {**ORIGIN["cors"], "describe": FORGED}}
        ],
        "/api/origins/api/cors": {**ORIGIN, "url": f"http://x{CLEAR}"},
        "/api/origins/api/reset": {**RESET, "resources": f"db{CLEAR}", "reset": {FORGED: 1}},
    }
    with server(hostile) as url:
        for command in COMMANDS:
            result = run(url, command)
            assert result.exit_code == 0, (command, result.output)
            output = result.stdout + result.stderr
            assert "\x1b" not in output and "\x07" not in output, (command, output)
            assert "\nerror: none" not in output, (command, output)
        status = run(url, ["status"]).stdout
        assert "\\x1b[2J" in status and "\\x0aerror: none of this happened" in status


def test_an_error_the_server_words_is_one_escaped_line() -> None:
    error = Raw(json.dumps({"error": f"no origin named 'api'{FORGED}{CLEAR}"}).encode(), 404)
    with server({"/api/instance": INSTANCE, "*": error}) as url:
        for command in COMMANDS[2:]:
            result = run(url, command)
            assert result.exit_code == 2, result.output
            assert result.stderr.splitlines() == [
                "error: no origin named 'api'\\x0aerror: none of this happened\\x1b[2J"
            ]


def test_another_projects_path_is_escaped(tmp_path: Path) -> None:
    other = {**INSTANCE, "kind": "config", "config": f"/other{FORGED}{CLEAR}"}
    with server({"/api/instance": other}) as url:
        port = int(url.rsplit(":", 1)[1])
        config = tmp_path / "devserve.toml"
        config.write_text(config_toml({"api": {"port": 8001}}, {"dashboard_port": port}))
        result = CliRunner().invoke(app, ["status", "-c", str(config)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: the devserve on {url} serves another project "
        f"(/other\\x0aerror: none of this happened\\x1b[2J), not {config}; "
        "stop it, or give this project another dashboard_port"
    ]
