"""`devserve send NAME PATH MESSAGE`: a broadcast from the terminal reaches every page of the
socket, a JSON-looking message as it is; a mistake is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from websockets.sync.client import connect

from tests.support.configs import config_toml
from tests.support.process import free_ports, run_command, run_devserve


def test_devserve_send_reaches_every_page_and_names_a_mistake(tmp_path: Path) -> None:
    api, dashboard = free_ports(2)
    sockets = [{"path": "/ws", "echo": True}]
    text = config_toml({"api": {"port": api, "sockets": sockets}}, {"dashboard_port": dashboard})
    (tmp_path / "devserve.toml").write_text(text)
    server = run_devserve(["run", "--no-reload"], cwd=tmp_path, wait_ports=[api, dashboard])
    try:
        url = f"ws://127.0.0.1:{api}/ws"
        with connect(url, open_timeout=5) as one, connect(url, open_timeout=5) as two:
            for page in (one, two):  # both are registered once they answer
                page.send("ready")
            assert (one.recv(timeout=5), two.recv(timeout=5)) == ("ready", "ready")
            sent = run_command("send", "api", "/ws", '{"type": "news", "n": 1}', cwd=tmp_path)
            assert sent.returncode == 0, sent.stderr
            assert sent.stdout == "sent to 2 pages on /ws of 'api'\n"
            for page in (one, two):
                assert json.loads(page.recv(timeout=5)) == {"type": "news", "n": 1}
        wrong = run_command("send", "api", "/nope", "x", cwd=tmp_path)
        assert wrong.returncode == 2
        assert wrong.stderr == "error: origin 'api' has no socket at /nope (its sockets: /ws)\n"
    finally:
        server.stop()
    assert "api        WS>     /ws #1 {\"type\": \"news\", \"n\": 1}" in server.output()
