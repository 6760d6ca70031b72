"""Config lookup and validation: every error names the file, the key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from devserve.config import find_config, load_config
from devserve.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "devserve.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return caught.value.problems


def test_valid_config_resolves_paths_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "user.json").write_text("{}")
    config = load_config(
        write(
            tmp_path,
            """
[origins.app]
port = 8000
static = "web"
spa = true

[origins.api]
port = 8001
cors = { allow_origins = ["http://localhost:8000"], allow_credentials = true }

[[origins.api.routes]]
method = ["GET", "HEAD"]
path = "/users/{id:int}"
file = "mocks/user.json"
""",
        )
    )
    assert config.origins["app"].static == tmp_path / "web"
    assert config.origins["api"].routes[0].file == tmp_path / "mocks" / "user.json"


def test_two_origins_on_one_port(tmp_path: Path) -> None:
    found = problems(tmp_path, "[origins.a]\nport = 8000\n[origins.b]\nport = 8000\n")
    assert found == [
        f"{tmp_path / 'devserve.toml'}: origins.b.port: port 8000 is already used by origin 'a'; "
        "every origin needs its own port"
    ]


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_port_out_of_range(tmp_path: Path, port: int) -> None:
    (found,) = problems(tmp_path, f"[origins.a]\nport = {port}\n")
    assert "origins.a.port: port must be between 1 and 65535" in found


def test_missing_static_directory(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, '[origins.a]\nport = 8000\nstatic = "nope"\n')
    assert "origins.a.static" in found and "does not exist" in found
    assert str(tmp_path / "nope") in found


def test_unknown_key_suggests_the_close_match(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[origins.a]\nprot = 8000\nport = 8000\n")
    assert found.endswith("origins.a.prot: unknown key; did you mean 'port'?")


def test_unknown_key_in_a_cors_table(tmp_path: Path) -> None:
    (found,) = problems(
        tmp_path, '[origins.a]\nport = 1\ncors = { allow_origin = ["http://x.test"] }\n'
    )
    assert "origins.a.cors.allow_origin: unknown key; did you mean 'allow_origins'?" in found


def test_credentials_with_wildcard_origin(tmp_path: Path) -> None:
    (found,) = problems(
        tmp_path,
        '[origins.a]\nport = 1\ncors = { allow_origins = ["*"], allow_credentials = true }\n',
    )
    assert "origins.a.cors.allow_credentials" in found
    assert "List the exact origins" in found


@pytest.mark.parametrize(
    ("origin", "hint"),
    [
        ("http://localhost:8000/", "trailing slash"),
        ("http://localhost:8000/app", "has a path"),
        ("localhost:8000", "not an origin"),
    ],
)
def test_bad_origin_urls(tmp_path: Path, origin: str, hint: str) -> None:
    text = f'[origins.a]\nport = 1\ncors = {{ allow_origins = ["http://ok.test", "{origin}"] }}\n'
    (found,) = problems(tmp_path, text)
    assert "origins.a.cors.allow_origins[1]" in found and hint in found


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path, '[origins.a]\nport = 0\ncors = "maybe"\n[origins.b]\nport = "x"\nfoo = 1\n'
    )
    assert len(found) == 4
    assert any('origins.a.cors: expected "off", "on", "*"' in line for line in found)


def test_invalid_toml(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[origins.a\nport = 1\n")
    assert "invalid TOML" in found and "line 1" in found


def test_no_origins(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[devserve]\nhost = '127.0.0.1'\n")
    assert "origins" in found and "add one" in found


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ("[origins.x]\nport = 2\nresources = 'db.json'\n", "origins.x.resources"),
        ("[origins.x]\nport = 2\nmocks = 'mocks'\n", "origins.x.mocks"),
    ],
)
def test_later_features_are_rejected_not_ignored(tmp_path: Path, snippet: str, key: str) -> None:
    found = problems(tmp_path, snippet + "[origins.a]\nport = 1\n")
    assert any(f"{key}: " in line and "not supported" in line for line in found)


def test_route_errors(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
[origins.a]
port = 1
[[origins.a.routes]]
path = "users"
[[origins.a.routes]]
path = "/x"
json = 1
body = "y"
[[origins.a.routes]]
path = "/y/{id:nope}"
""",
    )
    assert any("origins.a.routes[0].path: must start with '/'" in line for line in found)
    assert any("routes[1]" in line and "only one of json, body or file" in line for line in found)
    assert any("routes[2].path: not a valid Starlette path" in line for line in found)


@pytest.mark.parametrize("value", ["0", "true", "'8999'", "70000"])
def test_dashboard_port_is_a_port_or_false(tmp_path: Path, value: str) -> None:
    (found,) = problems(tmp_path, f"[devserve]\ndashboard_port = {value}\n[origins.a]\nport = 1\n")
    assert "devserve.dashboard_port: expected a port (1-65535), or false" in found


def test_dashboard_port_may_not_be_an_origin_port(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[devserve]\ndashboard_port = 8000\n[origins.a]\nport = 8000\n")
    assert "origins.a.port: port 8000 is the dashboard's" in found


def test_lookup_prefers_devserve_toml_in_parents(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    write(tmp_path, "[origins.a]\nport = 1\n")
    write(tmp_path / "a", "[tool.devserve.origins.a]\nport = 1\n", name="pyproject.toml")
    assert find_config(nested) == tmp_path / "devserve.toml"


def test_pyproject_tool_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        "[project]\nname = 'x'\n[tool.devserve]\nhost = '127.0.0.1'\n"
        "[tool.devserve.origins.a]\nport = 70000\n",
        name="pyproject.toml",
    )
    found_path = find_config(tmp_path)
    assert found_path == tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(found_path)
    assert "tool.devserve.origins.a.port: port must be between" in caught.value.problems[0]


def test_pyproject_without_tool_table_is_not_a_config(tmp_path: Path) -> None:
    write(tmp_path, "[project]\nname = 'x'\n", name="pyproject.toml")
    assert find_config(tmp_path) is None
