"""Mixed content on its own (devserve.cors.mixed); browsers: tests/browser/test_sites_oracle."""

from __future__ import annotations

import pytest

from devserve.check.simulate import run_check
from devserve.cors.mixed import mixed_content_problem

PAGE = "https://app.localhost:8443"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8001/x",
        "http://127.8.0.1:8001/x",
        "http://[::1]:8001/x",
        "http://localhost:8001/x",
        "http://api.localhost:8001/x",
        "https://dev.test:8001/x",
        "wss://dev.test/socket",
    ],
)
def test_trustworthy_urls_are_not_mixed_content(url: str) -> None:
    assert mixed_content_problem(PAGE, url) is None


def test_an_http_name_from_an_https_page_is_mixed_content() -> None:
    problem = mixed_content_problem(PAGE, "http://dev.test:8001/users")
    assert problem is not None
    assert problem.startswith("mixed content: a page on https://app.localhost:8443 (https)")
    assert "http://dev.test:8001" in problem and "https = true" in problem


@pytest.mark.parametrize("page", ["http://app.localhost:8000", "http://localhost:8000", "null"])
def test_a_page_on_http_is_never_restricted(page: str) -> None:
    assert mixed_content_problem(page, "http://dev.test:8001/users") is None


def test_check_stops_mixed_content_before_sending() -> None:
    # dev.test resolves nowhere here: a check that tried to send would fail with a network error.
    report = run_check("http://dev.test:9/users", origin=PAGE, timeout=2)
    assert not report.allowed and report.steps == []
    assert report.verdict.reasons[0].startswith("mixed content:")
