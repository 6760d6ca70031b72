"""Template limits: time, output size, operations that would build huge values; body size."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.mocks.conftest import mock_client


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 'a' * 10**9 }}", "repeating a value 1000000000 times"),
        ("{{ 9 ** 99999999 }}", "too large a number"),
        ("{{ 'a'|center(10**9) }}", "argument to 'center' of 1000000000"),
        ("{{ ('ab' * 1000).replace('', 'x' * 99999) }}", "'replace' would build a value"),
        ("{{ '%999999999s' % 'a' }}", "a format width of 999999999"),
        ("{{ '{:>999999999}'.format('a') }}", "a format width of 999999999"),
        ("{{ [1]|slice(10**9)|list }}", "argument to 'slice'"),
        ("{{ range(10**9)|list }}", "Range too big"),
        ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "over the size limit",
        ),
    ],
)
def test_values_that_would_be_huge_are_refused_before_they_are_built(
    tmp_path: Path, template: str, reason: str
) -> None:
    api = mock_client(tmp_path, {"routes": [{"path": "/x", "body": template}]})
    started = time.monotonic()
    response = api.get("/x")
    assert time.monotonic() - started < 1
    assert response.status_code == 500
    assert reason in response.json()["reason"]


def test_time_and_size_limits_are_configurable(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {"path": "/big", "body": "{% for i in range(5000) %}0123456789{% endfor %}"},
                {"path": "/slow", "body": "{% for i in range(99999) %}{{ i }}{% endfor %}" * 50},
                {"path": "/ok", "json": {"n": "{{ 1 }}"}},
            ]
        },
        settings={"template_max_bytes": 40_000, "template_timeout_ms": 50},
    )
    assert "json" not in api.get("/big").json()["reason"]
    assert "over the size limit of 40,000 bytes" in api.get("/big").json()["reason"]
    assert "ran longer than 50 ms" in api.get("/slow").json()["reason"]
    assert api.get("/ok").json() == {"n": 1}


def test_a_body_over_the_limit_is_refused_with_413(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path, {"routes": [{"method": "POST", "path": "/x", "body": "{{ body }}"}]}
    )
    response = api.post("/x", content=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert api.post("/x", content=b"small").text == "small"


def test_a_reason_quoting_a_huge_value_is_cut_to_fit_a_log_line(tmp_path: Path) -> None:
    api = mock_client(tmp_path, {"routes": [{"path": "/x", "body": "{{ {}.pop('k' * 50000) }}"}]})
    reason = api.get("/x").json()["reason"]
    assert reason.startswith("origins.api.routes[0].body: KeyError: 'kkk")
    assert len(reason) == 1000 and reason.endswith("...")
