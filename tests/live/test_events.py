"""The event names are one set, shared by the server and the two scripts that listen to it."""

from __future__ import annotations

import re

import pytest

from devserve._resources import templates_dir
from devserve.live.events import DASHBOARD_EVENTS, PAGE_EVENTS, Event, config_event, json_event

# EventSource's own events, which the server never sends.
_BUILT_IN = {"open", "error", "message"}


def listened(script: str, source: str) -> set[str]:
    """The event names ``script`` listens for on its EventSource named ``source``."""
    text = (templates_dir() / script).read_text()
    assert f"const {source} = new EventSource(" in text
    return set(re.findall(rf'\b{source}\.addEventListener\("([^"]+)"', text)) - _BUILT_IN


@pytest.mark.parametrize(
    ("script", "source", "names"),
    [("livereload.js", "events", PAGE_EVENTS), ("dashboard.js", "stream", DASHBOARD_EVENTS)],
)
def test_each_script_listens_for_exactly_its_events(
    script: str, source: str, names: frozenset[str]
) -> None:
    assert listened(script, source) == names


def test_the_wire_format() -> None:
    assert Event("reload").encode() == b"event: reload\ndata: \n\n"
    assert Event("x", "a\nb").encode() == b"event: x\ndata: a\ndata: b\n\n"
    assert json_event("request", {"a": [1, 2]}).encode() == b'event: request\ndata: {"a":[1,2]}\n\n'
    assert config_event("bad\nconfig").data == '{"error":"bad\\nconfig"}'
