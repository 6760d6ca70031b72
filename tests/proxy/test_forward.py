"""The proxy forwards what nothing else answers: as the browser sent it, back as the upstream
answered, with this origin's CORS policy and cookies that work on localhost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.proxy.conftest import ProxyFactory, Running
from tests.support.process import free_port
from tests.support.waiting import wait_until

PAGE = "http://localhost:3000"


def test_method_query_body_and_headers_reach_the_upstream(
    upstream: Running, proxy_origin: ProxyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSTREAM_KEY", "key-from-env-123456")
    with proxy_origin(
        proxy=upstream.url, proxy_headers={"X-Api-Key": "{{ env.UPSTREAM_KEY }}"}
    ) as proxied:
        response = proxied.client.put(
            "/echo?b=2&a=1&a=0",
            json={"name": "Ada"},
            headers={
                "X-Custom": "kept",
                "Connection": "X-Hop",
                "X-Hop": "dropped",
                "Origin": PAGE,
            },
        )
    assert response.status_code == 200
    assert response.headers["x-upstream"] == "yes"
    seen = response.json()
    assert (seen["method"], seen["path"], seen["query"]) == ("PUT", "/echo", "b=2&a=1&a=0")
    assert json.loads(seen["body"]) == {"name": "Ada"}
    headers = seen["headers"]
    assert headers["x-custom"] == "kept"
    assert headers["x-api-key"] == "key-from-env-123456"
    assert headers["host"] == upstream.url.removeprefix("http://")  # Host rewritten
    assert "x-hop" not in headers  # named in Connection: hop-by-hop
    assert "origin" not in headers  # CORS is this origin's job, not the upstream's
    line = proxied.records[-1].line()
    assert "upstream 200" in line and "key-from-env-123456" not in line


def test_a_base_path_on_the_proxy_url_prefixes_every_path(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=upstream.url + "/v1") as proxied:
        assert proxied.client.get("/echo").json()["path"] == "/v1/echo"


def test_the_upstreams_cors_headers_give_way_to_the_origins_policy(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=upstream.url, cors="off") as proxied:
        off = proxied.client.get("/cors", headers={"Origin": PAGE})
    assert off.status_code == 200 and off.json() == {"cors": "upstream"}
    assert not [name for name in off.headers if name.startswith("access-control-")]
    assert off.headers["x-devserve-cors"].startswith("blocked")

    policy = {"allow_origins": [PAGE], "expose_headers": ["X-Total-Count"]}
    with proxy_origin(proxy=upstream.url, cors=policy) as proxied:
        listed = proxied.client.get("/cors", headers={"Origin": PAGE})
        preflight = proxied.client.options(
            "/cors", headers={"Origin": PAGE, "Access-Control-Request-Method": "PUT"}
        )
    assert listed.headers["access-control-allow-origin"] == PAGE
    assert "access-control-allow-credentials" not in listed.headers
    assert listed.headers["access-control-expose-headers"] == "X-Total-Count"
    assert preflight.status_code == 403  # answered by the policy, never by the upstream
    assert upstream.api.hits["/cors"] == 2


def test_set_cookie_is_rewritten_for_localhost_and_the_log_says_how(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=upstream.url) as proxied:
        response = proxied.client.get("/cookie")
    cookies = response.headers.get_list("set-cookie")
    assert cookies == ["session=abc123xyz; Path=/; HttpOnly; SameSite=Lax", "theme=dark; Path=/"]
    note = proxied.records[-1].proxy
    assert note is not None
    assert note.notes == [
        "cookie session: Domain=api.example.com removed, Secure removed, "
        "SameSite=None became Lax (None needs Secure)"
    ]


def test_a_redirect_to_the_upstream_comes_back_to_this_origin(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=upstream.url) as proxied:
        response = proxied.client.get("/redirect")
        assert response.status_code == 302
        assert response.headers["location"] == proxied.url + "/echo?from=redirect"


def test_a_dead_upstream_is_a_502_naming_it(proxy_origin: ProxyFactory) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with proxy_origin(proxy=dead, cors="on") as proxied:
        response = proxied.client.get("/anything", headers={"Origin": PAGE})
    assert response.status_code == 502
    body = response.json()
    assert body["upstream"] == dead
    assert body["error"].startswith(f"upstream {dead} failed: cannot connect")
    assert response.headers["access-control-allow-origin"] == PAGE  # the page can read why


def test_a_slow_upstream_is_a_504_after_proxy_timeout(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=upstream.url, proxy_timeout=0.5) as proxied:
        response = proxied.client.get("/slow")
    assert response.status_code == 504
    assert "no response within 0.5 s (proxy_timeout)" in response.json()["error"]


def test_bodies_stream_both_ways(upstream: Running, proxy_origin: ProxyFactory) -> None:
    upload = b"u" * (3 * 1024 * 1024)
    with proxy_origin(proxy=upstream.url) as proxied:

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(upload), 256 * 1024):
                yield upload[start : start + 256 * 1024]

        sent = proxied.client.post("/upload", content=chunks())
        with proxied.client.stream("GET", "/big?mb=4") as download:
            size = sum(len(chunk) for chunk in download.iter_raw())
            length = int(download.headers["content-length"])
    assert sent.json() == {"received": len(upload)}
    assert size == length == 4 * 1024 * 1024


def test_event_streams_pass_through(upstream: Running, proxy_origin: ProxyFactory) -> None:
    with proxy_origin(proxy=upstream.url) as proxied:
        response = proxied.client.get("/events")
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == "data: tick 0\n\ndata: tick 1\n\ndata: tick 2\n\n"


def test_websockets_pass_through_with_the_proxy_headers(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with (
        proxy_origin(proxy=upstream.url, proxy_headers={"X-Api-Key": "ws-key"}) as proxied,
        connect(proxied.url.replace("http", "ws") + "/ws") as socket,
    ):
        socket.send("hello")
        assert socket.recv(timeout=5) == "echo: hello (ws-key)"
        socket.send("bye")
        with pytest.raises(Exception, match="4001"):
            socket.recv(timeout=5)


def test_static_files_first_then_the_proxy(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<p>local page</p>")
    with proxy_origin(proxy=upstream.url, static="web") as proxied:
        page = proxied.client.get("/")
        api = proxied.client.get("/echo")
        posted = proxied.client.post("/echo", content=b"data")
    assert "local page" in page.text
    assert api.json()["path"] == "/echo"
    assert posted.json()["body"] == "data"  # static's 405 for POST falls through too
    wait_until(lambda: upstream.api.hits.get("/echo") == 2, "two requests at the upstream")


def test_samesite_none_before_secure_still_becomes_lax_on_http() -> None:
    from devserve.proxy.cookies import rewrite_set_cookie

    rewritten = rewrite_set_cookie("sid=1; SameSite=None; Path=/; Secure", secure_origin=False)
    assert rewritten.value == "sid=1; SameSite=Lax; Path=/"
    assert rewritten.changes == ("SameSite=None became Lax (None needs Secure)", "Secure removed")
    kept = rewrite_set_cookie("theme=dark;Path=/", secure_origin=False)
    assert kept.value == "theme=dark;Path=/" and kept.changes == ()
