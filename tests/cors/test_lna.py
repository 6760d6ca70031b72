"""Local Network Access on its own (devserve.cors.lna); browsers: tests/browser/test_lna_oracle."""

from __future__ import annotations

from pathlib import Path

import pytest

from devserve.cors import lna
from devserve.cors.lna import (
    judge_local_network,
    page_space,
    parse_address_spaces,
    space_of_address,
    target_space,
)
from devserve.errors import DevserveError


@pytest.mark.parametrize(
    ("address", "space"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "local"),
        ("172.16.0.1", "local"),
        ("172.32.0.1", "public"),
        ("192.168.1.10", "local"),
        ("169.254.1.1", "local"),
        ("100.64.0.1", "local"),
        ("fd00::1", "local"),
        ("fe80::1", "local"),
        ("203.0.113.7", "public"),  # documentation range: not private for browsers
        ("8.8.8.8", "public"),
    ],
)
def test_address_spaces_by_range(address: str, space: str) -> None:
    assert space_of_address(address) == space


def test_pages_are_classified_never_contacted() -> None:
    assert page_space("http://203.0.113.7:8000") == "public"
    assert page_space("http://[::1]:8000") == "loopback"
    assert page_space("http://app.localhost:8000") == "loopback"
    assert page_space("https://myapp.example") == "public"  # a name: public unless listed
    assert page_space("http://myapp.test:8000", {"myapp.test": "local"}) == "local"
    assert page_space("http://127.0.0.1:8000", {"127.0.0.1:8000": "public"}) == "public"
    assert page_space("http://127.0.0.1:9000", {"127.0.0.1:8000": "public"}) == "loopback"


def test_targets() -> None:
    assert target_space("http://localhost:8001/x") == "loopback"
    assert target_space("http://192.168.0.2/x") == "local"
    assert target_space("http://127.0.0.1:8001/x", {"127.0.0.1:8001": "local"}) == "local"


@pytest.mark.parametrize(
    ("page", "target", "gated"),
    [
        ("public", "local", True),
        ("public", "loopback", True),
        ("local", "loopback", False),  # measured: passes in Chromium 156 and Firefox 153
        ("local", "local", False),
        ("loopback", "public", False),
        ("public", "public", False),
    ],
)
def test_which_requests_are_gated(page: str, target: str, gated: bool) -> None:
    for engine in ("standard", "chromium", "firefox"):
        verdict = judge_local_network(page, target, engine=engine)  # type: ignore[arg-type]
        assert verdict.allowed is not gated and verdict.applies is gated


def test_reasons_name_lna_and_the_way_out() -> None:
    chromium = judge_local_network(
        "public",
        "loopback",
        page_origin="http://203.0.113.7:8000",
        target_url="http://127.0.0.1:1/",
    )
    [reason] = chromium.reasons
    assert reason.startswith("blocked by Local Network Access: a page on a public address")
    assert "(203.0.113.7)" in reason and "(127.0.0.1)" in reason
    assert "serve the page locally too (e.g. from http://localhost:8000)" in reason
    assert "secure context (https)" in reason
    assert chromium.engine_notes[0].startswith("In Firefox: held by Local Network Access")
    firefox = judge_local_network("public", "local", engine="firefox")
    assert "asks the user for permission" in firefox.reasons[0]
    assert firefox.engine_notes[0].startswith("In Chromium: blocked by Local Network Access")


def test_parse_address_spaces() -> None:
    assert parse_address_spaces(["203.0.113.7:8000=public", "MyApp.test.=Local"]) == {
        "203.0.113.7:8000": "public",
        "myapp.test": "local",
    }
    for bad in ("127.0.0.1", "=local", "x=private"):
        with pytest.raises(DevserveError, match="HOST\\[:PORT\\]=public\\|local\\|loopback"):
            parse_address_spaces([bad])


def test_a_page_name_the_hosts_file_maps_takes_that_address_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.1\tdev.test  # mine\n10.0.0.5 nas.test\n")
    monkeypatch.setattr(lna, "HOSTS_FILE", hosts)
    assert page_space("http://dev.test:8000") == "loopback"  # as the browser here loads it
    assert page_space("http://nas.test") == "local"
    assert page_space("http://other.test") == "public"
    monkeypatch.setattr(lna, "HOSTS_FILE", tmp_path / "missing")
    assert page_space("http://dev.test:8000") == "public"
