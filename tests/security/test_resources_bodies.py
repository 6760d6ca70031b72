"""Hostile bodies and ids for resources: one request must not spoil the file, and every write
gets an answer (a page can send any of these with a form or ``fetch``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from devserve.mocks.resources.body import MAX_BODY_DEPTH
from tests.mocks.resources.helpers import SAMPLE, write_db
from tests.support.configs import config_toml
from tests.support.process import Devserve, StartDevserve, free_ports, run_command

DIALECTS = ("0.17", "v1")


def _strict(text: str) -> Any:
    """JSON as a browser reads it: no NaN or Infinity."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):  # the item is one level: `depth` levels in all
        value = [value]
    return value


Started = tuple[Devserve, dict[str, str]]


@pytest.fixture
def served(tmp_path: Path, start_devserve: StartDevserve) -> Callable[[], Started]:
    """devserve with origin ``0.17`` on 017.json and ``v1`` on v1.json (both SAMPLE); call it
    again after stopping the first to start over on the same files."""
    write_db(tmp_path, name="017.json")
    write_db(tmp_path, name="v1.json")
    ports = dict(zip(DIALECTS, free_ports(2), strict=True))
    origins = {
        "api": {"port": ports["0.17"], "resources": "017.json"},
        "v1": {"port": ports["v1"], "resources": "v1.json", "dialect": "v1"},
    }
    config = config_toml(origins, {"dashboard_port": False})

    def start() -> Started:
        server = start_devserve(config, ports=list(ports.values()), args=["--no-reload"])
        return server, {d: f"http://127.0.0.1:{port}" for d, port in ports.items()}

    return start


def _file(tmp_path: Path, dialect: str) -> Path:
    return tmp_path / ("017.json" if dialect == "0.17" else "v1.json")


def _post(base: str, body: str) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    return httpx.post(f"{base}/posts", content=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"id": 1e400}', "id"),
        ('{"title": "x", "views": -1e999}', "views"),
        ('{"id": ' + "9" * 4000 + "}", "id"),
        ('{"author": {"scores": [1, 2, 1' + "0" * 400 + "]}}", "author.scores[2]"),
    ],
)
def test_numbers_javascript_cannot_hold_are_refused_and_the_file_stays_readable(
    tmp_path: Path, served: Callable[[], Started], body: str, field: str
) -> None:
    server, bases = served()
    for dialect, base in bases.items():
        response = _post(base, body)
        assert response.status_code == 400, (dialect, response.text)
        error = response.json()["error"]
        assert f"field {field!r}" in error and "Infinity" in error
        assert _strict(_file(tmp_path, dialect).read_text()) == SAMPLE  # nothing stored
        assert _post(base, '{"title": "after"}').status_code == 201  # later writes work
    server.stop()
    checked = run_command("check-config", cwd=tmp_path)  # devserve reads its own files
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Traceback" not in server.output()


def test_integers_past_2_53_are_stored_as_javascript_holds_them(
    tmp_path: Path, served: Callable[[], Started]
) -> None:
    server, bases = served()
    base = bases["0.17"]
    big = '{"id": 12345678901234567890, "views": 1' + "0" * 300 + ', "title": "big"}'
    created = _post(base, big)
    assert created.status_code == 201, created.text
    # What json-server stores: the nearest double, written as JavaScript writes it.
    assert created.json() == {"id": 12345678901234567000, "views": 1e300, "title": "big"}
    assert created.headers["location"] == f"{base}/posts/12345678901234567000"
    following = _post(base, '{"title": "next"}')  # 12345678901234567000 + 1 is not exact
    assert following.status_code == 201 and isinstance(following.json()["id"], str)
    for query in ("views_gte=100", "_sort=views&_order=desc", "q=1234", "id=12345678901234567000"):
        response = httpx.get(f"{base}/posts?{query}")
        assert response.status_code == 200, (query, response.text)
    assert [post["title"] for post in httpx.get(f"{base}/posts?views_gte=1e299").json()] == ["big"]
    assert httpx.get(f"{base}/posts/12345678901234567000").json()["title"] == "big"
    server.stop()
    server, bases = served()  # and after a restart
    assert httpx.get(f"{bases['0.17']}/posts?views_gte=1").status_code == 200
    assert _post(bases["0.17"], '{"title": "again"}').status_code == 201
    assert "Traceback" not in server.output()


def test_bodies_nested_too_deep_are_refused_and_queries_keep_working(
    tmp_path: Path, served: Callable[[], Started]
) -> None:
    server, bases = served()
    for dialect, base in bases.items():
        deep = _post(base, json.dumps({"title": "deep", "tree": _nested(500)}))
        assert deep.status_code == 400, (dialect, deep.text)
        assert f"more than {MAX_BODY_DEPTH} levels deep" in deep.json()["error"]
        fine = _post(base, json.dumps({"title": "fine", "tree": _nested(MAX_BODY_DEPTH - 1)}))
        assert fine.status_code == 201, (dialect, fine.text)
        queries = ["q=fine", "tree=1", "tree_like=1", "_sort=tree", "tree:eq=1", "_sort=-tree"]
        for query in queries:
            response = httpx.get(f"{base}/posts?{query}")
            assert response.status_code == 200, (dialect, query, response.text)
        assert _post(base, '{"title": "after"}').status_code == 201
    assert "Traceback" not in server.output()


# Ids a page can send: control characters would break the Location header, text outside
# Latin-1 cannot be sent in one raw.
IDS = ["a\r\nSet-Cookie: x=1", "line\nfeed", "nul\x00", "esc\x1b[2J", "café €", "a/b?c#d %"]


@pytest.mark.parametrize("wanted", IDS)
def test_any_id_is_stored_and_answered_with_a_safe_location(
    served: Callable[[], Started], wanted: str
) -> None:
    server, bases = served()
    base = bases["0.17"]
    created = httpx.post(f"{base}/posts", json={"id": wanted, "title": "odd"}, timeout=10)
    assert created.status_code == 201 and created.json()["id"] == wanted
    location = created.headers["location"]
    assert location.isascii() and location.isprintable() and " " not in location
    assert location.startswith(f"{base}/posts/")
    assert unquote(location.removeprefix(f"{base}/posts/")) == wanted  # one segment, encoded
    assert "set-cookie" not in created.headers
    segment = quote(wanted, safe="")
    again = httpx.post(f"{base}/posts", json={"id": wanted}, timeout=10)
    assert again.status_code == 409  # stored once, answered once
    if "/" not in wanted:  # a slash in the path is a nested route, as in json-server
        assert httpx.get(f"{base}/posts/{segment}").json()["title"] == "odd"
    # 1.0 makes its own ids; one in the body is replaced, so any body id is harmless there.
    made = httpx.post(f"{bases['v1']}/posts", json={"id": wanted}, timeout=10)
    assert made.status_code == 201 and made.json()["id"] != wanted
    log = server.output()
    assert "Traceback" not in log and "\x1b" not in log and "\x00" not in log


def test_an_id_with_a_lone_surrogate_is_answered(served: Callable[[], Started]) -> None:
    """JSON can escape half of a UTF-16 pair ("\\ud800"); UTF-8 has no bytes for it."""
    server, bases = served()
    created = _post(bases["0.17"], '{"id": "half \\ud800", "title": "odd"}')
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "half \ud800"
    assert created.headers["location"].isascii()
    assert _post(bases["0.17"], '{"id": "half \\ud800"}').status_code == 409
    assert "Traceback" not in server.output()
