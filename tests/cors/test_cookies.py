"""The cookie judge and sites on their own; against browsers: tests/browser/test_cookie_oracle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devserve.cors.cookies import default_path, judge_cookie, path_matches
from devserve.setcookie import parse_cookie_date, parse_set_cookie
from devserve.urls import Origin, registrable_domain, same_site, site

LOCAL_PAGE = "http://localhost:8000"
IP_PAGE = "http://127.0.0.1:8000"
API = "http://localhost:8001/api/login"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("http://localhost:8000", "http://localhost:8001", True),  # ports do not count
        ("http://127.0.0.1:8000", "http://localhost:8001", False),
        ("http://localhost:8000", "https://localhost:8001", False),  # schemes do
        ("http://app.localhost:8000", "http://api.localhost:8001", False),
        ("http://app.example.com", "http://api.example.com", True),
        ("http://[::1]:8000", "http://[::1]:9000", True),
        ("null", "http://localhost:8001", False),
    ],
)
def test_same_site(a: str, b: str, same: bool) -> None:
    assert same_site(a, b) is same


def is_trustworthy(url: str) -> bool:
    origin = Origin.of_url(url)
    return origin is not None and origin.is_trustworthy


def test_sites_and_trustworthy_urls() -> None:
    assert site("HTTP://API.Example.COM:8080/x") == "http://example.com"
    assert registrable_domain("192.168.1.10") == "192.168.1.10"
    assert registrable_domain("intranet") == "intranet"
    assert is_trustworthy("http://localhost:1") and is_trustworthy("http://127.0.0.2:1")
    assert is_trustworthy("http://[::1]:1") and is_trustworthy("http://a.localhost")
    assert is_trustworthy("https://example.com")
    assert not is_trustworthy("http://192.168.1.10:8000")


def test_parse_set_cookie() -> None:
    cookie = parse_set_cookie(
        " sid = abc ; Path=/x; DOMAIN=.Example.com; secure; SameSite=NONE; Max-Age=60; "
        "Partitioned; Max-Age=90"
    )
    assert cookie is not None
    assert (cookie.name, cookie.value, cookie.path) == ("sid", "abc", "/x")
    assert cookie.domain == "example.com"
    assert cookie.secure and cookie.partitioned and cookie.same_site == "none"
    assert cookie.max_age == 90  # the last one wins
    assert parse_set_cookie("=") is None
    nameless = parse_set_cookie("token")
    assert nameless is not None and (nameless.name, nameless.value) == ("", "token")
    odd = parse_set_cookie("a=1; SameSite=sometimes; Path=relative; Max-Age=1.5")
    assert odd is not None and odd.same_site is None and odd.path is None and odd.max_age is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu, 01 Jan 2000 00:00:00 GMT", datetime(2000, 1, 1, tzinfo=UTC)),
        ("Wed, 09-Jun-21 10:18:14 GMT", datetime(2021, 6, 9, 10, 18, 14, tzinfo=UTC)),
        ("Sunday, 06-Nov-94 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("not a date", None),
        ("31 Feb 2020 00:00:00", None),
    ],
)
def test_cookie_dates(text: str, expected: datetime | None) -> None:
    assert parse_cookie_date(text) == expected


def test_paths() -> None:
    assert default_path("http://h/api/login") == "/api"
    assert default_path("http://h/login") == "/" and default_path("http://h") == "/"
    assert path_matches("/api/x", "/api") and path_matches("/api/x", "/api/")
    assert path_matches("/api", "/api") and not path_matches("/apix", "/api")


def test_same_site_cookie_is_kept() -> None:
    verdict = judge_cookie("sid=1; Path=/", page=LOCAL_PAGE, url=API)
    assert verdict.stored and verdict.sent and not verdict.reasons and not verdict.engine_notes
    assert verdict.summary == "sid kept"


def test_cross_site_default_lax_in_chromium_partitioned_in_firefox() -> None:
    chromium = judge_cookie("sid=1", page=IP_PAGE, url=API, engine="chromium")
    assert not chromium.stored
    assert chromium.summary.startswith("sid dropped: no SameSite attribute, so Chromium treats")
    assert "open the page from the API's host, e.g. http://localhost:8000" in chromium.reasons[0]
    [note] = chromium.engine_notes
    assert note.startswith("Firefox would store it (partitioned for http://127.0.0.1)")
    firefox = judge_cookie("sid=1", page=IP_PAGE, url=API, engine="firefox")
    assert firefox.stored and firefox.sent and firefox.partition == "http://127.0.0.1"
    assert "Total Cookie Protection" in firefox.notes[0]
    assert firefox.engine_notes[0].startswith("Chromium would drop it")


def test_third_party_cookie_blocked_by_chromium_unless_partitioned() -> None:
    blocked = judge_cookie("sid=1; SameSite=None; Secure", page=IP_PAGE, url=API)
    assert not blocked.stored and "third-party cookie" in blocked.reasons[0]
    assert "add Partitioned" in blocked.reasons[0]
    chips = judge_cookie("sid=1; SameSite=None; Secure; Partitioned", page=IP_PAGE, url=API)
    assert chips.stored and chips.sent and chips.partition == "http://127.0.0.1"
    assert chips.summary == "sid kept (partitioned for http://127.0.0.1)"


def test_explicit_lax_from_a_cross_site_response() -> None:
    verdict = judge_cookie("session=1; SameSite=Lax", page=IP_PAGE, url=API, engine="firefox")
    assert verdict.summary.startswith(
        "session dropped: SameSite=Lax cookie from a cross-site response"
    )
    assert not verdict.engine_notes  # Chromium agrees


@pytest.mark.parametrize(
    ("line", "url", "fragment"),
    [
        ("a=1; Max-Age=0", API, "Max-Age=0 deletes the cookie"),
        ("a=1; Expires=Thu, 01 Jan 2000 00:00:00 GMT", API, "Expires is in the past"),
        ("a=1; Secure", "http://192.168.1.5:8001/x", "Secure needs a secure URL"),
        ("__Secure-a=1", API, "a __Secure- cookie needs the Secure attribute"),
        ("__Host-a=1; Secure", API, "a __Host- cookie needs Secure, Path=/ and no Domain"),
        ("a=1; Partitioned", API, "Partitioned without Secure"),
        ("a=1; Domain=example.com", API, "Domain=example.com does not cover the host localhost"),
        ("a=1; Domain=localhost", "http://127.0.0.1:8001/", "on a request to the IP address"),
        ("a=1; Domain=localhost", "http://app.localhost:8001/", "wider than the site"),
        ("a=" + "x" * 5000, API, "over 4096 bytes"),
    ],
)
def test_cookies_the_browser_refuses(line: str, url: str, fragment: str) -> None:
    page = url.rsplit(":", 1)[0] + ":8000" if "8001" in url else LOCAL_PAGE
    verdict = judge_cookie(line, page=page, url=url)
    assert not verdict.stored and not verdict.sent
    assert fragment in verdict.reasons[0]


def test_https_page_and_http_api_are_cross_site() -> None:
    verdict = judge_cookie("a=1; SameSite=Strict", page="https://localhost:8000", url=API)
    assert not verdict.stored and "cross-site" in verdict.reasons[0]


def test_null_origin_page_is_cross_site() -> None:
    verdict = judge_cookie("a=1; SameSite=None; Secure", page="null", url=API)
    assert not verdict.stored and "open the page from the API's host" in verdict.reasons[0]


@pytest.mark.parametrize(
    ("page", "url"),
    [
        ("http://localhost:8000", "https://localhost:8443/login"),
        ("https://localhost:8443", "http://localhost:8001/login"),
    ],
)
def test_http_and_https_on_one_name_are_two_sites_for_chromium_one_for_firefox(
    page: str, url: str
) -> None:
    chromium = judge_cookie("sid=1; SameSite=Lax", page=page, url=url, engine="chromium")
    firefox = judge_cookie("sid=1; SameSite=Lax", page=page, url=url, engine="firefox")
    assert not chromium.stored and "cross-site" in chromium.reasons[0]
    assert firefox.stored and firefox.sent and firefox.partition is None
    assert chromium.engine_notes == ["Firefox would store it and send it back"]
