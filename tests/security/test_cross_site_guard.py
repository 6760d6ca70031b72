"""The cross-site guard over HTTP: writes, sockets and requests carrying proxy_headers are
accepted only from origins the policy allows (README "Security model"). Chromium playing the
attacker is in test_cross_site_browser.py."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from devserve.records import RequestRecord
from devserve.serving.origin import OriginApp, build_origin
from tests.support.configs import build_config
from tests.support.served import served
from tests.support.upstream import Upstream

EVIL = "http://evil.test"
PAGE = "http://localhost:8000"
DB = {"posts": [{"id": 1, "title": "hello"}], "profile": {"name": "ada"}}


@contextlib.contextmanager
def origin(tmp_path: Path, **settings: Any) -> Iterator[tuple[httpx.Client, list[RequestRecord]]]:
    config = build_config(tmp_path, {"api": {"port": 8001, **settings}})
    records: list[RequestRecord] = []
    app: OriginApp = build_origin(
        "api", config.origins["api"], config.devserve, observer=records.append
    )
    with served(app.app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client, records


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db.json"
    path.write_text(json.dumps(DB, indent=2))
    return path


def stored(db: Path) -> Any:
    return json.loads(db.read_text())


# Resources: a form or fetch from another site must not change db.json.


@pytest.mark.parametrize("cors", ["on", "off", "*", {"allow_origins": [PAGE]}])
def test_a_form_post_from_a_foreign_site_does_not_create_a_record(
    tmp_path: Path, db: Path, cors: Any
) -> None:
    with origin(tmp_path, resources="db.json", cors=cors) as (client, records):
        response = client.post(
            "/posts",
            data={"title": "pwned"},
            headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
        )
        assert response.status_code == 403
        refusal = response.json()
        assert refusal["origin"] == EVIL
        assert "POST request to /posts" in refusal["protected"]
        assert "allow_writes_from" in refusal["fix"] or "allow_origins" in refusal["fix"]
        assert client.get("/posts").json() == DB["posts"]
    assert stored(db) == DB
    assert records[0].status == 403
    assert records[0].note is not None and "refused a POST request" in records[0].note


def test_a_foreign_put_cannot_replace_a_singular_resource(tmp_path: Path, db: Path) -> None:
    # With "*" a preflight for PUT succeeds: the guard is what stops the write.
    with origin(tmp_path, resources="db.json", cors="*") as (client, _):
        response = client.put("/profile", json={"name": "mallory"}, headers={"Origin": EVIL})
        assert response.status_code == 403
        # "*" lets any page read, so the page can read why it was refused.
        assert response.headers["access-control-allow-origin"] == "*"
    assert stored(db) == DB


@pytest.mark.parametrize(
    ("cors", "page"),
    [
        ("on", PAGE),
        ("on", "http://127.0.0.1:5173"),
        ("on", "http://app.localhost:3000"),
        ("off", PAGE),
        ("*", PAGE),
        ({"allow_origins": ["http://localhost:9000"]}, "http://localhost:9000"),
    ],
)
def test_pages_the_policy_allows_still_write(
    tmp_path: Path, db: Path, cors: Any, page: str
) -> None:
    with origin(tmp_path, resources="db.json", cors=cors) as (client, _):
        response = client.post("/posts", json={"title": "ok"}, headers={"Origin": page})
        assert response.status_code == 201
    assert len(stored(db)["posts"]) == 2


def test_same_origin_and_non_browser_writes_pass(tmp_path: Path, db: Path) -> None:
    with origin(tmp_path, resources="db.json", cors={"allow_origins": [PAGE]}) as (client, _):
        own = str(client.base_url).rstrip("/")
        assert client.post("/posts", json={"a": 1}, headers={"Origin": own}).status_code == 201
        assert client.post("/posts", json={"a": 2}).status_code == 201  # curl, a test
        same_site = {"Sec-Fetch-Site": "same-site"}
        assert client.post("/posts", json={"a": 3}, headers=same_site).status_code == 201
    assert len(stored(db)["posts"]) == 4


def test_a_table_admits_only_what_it_lists(tmp_path: Path, db: Path) -> None:
    cors = {"allow_origins": [PAGE], "allow_origin_regex": r"http://localhost:70\d\d"}
    with origin(tmp_path, resources="db.json", cors=cors) as (client, _):
        assert client.post("/posts", json={}, headers={"Origin": PAGE}).status_code == 201
        ok = client.post("/posts", json={}, headers={"Origin": "http://localhost:7001"})
        assert ok.status_code == 201
        refused = client.post("/posts", json={}, headers={"Origin": "http://localhost:9999"})
        assert refused.status_code == 403
        assert "not in its cors table" in refused.json()["reason"]
        assert '"http://localhost:9999" to allow_origins' in refused.json()["fix"]


@pytest.mark.parametrize("listed", [[EVIL], ["*"]])
def test_allow_writes_from_admits_a_foreign_site(
    tmp_path: Path, db: Path, listed: list[str]
) -> None:
    with origin(tmp_path, resources="db.json", cors="*", allow_writes_from=listed) as (client, _):
        assert client.post("/posts", json={}, headers={"Origin": EVIL}).status_code == 201
        other = client.post("/posts", json={}, headers={"Origin": "http://other.test"})
        assert other.status_code == (201 if listed == ["*"] else 403)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        [("Origin", PAGE), ("Origin", EVIL)],
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site", "Referer": "http://evil.test/page.html"},
        {"Sec-Fetch-Site": "cross-site", "Referer": "not a url"},
    ],
    ids=["null", "two-origins", "cross-site-no-origin", "foreign-referer", "junk-referer"],
)
def test_writes_from_unknown_or_opaque_pages_are_refused(
    tmp_path: Path, db: Path, headers: Any
) -> None:
    with origin(tmp_path, resources="db.json", cors="on") as (client, _):
        response = client.post("/posts", json={}, headers=headers)
        assert response.status_code == 403, response.text
    assert stored(db) == DB


def test_a_cross_site_navigation_from_a_local_page_passes_by_its_referer(
    tmp_path: Path, db: Path
) -> None:
    # 127.0.0.1 -> localhost is cross-site; the Referer shows the page is local.
    headers = {"Sec-Fetch-Site": "cross-site", "Referer": "http://127.0.0.1:8000/form.html"}
    with origin(tmp_path, resources="db.json", cors="on") as (client, _):
        assert client.post("/posts", json={}, headers=headers).status_code == 201


def test_the_guard_follows_a_runtime_cors_switch(tmp_path: Path, db: Path) -> None:
    config = build_config(tmp_path, {"api": {"port": 8001, "resources": "db.json", "cors": "*"}})
    app = build_origin("api", config.origins["api"], config.devserve)
    with served(app.app) as url, httpx.Client(base_url=url) as client:
        local = {"Origin": "http://localhost:9999"}
        assert client.post("/posts", json={}, headers=local).status_code == 201
        app.switch.enabled = False  # `devserve cors api off`: local pages may still write
        assert client.post("/posts", json={}, headers=local).status_code == 201
        assert client.post("/posts", json={}, headers={"Origin": EVIL}).status_code == 403


# The proxy: the upstream never sees a foreign request carrying the user's secret.


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    api = Upstream()
    with served(api.app) as url:
        yield api, url


SECRET = {"X-Api-Key": "sk-live-secret"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_foreign_request_is_not_forwarded_with_proxy_headers(
    tmp_path: Path, upstream: tuple[Upstream, str], method: str
) -> None:
    api, url = upstream
    settings = {"proxy": url, "proxy_headers": SECRET, "cors": {"allow_origins": [PAGE]}}
    with origin(tmp_path, **settings) as (client, records):
        refused = client.request(method, "/echo", headers={"Origin": EVIL})
        assert refused.status_code == 403
        assert "with proxy_headers" in refused.json()["protected"] or method == "POST"
        assert "sk-live-secret" not in refused.text
        assert api.hits == {}
        allowed = client.request(method, "/echo", headers={"Origin": PAGE})
        assert allowed.status_code == 200
        assert allowed.json()["headers"]["x-api-key"] == "sk-live-secret"
    assert [r.status for r in records] == [403, 200]


def test_without_proxy_headers_foreign_reads_are_forwarded(
    tmp_path: Path, upstream: tuple[Upstream, str]
) -> None:
    api, url = upstream
    with origin(tmp_path, proxy=url, cors="*") as (client, _):
        # Nothing of the user's rides along, and CORS decides what the page may read.
        assert client.get("/echo", headers={"Origin": EVIL}).status_code == 200
        assert client.post("/echo", headers={"Origin": EVIL}).status_code == 403
    assert api.hits == {"/echo": 1}


def test_a_foreign_websocket_is_refused_before_the_upgrade(
    tmp_path: Path, upstream: tuple[Upstream, str]
) -> None:
    api, url = upstream
    settings = {"proxy": url, "proxy_headers": SECRET, "cors": {"allow_origins": [PAGE]}}
    with origin(tmp_path, **settings) as (client, records):
        ws_url = str(client.base_url).replace("http://", "ws://").rstrip("/") + "/ws"
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, origin=Origin(EVIL), open_timeout=5)
        assert refused.value.response.status_code == 403
        assert api.hits == {}
        reason = json.loads(refused.value.response.body or b"{}")
        assert "WebSocket connection to /ws" in reason["protected"]
        with connect(ws_url, origin=Origin(PAGE), open_timeout=5) as socket:
            socket.send("hi")
            assert socket.recv(timeout=5) == "echo: hi (sk-live-secret)"
    assert [(r.method, r.status) for r in records][:2] == [("WS", 403), ("WS", 101)]
    # A socket's refusal is its verdict (no CORS check judges a socket): blocked, and why.
    verdict = records[0].cors
    assert verdict is not None and verdict.verdict == "blocked"
    assert verdict.reason is not None and "WebSocket" in verdict.reason
