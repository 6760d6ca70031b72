"""devserve's pytest plugin, run by pytest's own pytester in a subprocess."""

from __future__ import annotations

import pytest

from tests.support.configs import PAGE_AND_API

CONFTEST_TEMPLATE = '''
import pytest

CONFIG = """{config}"""


@pytest.fixture(scope="session")
def shared(devserve_session):
    return devserve_session(CONFIG)
'''
CONFTEST = CONFTEST_TEMPLATE.replace("{config}", PAGE_AND_API)

TESTS = """
import httpx
import pytest

from conftest import CONFIG


def origin_of(running):
    return {"Origin": running.url("page").replace("127.0.0.1", "localhost")}


def test_factory_starts_a_config(devserve):
    running = devserve(CONFIG)
    response = httpx.get(running.url("api") + "/users/1", headers=origin_of(running))
    assert response.json()["name"] == "Ada"
    assert "access-control-allow-origin" in response.headers
    running.assert_no_blocked_requests()


@pytest.mark.devserve_cors_off("api")
def test_marker_switches_cors_off(devserve):
    running = devserve(CONFIG)
    response = httpx.get(running.url("api") + "/users/1", headers=origin_of(running))
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.devserve_cors_off("api")
def test_marker_on_a_session_instance(shared):
    response = httpx.get(shared.url("api") + "/users/1", headers=origin_of(shared))
    assert "access-control-allow-origin" not in response.headers


def test_session_instance_is_back_on_after_the_marked_test(shared):
    response = httpx.get(shared.url("api") + "/users/1", headers=origin_of(shared))
    assert "access-control-allow-origin" in response.headers


@pytest.mark.devserve_cors_off("api")
def test_blocked_requests_fail_the_assertion(devserve):
    running = devserve(CONFIG)
    httpx.get(running.url("api") + "/users/1", headers=origin_of(running))
    running.assert_no_blocked_requests()
"""


def test_the_plugin_fixtures_marker_and_assertion(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_app=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_blocked_requests_fail_the_assertion*",
            "*1 request(s) blocked by CORS:*",
            "*api*GET*/users/1 200*blocked: CORS is off for origin 'api'*",
        ]
    )


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["*devserve_cors_off(*names)*"])
