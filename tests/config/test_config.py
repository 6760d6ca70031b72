"""Config lookup and validation: every error names the file, the key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from devserve.config import find_config
from devserve.errors import ConfigError
from devserve.project import load_project as load_config


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


@pytest.mark.parametrize("port", [65536, -1])
def test_port_out_of_range(tmp_path: Path, port: int) -> None:
    (found,) = problems(tmp_path, f"[origins.a]\nport = {port}\n")
    assert "origins.a.port: port must be between 0 (any free port) and 65535" in found


def test_port_zero_means_any_free_port_and_may_repeat(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text(
        "[devserve]\ndashboard_port = 0\n[origins.a]\nport = 0\n[origins.b]\nport = 0\n"
    )
    config = load_config(tmp_path / "devserve.toml")
    assert [origin.port for origin in config.origins.values()] == [0, 0]


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ("port = true", "port", "expected a port number (0-65535), not true"),
        ("port = 19120.0", "port", "expected a port number (0-65535), not 19120.0; write 19120"),
        ('port = "19120"', "port", 'not "19120"; write 19120 without quotes'),
        ('spa = "yes"', "spa", 'expected true or false, not "yes"; write true, without quotes'),
        ("spa = 1", "spa", "expected true or false, not 1"),
        ("delay_ms = 1.5", "delay_ms", "expected a whole number, not 1.5"),
        ("cors = { max_age = '60' }", "cors.max_age", 'not "60"; write 60 without quotes'),
        (
            "cors = { allow_credentials = 'true' }",
            "cors.allow_credentials",
            'expected true or false, not "true"',
        ),
        ("[[origins.a.routes]]\npath = '/'\nstatus = '201'", "routes[0].status", 'not "201"'),
        (
            "[[origins.a.routes]]\npath = '/'\nheaders = { X-Id = 5 }",
            "routes[0].headers.X-Id",
            'expected a string in quotes, not 5; write "5" in quotes',
        ),
    ],
)
def test_values_have_strict_types(tmp_path: Path, line: str, key: str, message: str) -> None:
    port = "" if line.startswith("port") else "port = 8000\n"
    (found,) = problems(tmp_path, f"[origins.a]\n{port}{line}\n")
    assert f"origins.a.{key}: " in found and message in found, found


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ('"GETT"', "'GETT' is not a standard method; did you mean 'GET'?"),
        ('["GET", "POSTT"]', "method[1]: 'POSTT' is not a standard method; did you mean 'POST'?"),
        ('"gett"', "'gett' is not a standard method; did you mean 'GET'?"),
        ('"GE T"', "'GE T' is not an HTTP method name"),
    ],
)
def test_route_methods_are_tokens_and_typos_are_caught(
    tmp_path: Path, method: str, message: str
) -> None:
    text = f"[origins.a]\nport = 1\n[[origins.a.routes]]\npath = '/'\nmethod = {method}\n"
    (found,) = problems(tmp_path, text)
    assert "origins.a.routes[0].method" in found and message in found, found


def test_custom_methods_and_allow_methods_typos(tmp_path: Path) -> None:
    text = (
        "[origins.a]\nport = 1\ncors = { allow_methods = ['GET', 'PUTT'] }\n"
        "[[origins.a.routes]]\npath = '/'\nmethod = ['PURGE', 'PROPFIND', '*']\n"
    )
    (found,) = problems(tmp_path, text)
    assert "origins.a.cors.allow_methods[1]: 'PUTT' is not a standard method" in found


def test_schema_errors_and_file_checks_in_one_run(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[origins.a]\nport = 8000\nstatic = "nope"\nsap = true\n'
        '[origins.b]\nport = 8000\n[[origins.b.routes]]\npath = "/"\nfile = "gone.json"\n'
        "statuss = 1\n",
    )
    assert len(found) == 5, found
    assert any("origins.a.sap: unknown key; did you mean 'spa'?" in line for line in found)
    assert any("origins.a.static: directory" in line for line in found)
    assert any("origins.b.port: port 8000 is already used by origin 'a'" in line for line in found)
    assert any("origins.b.routes[0].file" in line and "gone.json" in line for line in found)
    assert any("origins.b.routes[0].statuss: unknown key" in line for line in found)


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
        tmp_path, '[origins.a]\nport = 70000\ncors = "maybe"\n[origins.b]\nport = "x"\nfoo = 1\n'
    )
    assert len(found) == 4
    assert any('origins.a.cors: expected "off", "on", "*"' in line for line in found)


def test_template_and_regex_errors_come_with_the_schema_errors(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "[origins.api]\nprot = 8001\n"
        '[[origins.api.routes]]\npath = "/x"\nbody = "{{ oops"\n'
        '[[origins.api.routes]]\npath = "/y"\nbody = "y"\nmatch = { query = { q = "~(x" } }\n',
    )
    assert any("origins.api.prot: unknown key; did you mean 'port'?" in line for line in found)
    assert any("origins.api.routes[0].body: template syntax error" in line for line in found)
    regex = "origins.api.routes[1].match.query.q: '~(x' is not a valid"
    assert any(regex in line for line in found)


def test_invalid_toml(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[origins.a\nport = 1\n")
    assert "invalid TOML" in found and "line 1" in found


def test_no_origins(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[devserve]\nhost = '127.0.0.1'\n")
    assert "origins" in found and "add one" in found


def test_dialect_is_one_of_two_names(tmp_path: Path) -> None:
    (tmp_path / "db.json").write_text('{"posts": []}')
    base = "[origins.a]\nport = 1\nresources = 'db.json'\n"
    assert load_config(write(tmp_path, base + "dialect = 'v1'\n")).origins["a"].dialect == "v1"
    assert load_config(write(tmp_path, base)).origins["a"].dialect == "0.17"
    (found,) = problems(tmp_path, base + "dialect = '1.0'\n")
    assert found.startswith(f"{tmp_path / 'devserve.toml'}: origins.a.dialect: "), found
    assert "'0.17'" in found and "'v1'" in found, found


def test_dialect_needs_resources(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[origins.a]\nport = 1\ndialect = 'v1'\n")
    assert "origins.a.dialect: only applies to resources; add resources" in found, found


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


@pytest.mark.parametrize("value", ["-1", "true", "'8999'", "70000"])
def test_dashboard_port_is_a_port_or_false(tmp_path: Path, value: str) -> None:
    (found,) = problems(tmp_path, f"[devserve]\ndashboard_port = {value}\n[origins.a]\nport = 1\n")
    assert (
        "devserve.dashboard_port: expected a port (1-65535, or 0 for any free port), or false"
        in found
    )


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
