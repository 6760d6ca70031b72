"""Sockets in the config and in mock folders: every mistake is a config error naming its key (or
its file), and a folder's ``NAME.WS.mock.json`` answers handshakes at its path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from devserve.serving.origin import build_origin
from tests.mocks.conftest import config_problems
from tests.support.configs import build_config


@pytest.mark.parametrize(
    ("socket", "problem"),
    [
        ({"rules": [{"match": {"text": "x"}}]}, "rules[0]: a rule needs a reply, a close, or both"),
        ({"close": {"code": 4000}}, "sockets[0]: close on a socket needs after = N"),
        ({"rules": [{"close": {"code": 1005}}]}, "close.code: 1005 is not a close code a server"),
        ({"rules": [{"close": {"reason": "x" * 124}}]}, "close.reason: a close reason is at most"),
        ({"rules": [{"match": {"text": "~("}, "reply": {"text": "x"}}]}, "match.text: '~('"),
        ({"on_connect": [{"text": "{{ x"}]}, "on_connect[0].text: template syntax error"),
        ({"rules": [{"reply": [{"text": "a"}, {"json": {"n": "{% x"}}]}]}, "reply[1].json.n:"),
        ({"on_connect": [{"text": "a", "json": 1}]}, 'give one of text = "..." or json = {...}'),
        ({"rules": [{"mach": {}}]}, "rules[0].mach: unknown key; did you mean 'match'?"),
        ({"allow_origins": ["http://a.test/"]}, "allow_origins[0]: 'http://a.test/' has a"),
        ({"echo": True, "conversation": []}, "a conversation plays as recorded: remove echo"),
        ({"path": "ws"}, "sockets[0].path: must start with '/'"),
    ],
)
def test_socket_config_errors(tmp_path: Path, socket: dict[str, Any], problem: str) -> None:
    problems = config_problems(tmp_path, {"sockets": [{"path": "/ws", **socket}]})
    assert any(problem in p for p in problems), problems


def test_two_sockets_on_one_path_is_an_error(tmp_path: Path) -> None:
    problems = config_problems(tmp_path, {"sockets": [{"path": "/ws"}, {"path": "/ws"}]})
    assert problems == [
        "origins.api.sockets[1]: path '/ws' is already the path of sockets[0]"
    ], problems


WS = "ws://127.0.0.1:8001"  # the test client sends Host: testserver for a bare path


def write(folder: Path, name: str, content: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(content))


def test_socket_files_answer_handshakes_by_their_match(tmp_path: Path) -> None:
    mocks = tmp_path / "mocks"
    write(mocks, "chat.WS.mock.json", {"on_connect": [{"text": "{{ not a template }}"}]})
    write(mocks, "chat.WS.admin.mock.json",
          {"match": {"query": {"role": "admin"}}, "on_connect": [{"json": {"admin": True}}]})
    config = build_config(tmp_path, {"api": {"port": 8001, "mocks": "mocks"}})
    app = build_origin("api", config.origins["api"], config.devserve).app
    client = TestClient(app, base_url="http://127.0.0.1:8001")
    with client.websocket_connect(f"{WS}/chat") as socket:
        assert socket.receive_text() == "{{ not a template }}"  # files are never templated
    with client.websocket_connect(f"{WS}/chat?role=admin") as socket:
        assert socket.receive_json() == {"admin": True}
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(f"{WS}/other"):
        pass


def test_check_config_names_a_broken_socket_file(tmp_path: Path) -> None:
    write(tmp_path / "mocks" / "rooms", "ws.WS.mock.json", {"rules": [{"match": {"text": "~["},
                                                                        "reply": {"text": "x"}}]})
    write(tmp_path / "mocks", "feed.WS.mock.json", {"echo": "yes"})
    problems = config_problems(tmp_path, {"mocks": "mocks"})
    assert any(p.startswith("origins.api.mocks: rooms/ws.WS.mock.json.rules[0].match.text")
               for p in problems), problems
    assert any(p.startswith("origins.api.mocks: feed.WS.mock.json: echo: expected true or false")
               for p in problems), problems


def test_a_socket_file_value_that_cannot_be_sent_closes_with_1011(tmp_path: Path) -> None:
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "feed.WS.mock.json").write_text('{"on_connect": [{"json": NaN}]}')
    config = build_config(tmp_path, {"api": {"port": 8001, "mocks": "mocks"}})
    app = build_origin("api", config.origins["api"], config.devserve).app
    client = TestClient(app, base_url="http://127.0.0.1:8001")
    with (
        client.websocket_connect(f"{WS}/feed") as socket,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        socket.receive_text()
    assert closed.value.code == 1011
