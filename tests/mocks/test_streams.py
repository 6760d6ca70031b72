"""Event-stream mocks (``stream = [...]``): events with types, typed JSON data and ids, resumed
after Last-Event-ID without a duplicate, looped, cut, bounded, and under the origin's CORS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import devserve
from devserve.embed import RunningInThread
from tests.mocks.conftest import config_problems
from tests.mocks.conftest import mock_client as client

STREAM = {
    "path": "/events",
    "retry_ms": 1000,
    "stream": [
        {"event": "greeting", "data": {"hello": "{{ query.name }}", "n": 1}, "id": "1"},
        {"event": "tick", "data": "{{ [1, 2] }}", "id": "2", "delay_ms": 10},
        {"data": "two\nlines", "id": "3"},
    ],
}


def events(text: str) -> list[dict[str, str]]:
    """The events of a text/event-stream body: each as its fields (data lines joined)."""
    parsed = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":"):
                continue  # a comment
            name, _, value = line.partition(": ")
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value
        if fields:
            parsed.append(fields)
    return parsed


def test_events_with_types_ids_and_json_data(tmp_path: Path) -> None:
    api = client(tmp_path, {"cors": "on", "routes": [STREAM]})
    answer = api.get("/events?name=Ada", headers={"Origin": "http://localhost:8000"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert answer.headers["access-control-allow-origin"] == "http://localhost:8000"
    assert answer.headers["x-devserve-cors"] == "allowed"
    first, *rest = events(answer.text)
    assert first == {"retry": "1000"}
    assert [e.get("event") for e in rest] == ["greeting", "tick", None]
    assert json.loads(rest[0]["data"]) == {"hello": "Ada", "n": 1}
    assert json.loads(rest[1]["data"]) == [1, 2]  # one {{ expr }} keeps its type: JSON
    assert rest[2]["data"] == "two\nlines"
    assert [e["id"] for e in rest] == ["1", "2", "3"]


def test_last_event_id_resumes_after_it_and_a_finished_stream_is_a_204(tmp_path: Path) -> None:
    api = client(tmp_path, {"routes": [STREAM]})
    resumed = events(api.get("/events", headers={"Last-Event-ID": "1"}).text)[1:]
    assert [e["id"] for e in resumed] == ["2", "3"]
    finished = api.get("/events", headers={"Last-Event-ID": "3"})
    assert finished.status_code == 204  # an EventSource stops reconnecting
    unknown = events(api.get("/events", headers={"Last-Event-ID": "x9"}).text)[1:]
    assert [e["id"] for e in unknown] == ["1", "2", "3"]


def test_a_mock_folder_envelope_can_be_a_stream(tmp_path: Path) -> None:
    (tmp_path / "mocks").mkdir()
    envelope = {"stream": [{"event": "a", "data": {"x": "{{ not rendered }}"}, "id": "1"}]}
    (tmp_path / "mocks" / "feed.mock.json").write_text(json.dumps(envelope))
    api = client(tmp_path, {"mocks": "mocks"})
    (event,) = events(api.get("/feed").text)
    assert event == {"id": "1", "event": "a", "data": '{"x":"{{ not rendered }}"}'}


def test_a_template_error_before_the_stream_is_a_500_naming_the_event(tmp_path: Path) -> None:
    route = {"path": "/bad", "stream": [{"data": "ok"}, {"data": {"n": "{{ 1 / 0 }}"}}]}
    answer = client(tmp_path, {"routes": [route]}).get("/bad")
    assert answer.status_code == 500
    assert answer.json()["reason"].startswith("origins.api.routes[0].stream[1].data.n: Zero")


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        ({"stream": [{"data": "x"}], "json": {}}, "stream = [...] is the body: remove json"),
        ({"stream": [{"data": "x"}], "stream_repeat": True}, "needs a delay_ms"),
        ({"stream_cut_after": 2, "json": {}}, "stream_cut_after applies to a stream"),
        ({"stream": [{"id": "a\nb"}]}, "stream[0].id: must be one line, without CR, LF or NUL"),
        ({"stream": [{"data": "{{ x"}]}, "stream[0].data: template syntax error"),
        ({"stream": [{"dat": "x"}]}, "stream[0].dat: unknown key; did you mean 'data'?"),
    ],
)
def test_stream_config_errors(tmp_path: Path, route: dict[str, Any], problem: str) -> None:
    problems = config_problems(tmp_path, {"routes": [{"path": "/s", **route}]})
    assert any(problem in p for p in problems), problems


@pytest.fixture(scope="module")
def running() -> Iterator[RunningInThread]:
    ticker = {"event": "tick", "data": "{{ now() }}", "delay_ms": 5}
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False},  # 8999 is the default-port tests' own
            "origins": {
                "api": {
                    "port": 0,
                    "routes": [
                        {**STREAM, "path": "/cut", "stream_cut_after": 2},
                        {"path": "/loop", "stream_repeat": True, "stream": [
                            {**ticker, "id": "1"}, {**ticker, "id": "2"}]},
                        {"path": "/named", "stream_repeat": True, "stream": [
                            {**ticker, "id": "a"}]},
                    ],
                }
            }
        }
    )
    with devserve.run_in_thread(config) as started:
        yield started


def read(
    url: str, count: int | None = None, last: str | None = None
) -> tuple[list[dict[str, str]], bool]:
    """Read ``url`` as an EventSource: up to ``count`` events; whether the stream broke off."""
    text, broke = "", False
    headers = {} if last is None else {"Last-Event-ID": last}
    try:
        with httpx.stream("GET", url, headers=headers, timeout=10) as answer:
            for chunk in answer.iter_text():
                text += chunk
                if count is not None and len(events(text)) > count:
                    break
    except httpx.RemoteProtocolError:
        broke = True
    got = [e for e in events(text) if "data" in e]
    return (got if count is None else got[:count]), broke


def test_a_cut_stream_resumes_with_the_rest_exactly_once(running: RunningInThread) -> None:
    url = running.url("api") + "/cut"
    first, broke = read(url)
    assert broke  # the connection was dropped, not ended: a page's reconnect path
    assert [e["id"] for e in first] == ["1", "2"]
    rest, _ = read(url, last=first[-1]["id"])
    assert [e["id"] for e in rest] == ["3"]
    notes = [r.note for r in running.requests if r.path == "/cut"]
    assert "stream cut after 2 event(s) (stream_cut_after)" in notes


def test_a_repeating_stream_continues_its_ids(running: RunningInThread) -> None:
    got, _ = read(running.url("api") + "/loop", 5)
    assert [e["id"] for e in got] == ["1", "2", "3", "4", "5"]
    resumed, _ = read(running.url("api") + "/loop", 2, last="4")
    assert [e["id"] for e in resumed] == ["5", "6"]
    named, _ = read(running.url("api") + "/named", 3)
    assert [e["id"] for e in named] == ["a", "a.1", "a.2"]
    again, _ = read(running.url("api") + "/named", 1, last="a.1")
    assert [e["id"] for e in again] == ["a.2"]


def test_a_credentialed_stream_works_with_an_allow_list_and_not_with_a_star(
    tmp_path: Path,
) -> None:
    page = "http://localhost:8000"
    asked = {"Origin": page, "Cookie": "session=1"}  # an EventSource with withCredentials
    listed = {"allow_origins": [page], "allow_credentials": True}
    answer = client(tmp_path, {"cors": listed, "routes": [STREAM]}).get("/events", headers=asked)
    assert answer.headers["access-control-allow-origin"] == page
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["x-devserve-cors"] == "allowed"
    star = client(tmp_path, {"cors": "*", "routes": [STREAM]}).get("/events", headers=asked)
    assert star.headers["access-control-allow-origin"] == "*"
    verdict = star.headers["x-devserve-cors"]
    assert verdict.startswith("blocked") and "'*'" in verdict and "credentials" in verdict


def test_data_that_cannot_be_sent_ends_the_stream_saying_why(tmp_path: Path) -> None:
    (tmp_path / "mocks").mkdir()
    envelope = '{"stream": [{"data": "ok", "id": "1"}, {"data": {"n": NaN}, "id": "2"}]}'
    (tmp_path / "mocks" / "feed.mock.json").write_text(envelope)  # Python's JSON reads NaN
    api = client(tmp_path, {"mocks": "mocks"})
    answer = api.get("/feed")
    assert answer.status_code == 200
    assert [e.get("id") for e in events(answer.text)] == ["1"]
