"""Config fuzzing: whatever the file says, the loader returns a Config or raises ConfigError."""

from __future__ import annotations

import datetime
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devserve.config import Config
from devserve.errors import ConfigError
from devserve.project import load_project as load_config

KEYS = [
    "devserve", "origins", "host", "dashboard_port", "allowed_hosts", "live_reload",
    "max_body_bytes", "port", "static", "spa", "cors", "delay_ms", "routes", "method", "path",
    "status", "headers", "json", "body", "file", "allow_origins", "allow_origin_regex",
    "allow_methods", "allow_headers", "allow_credentials", "expose_headers", "max_age",
    "allow_private_network", "preflight_status", "mocks", "resources", "proxy", "match", "fault",
    "app", "api",
]  # fmt: skip
VALID = """
[devserve]
dashboard_port = 8999
[origins.app]
port = 8000
static = "web"
cors = { allow_origins = ["http://localhost:8000"], allow_origin_regex = "https://.*" }
[[origins.app.routes]]
path = "/users/{id:int}"
json = { id = "{{ path.id }}" }
"""

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["on", "off", "*", ".", "web", "/", "\x00", "(?=x)", "[", "{x:bad}", "GET"]),
    st.datetimes(max_value=datetime.datetime(9999, 1, 1)),
)
keys = st.sampled_from(KEYS) | st.text(min_size=1, max_size=8)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


def field(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A key's plausible values, and now and then anything at all (a wrong type)."""
    return strategy | values


tricky_paths = st.sampled_from(
    ["web", ".", "", "\x00", "web\x00x", "a" * 5000, "a/" * 3000, "/proc/self", "~", "../.."]
) | st.text(max_size=12)
ports = st.integers(min_value=-1, max_value=70000) | st.sampled_from([0, 1, 8000, 65535, 65536])
origin_urls = st.sampled_from(
    ["http://localhost:8000", "*", "null", "http://a.test/", "http://a.test/x", "HTTP://A.TEST"]
) | st.text(max_size=20)
regexes = st.sampled_from(["https://.*", "(?=x)", "(a)\\1", "a{1001}", "[", "(.*)*"]) | st.text(
    max_size=12
)
templates = st.sampled_from(["{{ path.id }}", "{{ x", "{% for %}", "{{ json }}"]) | st.text(
    max_size=12
)
cors_tables = st.fixed_dictionaries(
    {},
    optional={
        "allow_origins": field(st.lists(origin_urls, max_size=3)),
        "allow_origin_regex": field(regexes),
        "allow_methods": field(st.lists(st.sampled_from(["GET", "*", "G T", ""]), max_size=3)),
        "allow_headers": field(st.lists(st.text(max_size=8), max_size=3)),
        "allow_credentials": field(st.booleans()),
        "max_age": field(st.integers()),
        "preflight_status": field(st.integers(min_value=0, max_value=1000)),
    },
)
routes = st.fixed_dictionaries(
    {"path": field(st.sampled_from(["/a", "/{id:int}", "/{a}/{a}", "a", "/{x:bad}", "/"]))},
    optional={
        "method": field(st.sampled_from(["GET", "*", ["GET", "PUT"], "G T", "GéT"])),
        "status": field(st.integers(min_value=-1, max_value=1000)),
        "headers": field(st.dictionaries(st.text(max_size=6), templates, max_size=2)),
        "json": values,
        "body": field(templates),
        "file": field(tricky_paths),
        "delay_ms": field(st.integers()),
        "match": values,
    },
)
origins = st.fixed_dictionaries(
    {"port": field(ports)},
    optional={
        "static": field(tricky_paths),
        "spa": field(st.booleans()),
        "cors": field(st.sampled_from(["on", "off", "*", True, False]) | cors_tables),
        "delay_ms": field(st.integers()),
        "routes": field(st.lists(routes, max_size=3)),
        "proxy": values,
    },
)
settings_tables = st.fixed_dictionaries(
    {},
    optional={
        "host": field(st.sampled_from(["127.0.0.1", "0.0.0.0", "::", "nope..", ""])),
        "dashboard_port": field(ports | st.just(False)),
        "allowed_hosts": field(st.lists(st.text(max_size=8), max_size=3)),
        "live_reload": field(st.booleans()),
        "max_body_bytes": field(st.integers()),
    },
)
documents = st.dictionaries(keys, values, max_size=4) | st.fixed_dictionaries(
    {"origins": st.dictionaries(st.sampled_from(["app", "api", "a b", ""]) | keys, origins)},
    optional={"devserve": settings_tables},
)


def _key(name: str) -> str:
    return json.dumps(name)  # a TOML basic string is a JSON string (minus a few escapes)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value).replace("inf", "inf")
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def to_toml(document: dict[str, Any]) -> str:
    return "\n".join(f"{_key(key)} = {_value(value)}" for key, value in document.items())


def _load(text: str) -> Config | None:
    """The loaded config, or None when it was rejected with a message for every problem."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "web").mkdir()
        path = Path(folder) / "devserve.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            config = load_config(path)
        except ConfigError as exc:
            assert exc.problems and all(problem.strip() for problem in exc.problems)
            return None
        assert isinstance(config, Config)
        return config


# Found by this fuzzer (a traceback each, before the fix); always tried first.
FOUND: list[dict[str, Any]] = [
    {"origins": {"app": {"port": 1, "static": "\x00"}}},
    {"origins": {"app": {"port": 1, "static": "a" * 5000}}},
    {"origins": {"app": {"port": 1, "routes": [{"path": "/a", "file": "a/" * 3000}]}}},
    {"origins": {"app": {"port": 1, "routes": [{"path": "/a", "file": "web\x00"}]}}},
    {"origins": {"app": {"port": 1, "cors": {"allow_origin_regex": "(a)\\1"}}}},
]


def fuzz(examples: int) -> tuple[Callable[..., None], Callable[..., None]]:
    """Two tests: random documents, and a valid config with random edits."""
    fuzzing = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

    @fuzzing
    @given(document=documents)
    def random_documents(document: dict[str, Any]) -> None:
        _load(to_toml(document))

    for found in FOUND:
        random_documents = example(document=found)(random_documents)

    @fuzzing
    @given(
        edits=st.lists(
            st.tuples(st.integers(min_value=0, max_value=len(VALID)), st.text(max_size=4)),
            max_size=5,
        )
    )
    def mangled_valid_config(edits: list[tuple[int, str]]) -> None:
        text = VALID
        for at, inserted in edits:
            text = text[:at] + inserted + text[at + len(inserted) :]
        _load(text)

    return random_documents, mangled_valid_config


test_random_documents, test_a_mangled_valid_config = fuzz(100)
test_random_documents_soak, test_a_mangled_valid_config_soak = (
    pytest.mark.soak(test) for test in fuzz(3000)
)


def test_the_fuzzer_reaches_valid_configs() -> None:
    """The control: the base config is valid, so mangled ones are judged, not all rejected."""
    config = _load(VALID)
    assert config is not None, "the fuzzer's base config must load"
    assert config.origins["app"].port == 8000
