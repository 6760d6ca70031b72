"""Record and replay: each mode, sequences, matching, the near-miss 404, compressed bodies, and
a recordings folder (mock-folder envelopes) a person can read, edit and extend by hand, which
serves as a mock folder with no proxy at all."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from watchfiles import Change

from devserve.live.watcher import plan
from tests.mocks.conftest import mock_client
from tests.proxy.conftest import ProxyFactory, Running
from tests.support.configs import build_config
from tests.support.process import free_port
from tests.support.served import served
from tests.support.upstream import Upstream
from tests.support.waiting import wait_until


def _envelope(root: Path, name: str) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads((root / name).read_text())
    return envelope


def _states(proxied_records: list) -> list[str]:  # type: ignore[type-arg]
    return [record.proxy.state for record in proxied_records if record.proxy]


def test_missing_records_once_then_replays_without_the_upstream(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        first = proxied.client.get("/users?page=2")
        wait_until(lambda: _states(proxied.records) == ["recorded"], "the recording")
    assert [p.name for p in (tmp_path / "rec").iterdir()] == ["users.mock.json"]
    envelope = _envelope(tmp_path / "rec", "users.mock.json")
    assert envelope["match"] == {"query": {"page": "2"}, "exact_query": True}
    assert envelope["status"] == 200 and envelope["json"] == first.json()
    assert envelope["headers"]["x-total-count"] == "42"

    # A new run (as after a restart): the recording answers, the upstream is not asked.
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        again = proxied.client.get("/users?page=2")
        wait_until(lambda: _states(proxied.records) == ["replayed"], "a replay")
    assert again.json() == first.json()
    assert again.headers["x-total-count"] == "42"
    assert upstream.api.hits["/users"] == 1


def test_record_mode_keeps_repeats_as_a_sequence_that_replays_in_order(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="record") as proxied:
        counts = [proxied.client.get("/counter").json()["count"] for _ in range(3)]
        wait_until(lambda: _states(proxied.records).count("recorded") == 3, "three recordings")
    assert counts == [1, 2, 3]
    envelope = _envelope(tmp_path / "rec", "counter.mock.json")
    assert envelope["order"] == "once-then-last"
    assert [r["json"] for r in envelope["responses"]] == [{"count": n} for n in (1, 2, 3)]

    with proxy_origin(proxy=upstream.url, record="rec", record_mode="replay") as proxied:
        replayed = [proxied.client.get("/counter").json()["count"] for _ in range(4)]
    assert replayed == [1, 2, 3, 3]  # then the last one again
    assert upstream.api.hits["/counter"] == 3

    # Recording again in a new run replaces the old sequence instead of growing it.
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="record") as proxied:
        proxied.client.get("/counter")
        wait_until(lambda: _states(proxied.records) == ["recorded"], "the recording")
    envelope = _envelope(tmp_path / "rec", "counter.mock.json")
    assert "responses" not in envelope and envelope["json"] == {"count": 4}
    assert [p.name for p in (tmp_path / "rec").rglob("*")] == ["counter.mock.json"]


def test_replay_never_asks_the_upstream_and_a_miss_names_the_nearest_recording(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        proxied.client.get("/users?page=2&sort=name")
        proxied.client.post("/echo", json={"a": 1})
        wait_until(lambda: len(_states(proxied.records)) == 2, "two recordings")
    dead = f"http://127.0.0.1:{free_port()}"  # replay must not even try to connect
    with proxy_origin(proxy=dead, record="rec", record_mode="replay", cors="on") as proxied:
        hit = proxied.client.get("/users?sort=name&page=2")  # order does not matter
        miss = proxied.client.get(
            "/users?page=3&sort=name", headers={"Origin": "http://localhost:1"}
        )
        wrong_method = proxied.client.get("/echo")
    assert hit.status_code == 200
    assert miss.status_code == 404
    assert miss.headers["access-control-allow-origin"] == "http://localhost:1"
    assert miss.json()["error"] == "no recording for GET /users?page=3&sort=name"
    assert miss.json()["nearest"] == {
        "request": "GET /users?page=2&sort=name",
        "file": "users.mock.json",
        "differs": ["query page is '3', not '2'"],
    }
    assert wrong_method.json()["nearest"]["differs"] == ["method: recorded POST, got GET"]
    wait_until(lambda: _states(proxied.records) == ["replayed", "missed", "missed"], "the log")


def test_offline_forces_replay(upstream: Running, proxy_origin: ProxyFactory) -> None:
    with proxy_origin(proxy=upstream.url, record="rec", offline=True) as proxied:
        response = proxied.client.get("/echo")
    assert response.status_code == 404
    assert "nothing is recorded in" in response.json()["fix"]
    assert "/echo" not in upstream.api.hits


def test_off_records_nothing(upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path) -> None:
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="off") as proxied:
        proxied.client.get("/echo")
        proxied.client.get("/echo")
        wait_until(lambda: _states(proxied.records) == ["live", "live"], "two live requests")
    assert upstream.api.hits["/echo"] == 2
    assert not (tmp_path / "rec").exists()


def test_no_secret_reaches_any_recorded_file(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROXY_SECRET", "env-secret-5544332211")
    with proxy_origin(
        proxy=upstream.url,
        record="rec",
        proxy_headers={"X-Api-Key": "{{ env.PROXY_SECRET }}"},
        record_match={"headers": ["Authorization"]},
        redact={"json": ["user.email"]},
    ) as proxied:
        proxied.client.get(
            "/secret?api_key=query-secret-111&page=1",
            headers={"Authorization": "Bearer bearer-secret-222", "Cookie": "sid=cookie-sent-333"},
        )
        wait_until(lambda: _states(proxied.records) == ["recorded"], "the recording")
    written = "\n".join(p.read_text() for p in (tmp_path / "rec").rglob("*") if p.is_file())
    for secret in (
        "env-secret-5544332211",
        "query-secret-111",
        "bearer-secret-222",
        "cookie-sent-333",
        "tok-live-998877",  # "access_token" in the response body
        "cookie-secret-456",  # Set-Cookie of the response
        "server-side-key-123",  # X-Api-Key of the response
        "ada@example.com",  # a configured JSON path
    ):
        assert secret not in written
    assert '"name": "Ada"' in written  # what is not secret stays readable
    envelope = _envelope(tmp_path / "rec", "secret.mock.json")
    assert envelope["match"] == {  # a redacted value matches any value
        "query": {"api_key": True, "page": "1"},
        "exact_query": True,
        "headers": {"authorization": True},
    }
    assert envelope["headers"]["set-cookie"].startswith("sid=REDACTED;")

    # The redacted recording still answers the same request, secrets and all.
    with proxy_origin(
        proxy=upstream.url,
        record="rec",
        record_mode="replay",
        record_match={"headers": ["Authorization"]},
    ) as proxied:
        again = proxied.client.get(
            "/secret?page=1&api_key=another-key", headers={"Authorization": "Bearer other"}
        )
    assert again.status_code == 200
    assert again.json()["access_token"] == "REDACTED"


def test_compressed_bodies_are_stored_decoded(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    codings = ["gzip", "br", "zstd"]
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        live = {c: proxied.client.get(f"/compressed/{c}") for c in codings}
        wait_until(lambda: len(_states(proxied.records)) == 3, "three recordings")
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="replay") as proxied:
        replayed = {c: proxied.client.get(f"/compressed/{c}") for c in codings}
    for coding in codings:
        assert live[coding].headers["content-encoding"] == coding  # passed on as it came
        envelope = _envelope(tmp_path / "rec" / "compressed", f"{coding}.mock.json")
        stored = envelope["json"]
        assert stored == {"coding": coding, "items": list(range(50))}
        headers = envelope["headers"]
        assert "content-encoding" not in headers and "content-length" not in headers
        assert "content-encoding" not in replayed[coding].headers
        assert replayed[coding].json() == stored


def test_bodies_and_ignored_query_parameters_in_matching(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    options = {"record_match": {"body": True, "ignore_query": ["_"]}}
    with proxy_origin(proxy=upstream.url, record="rec", **options) as proxied:
        proxied.client.post("/echo?_=1", json={"q": "ada", "n": 1})
        wait_until(lambda: _states(proxied.records) == ["recorded"], "the recording")
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="replay", **options) as proxied:
        same = proxied.client.post("/echo?_=2", content=b'{"n": 1, "q": "ada"}')
        other = proxied.client.post("/echo", json={"q": "grace", "n": 1})
    assert same.status_code == 200 and json.loads(same.json()["body"]) == {"q": "ada", "n": 1}
    assert other.status_code == 404
    assert other.json()["nearest"]["differs"] == ["body.q is 'grace', not 'ada'"]
    envelope = _envelope(tmp_path / "rec", "echo.POST.mock.json")
    assert envelope["match"] == {"query": {}, "exact_query": True, "body": {"q": "ada", "n": 1}}


def test_a_hand_written_mock_file_answers_and_edits_show_at_once(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    (tmp_path / "rec" / "users").mkdir(parents=True)
    (tmp_path / "rec" / "users" / "7.json").write_text('{"id": 7}')
    (tmp_path / "rec" / "users.POST.201.json").write_text('{"created": true}')
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="replay") as proxied:
        user = proxied.client.get("/users/7?any=query")
        created = proxied.client.post("/users")
        (tmp_path / "rec" / "users" / "7.json").write_text('{"id": 7, "edited": true}')
        edited = proxied.client.get("/users/7")
    assert user.json() == {"id": 7}
    assert user.headers["content-type"] == "application/json; charset=utf-8"
    assert (created.status_code, created.json()) == (201, {"created": True})
    assert edited.json() == {"id": 7, "edited": True}


def test_a_recorded_folder_serves_as_a_mock_folder_with_no_proxy(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="record") as proxied:
        live = proxied.client.get("/users?page=2")
        counts = [proxied.client.get("/counter").json()["count"] for _ in range(2)]
        image = proxied.client.get("/image")
        wait_until(lambda: _states(proxied.records).count("recorded") == 4, "four recordings")
    assert counts == [1, 2]
    envelope = _envelope(tmp_path / "rec", "image.mock.json")
    assert envelope["file"] == ".bodies/image.1.png"
    assert (tmp_path / "rec" / ".bodies" / "image.1.png").read_bytes() == image.content

    api = mock_client(tmp_path, {"mocks": "rec"})  # another origin: no proxy, no upstream
    users = api.get("/users?page=2")
    assert users.json() == live.json() and users.headers["x-total-count"] == "42"
    assert users.headers["content-type"] == live.headers["content-type"]
    assert users.headers["link"] == live.headers["link"]
    assert api.get("/users?page=3").status_code == 404  # a query that was never recorded
    assert api.get("/users?page=2&more=1").status_code == 404
    assert [api.get("/counter").json()["count"] for _ in range(3)] == [1, 2, 2]
    served = api.get("/image")
    assert served.content == image.content and served.headers["content-type"] == "image/png"
    assert api.get("/.bodies/image.1.png").status_code == 404
    assert upstream.api.hits == {"/users": 1, "/counter": 2, "/image": 1}


def test_recordings_never_reload_pages(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    config = build_config(
        tmp_path,
        {
            "api": {
                "port": 8001,
                "static": "web",
                "proxy": "http://127.0.0.1:9",
                "record": "web/rec",
            }
        },
    )
    recorded = {(Change.added, str(tmp_path / "web" / "rec" / "users.mock.json"))}
    edited = {(Change.modified, str(tmp_path / "web" / "index.html"))}
    assert plan(recorded, config, None).pages == {}
    assert plan(edited, config, None).pages == {"api": "reload"}


def test_save_as_mock_writes_a_proxied_response(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="off") as proxied:
        proxied.client.get("/users?page=5")
        wait_until(lambda: proxied.records, "the request")
        note = proxied.records[-1].proxy
        assert note is not None and note.capture is not None
        proxy = proxied.origin.proxy
        assert proxy is not None
        path = anyio.run(proxy.save_capture, note.capture)
    assert path == tmp_path / "rec" / "users.mock.json"
    assert json.loads(path.read_text())["json"][0]["id"] == 50
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="replay") as proxied:
        assert proxied.client.get("/users?page=5").json()[0]["id"] == 50


def test_hostile_paths_are_recorded_inside_the_folder_and_replayed(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    # `/in/%2e%2e/escape` goes to the upstream as /escape (tests/security/test_proxy_base_path.py
    # refuses a path that climbs higher), but its recording is named after the path as sent.
    paths = ["/in/%2e%2e/escape", "/.env", "/" + "a" * 300, "/back%5Cslash", "/nul%00byte"]
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        live = [proxied.client.get(path).status_code for path in paths]
        wait_until(lambda: _states(proxied.records).count("recorded") == len(paths), "recordings")
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".toml"]
    assert written and all(p.is_relative_to(tmp_path / "rec") for p in written)
    assert not any(p.name.startswith(".") for p in written)
    with proxy_origin(proxy=upstream.url, record="rec", record_mode="replay") as proxied:
        replayed = [proxied.client.get(path).status_code for path in paths]
    assert replayed == live


def test_missing_replays_what_this_run_recorded_once_the_upstream_is_gone(
    proxy_origin: ProxyFactory,
) -> None:
    api = Upstream()
    with contextlib.ExitStack() as upstream_running:
        url = upstream_running.enter_context(served(api.app))
        with proxy_origin(proxy=url, record="rec") as proxied:
            first = proxied.client.get("/users?page=2")
            wait_until(lambda: _states(proxied.records) == ["recorded"], "the recording")
            upstream_running.close()  # the upstream stops; this run goes on
            again = proxied.client.get("/users?page=2")
            assert again.status_code == 200 and again.json() == first.json()
            assert _states(proxied.records)[-1] == "replayed"
            assert "upstream unreachable" in " ".join(proxied.records[-1].proxy.notes)  # type: ignore[union-attr]
            never = proxied.client.get("/users?page=9")  # nothing recorded: the 502 stays
            assert never.status_code == 502
