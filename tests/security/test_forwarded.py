"""X-Forwarded-* from a request changes nothing: uvicorn would trust them from 127.0.0.1 (where
every local page is), letting any page pose as another scheme or client. devserve is never
behind a proxy of its own, so it turns that off."""

from __future__ import annotations

from pathlib import Path

import httpx

import devserve


def test_x_forwarded_proto_and_for_do_not_change_the_request(tmp_path: Path) -> None:
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False},
            "origins": {"api": {"port": 0, "routes": [{"path": "/me", "json": "{{ url }}"}]}},
        },
        base=tmp_path,
    )
    with devserve.run_in_thread(config) as running:
        base = running.url("api")
        forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        answer = httpx.get(base + "/me", headers=forged)
    assert answer.status_code == 200
    assert answer.json() == base + "/me"
