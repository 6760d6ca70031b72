"""The proxy keeps no cookies of its own: each browser's cookies go up with its own requests
only, so one client's login never reaches another, and a logout (the browser forgetting its
cookie) logs out."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.proxy.conftest import ProxyFactory, Running
from tests.support.waiting import wait_until

SESSION = "userA-session-5150"


def test_one_clients_cookie_never_reaches_another_or_outlives_its_logout(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with (
        proxy_origin(proxy=upstream.url, record="rec", record_mode="record") as proxied,
        httpx.Client(base_url=proxied.url) as alice,
        httpx.Client(base_url=proxied.url) as bob,
    ):
        logged_in = alice.get(f"/cookies/set?sid={SESSION}")
        seen_by_bob = bob.get("/cookies").json()
        seen_by_alice = alice.get("/cookies").json()
        alice.cookies.clear()  # her logout: the browser forgets the cookie
        after_logout = alice.get("/cookies").json()
        wait_until(lambda: len(proxied.records) == 4, "four requests")

    assert logged_in.headers["set-cookie"].startswith(f"sid={SESSION};")  # she got it
    assert seen_by_alice == {"cookies": {"sid": SESSION}}  # and her browser sends it
    assert seen_by_bob == {"cookies": {}}  # a fresh client has none
    assert after_logout == {"cookies": {}}
    # What /cookies answered bob and the logged-out alice: the jar's copy no longer lands there.
    assert SESSION not in (tmp_path / "rec" / "cookies.mock.json").read_text()


def test_two_clients_logged_in_at_once_each_keep_their_own(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with (
        proxy_origin(proxy=upstream.url) as proxied,
        httpx.Client(base_url=proxied.url) as alice,
        httpx.Client(base_url=proxied.url) as bob,
    ):
        alice.get("/cookies/set?sid=alice-1")
        bob.get("/cookies/set?sid=bob-2")
        assert alice.get("/cookies").json() == {"cookies": {"sid": "alice-1"}}
        assert bob.get("/cookies").json() == {"cookies": {"sid": "bob-2"}}
