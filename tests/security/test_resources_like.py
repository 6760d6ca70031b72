"""Hostile ``_like`` patterns: any web page can put one in an ``<img>`` URL to a resource origin.

devserve runs here under an address-space limit, so a regression exhausts its own allowance
(and fails the test) instead of the machine's memory.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from devserve.mocks.resources.likeregex import MAX_PATTERN_LENGTH
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, memory_mb, run_devserve
from tests.support.waiting import wait_until

GiB = 1024**3
TITLE = "a" * 40 + "!"  # 41 characters: `(a|aa)+$` backtracks through all their splits
# Each compiled to ~150 MB in the backtracking engine devserve used (six: 1 GB); the deeper
# ones froze every origin for seconds, then answered 500 with a MemoryError.
NESTED = [
    "((a{100}){100}){100}",
    "(((a{100}){100}){100}){10}",
    "((((a{100}){100}){100}){100}){100}",
    *(f"((a{{100}}){{100}}){{{count}}}" for count in range(94, 100)),
]
BACKTRACKING = ["(a|aa)+$", "(a+)+$", "(a|a?)+b", "([a-z]+)*!x", "(.*a){30}$"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Devserve, dict[str, int]]]:
    root = tmp_path_factory.mktemp("like")
    posts = [{"id": i, "title": TITLE if i % 2 else f"post {i}"} for i in range(2000)]
    (root / "db.json").write_text(json.dumps({"posts": posts}))
    (root / "web").mkdir()
    (root / "web" / "index.html").write_text("<p>another origin</p>")
    api, v1, site = free_ports(3)
    origins = {
        "api": {"port": api, "resources": "db.json"},
        "v1": {"port": v1, "resources": "db.json", "dialect": "v1", "persist": False},
        "site": {"port": site, "static": "web"},
    }
    (root / "devserve.toml").write_text(config_toml(origins, {"dashboard_port": False}))
    server = run_devserve(
        ["--no-reload", "run", "-c", "devserve.toml"],
        cwd=root,
        wait_ports=[api, v1, site],
        address_space=3 * GiB // 2,
    )
    yield server, {"api": api, "v1": v1, "site": site}
    server.stop()


def _like(port: int, pattern: str, client: httpx.Client) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = client.get(f"http://127.0.0.1:{port}/posts", params={"title_like": pattern})
    return response, time.monotonic() - start


def test_nested_repetitions_are_refused_at_once_in_bounded_memory(
    server: tuple[Devserve, dict[str, int]],
) -> None:
    devserve, ports = server
    before = memory_mb(devserve.process.pid)
    with httpx.Client(timeout=30) as client:
        answers = {pattern: _like(ports["api"], pattern, client) for pattern in NESTED}
    grown = memory_mb(devserve.process.pid) - before
    assert devserve.process.poll() is None
    assert grown < 100, f"peak RSS grew {grown:.0f} MiB"  # RE2 refuses them before building
    for pattern, (response, seconds) in answers.items():
        assert seconds < 5, (pattern, seconds)
        assert response.status_code == 400, (pattern, response.text[:300])
        assert "is too large" in response.json()["error"]
    assert "Traceback" not in devserve.output()


def test_backtracking_patterns_get_the_right_answer_in_linear_time(
    server: tuple[Devserve, dict[str, int]],
) -> None:
    _, ports = server
    with httpx.Client(timeout=30) as client:
        for pattern in BACKTRACKING:
            response, seconds = _like(ports["api"], pattern, client)
            assert response.status_code == 200, (pattern, response.text[:300])
            assert response.json() == [], pattern  # no title ends in "a", has "b" or "!x"
            assert seconds < 5, (pattern, seconds)
        found, _ = _like(ports["api"], "(a|aa)+!$", client)
        assert len(found.json()) == 1000


def test_hostile_patterns_do_not_slow_another_origin(
    server: tuple[Devserve, dict[str, int]],
) -> None:
    """Four clients send hostile patterns nonstop; a page on another origin stays fast."""
    _, ports = server
    stop = threading.Event()
    answered: list[int] = []

    def attack() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                for pattern in [*BACKTRACKING, *NESTED[:2]]:
                    answered.append(_like(ports["api"], pattern, client)[0].status_code)

    attackers = [threading.Thread(target=attack) for _ in range(4)]
    for attacker in attackers:
        attacker.start()
    times = []
    try:
        wait_until(lambda: len(answered) >= 8, "the attack to be under way")
        with httpx.Client(timeout=30) as client:
            for _ in range(40):
                start = time.monotonic()
                assert client.get(f"http://127.0.0.1:{ports['site']}/").status_code == 200
                times.append(time.monotonic() - start)
    finally:
        stop.set()
        for attacker in attackers:
            attacker.join(timeout=60)
    assert set(answered) <= {200, 400}
    # Was 769 ms with the backtracking engine on the event loop; a loaded 2-core machine
    # answers a static file in a few milliseconds.
    assert statistics.median(times) < 0.15, times


def test_v1_has_no_like_operator_and_answers_at_once(
    server: tuple[Devserve, dict[str, int]],
) -> None:
    """json-server 1.0 dropped `_like`: `title_like` is a field no item has, never a regex."""
    _, ports = server
    with httpx.Client(timeout=30) as client:
        for pattern in [*NESTED[:3], *BACKTRACKING]:
            response, seconds = _like(ports["v1"], pattern, client)
            assert response.status_code == 200 and response.json() == []
            assert seconds < 5


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("a(?=b)", "uses lookahead"),
        ("(?<!a)b", "uses lookbehind"),
        (r"(a)\1", "uses a backreference"),
        (r"(?<x>a)\k<x>", "uses a backreference"),
        ("x" * (MAX_PATTERN_LENGTH + 1), f"at most {MAX_PATTERN_LENGTH} characters"),
        ("(unclosed", "not a valid regular expression"),
    ],
)
def test_patterns_re2_cannot_run_get_a_clear_400(
    server: tuple[Devserve, dict[str, int]], pattern: str, words: str
) -> None:
    _, ports = server
    with httpx.Client(timeout=30) as client:
        response, _ = _like(ports["api"], pattern, client)
    assert response.status_code == 400
    assert words in response.json()["error"]
