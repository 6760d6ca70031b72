"""``responses = [...]`` with ``order``, route-level headers and latency; resets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.mocks.conftest import config_problems, mock_client


def flaky(order: str) -> dict[str, object]:
    return {
        "routes": [
            {
                "path": "/status",
                "order": order,
                "headers": {"X-Api": "v1"},
                "responses": [
                    {"status": 503, "json": {"ok": False}, "headers": {"Retry-After": "1"}},
                    {"json": {"ok": True, "n": "{{ 2 }}"}},
                    {"status": 202, "body": "later"},
                ],
            }
        ]
    }


def statuses(tmp_path: Path, order: str, count: int) -> list[int]:
    api = mock_client(tmp_path, flaky(order))
    return [api.get("/status").status_code for _ in range(count)]


def test_cycle(tmp_path: Path) -> None:
    assert statuses(tmp_path, "cycle", 7) == [503, 200, 202, 503, 200, 202, 503]


def test_once_then_last(tmp_path: Path) -> None:
    assert statuses(tmp_path, "once-then-last", 5) == [503, 200, 202, 202, 202]


def test_random_picks_among_the_responses(tmp_path: Path) -> None:
    seen = set(statuses(tmp_path, "random", 60))
    assert seen <= {503, 200, 202} and len(seen) >= 2


def test_each_response_has_its_own_body_and_headers_plus_the_routes(tmp_path: Path) -> None:
    api = mock_client(tmp_path, flaky("cycle"))
    first, second, third = (api.get("/status") for _ in range(3))
    assert first.headers["retry-after"] == "1" and first.headers["x-api"] == "v1"
    assert second.json() == {"ok": True, "n": 2} and "retry-after" not in second.headers
    assert third.text == "later" and third.headers["x-api"] == "v1"


def test_a_failed_match_does_not_advance_the_sequence(tmp_path: Path) -> None:
    route = flaky("cycle")["routes"][0]  # type: ignore[index]
    api = mock_client(tmp_path, {"routes": [{**route, "match": {"query": {"go": True}}}]})
    assert api.get("/status").status_code == 404
    assert api.get("/status?go").status_code == 503


@pytest.mark.parametrize("key", ["json", "status", "fault"])
def test_response_keys_go_on_the_items(tmp_path: Path, key: str) -> None:
    value = {"json": {}, "status": 201, "fault": "close"}[key]
    found = config_problems(
        tmp_path, {"routes": [{"path": "/x", key: value, "responses": [{"body": "a"}]}]}
    )
    assert found == [
        f"origins.api.routes[0]: with responses = [...], put {key} on each response, not on "
        "the route (the route's headers, delay_ms and jitter_ms apply to all of them)"
    ]


def test_delay_and_jitter(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {"path": "/slow", "delay_ms": 200, "jitter_ms": 100, "body": ""},
                {"path": "/seq", "delay_ms": 100, "responses": [{"delay_ms": 100, "body": ""}]},
            ]
        },
    )
    for path, low, high in (("/slow", 0.2, 0.3), ("/seq", 0.2, 0.2)):
        start = time.monotonic()
        api.get(path)
        took = time.monotonic() - start
        assert low <= took < high + 0.25, (path, took)
