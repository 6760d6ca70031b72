"""`devserve send NAME PATH MESSAGE`: a broadcast from the terminal reaches every page of the
socket, a JSON-looking message as it is; a mistake is one line and exit 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner
from websockets.sync.client import connect

import devserve
from devserve.cli.root import app
from tests.support.process import free_port


def test_devserve_send_reaches_every_page_and_names_a_mistake() -> None:
    dashboard = free_port()
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": dashboard},
            "origins": {"api": {"port": 0, "sockets": [{"path": "/ws", "echo": True}]}},
        }
    )
    control = ["--url", f"http://127.0.0.1:{dashboard}"]
    with devserve.run_in_thread(config) as running:
        url = running.url("api").replace("http://", "ws://") + "/ws"
        # (In this process the instance's own log lines come out too: the command's is last.)
        nobody = CliRunner().invoke(app, ["send", "api", "/ws", "hi", *control])
        assert nobody.exit_code == 0
        assert nobody.output.endswith("\nno page is connected to /ws of 'api': nothing sent\n")
        with connect(url, open_timeout=5) as one, connect(url, open_timeout=5) as two:
            for page in (one, two):  # both are registered once they answer
                page.send("ready")
                assert page.recv(timeout=5) == "ready"
            message = '{"type": "news", "n": 1}'
            sent = CliRunner().invoke(app, ["send", "api", "/ws", message, *control])
            assert sent.exit_code == 0
            assert sent.output.endswith("\nsent to 2 pages on /ws of 'api'\n")
            for page in (one, two):
                assert page.recv(timeout=5) == message  # as it is, spaces and all
                assert json.loads(message) == {"type": "news", "n": 1}
        wrong = CliRunner().invoke(app, ["send", "api", "/nope", "x", *control])
        assert wrong.exit_code == 2
        assert wrong.output.endswith(
            "error: origin 'api' has no socket at /nope (its sockets: /ws)\n"
        )
        lines = [record.line() for record in running.socket_events]
    assert 'api        WS>     /ws #2 {"type": "news", "n": 1}' in lines
