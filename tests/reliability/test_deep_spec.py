"""A spec nested far deeper than any real one, in a file or fetched from the proxy's upstream, is
a config error naming it, never a crash: PyYAML's composer recurses once per level on the C
stack, and 100,000 levels took the whole process down with a segfault. So is a small spec whose
aliases repeat into billions of values (the schema check ran out of memory and aborted). Each
parse runs in a process of its own, so a crash fails the test instead of ending pytest."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devserve.mocks.openapi.yamlload import MAX_DEPTH
from tests.support.process import run_command
from tests.support.served import served

LEVELS = 100_000
HEAD = b"openapi: 3.0.3\ninfo: {title: deep, version: '1'}\npaths: {}\n"
DEEP = {
    "flow sequences": HEAD + b"x-deep: " + b"[" * LEVELS + b"]" * LEVELS + b"\n",
    "block sequences": HEAD + b"x-deep:\n" + b"- " * LEVELS + b"x\n",
    "flow mappings": HEAD + b"x-deep: " + b"{a: " * LEVELS + b"1" + b"}" * LEVELS + b"\n",
    # Mappings as keys: left to PyYAML's own constructor, once the depth is known to be safe.
    "block mappings as keys": b"? " * LEVELS + b"x\n",
    "unusual, then deep": HEAD + b"x-set: !!set {a}\nx-deep: " + b"[" * LEVELS + b"]" * LEVELS,
    # Indented: each level costs its indentation, so fewer levels in a few MB.
    "indented block mappings": HEAD
    + b"x-deep:\n"
    + b"".join(b" " * level + b"a:\n" for level in range(1, 3000)),
}
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"

# Parses the spec at argv[1] (a file, or bytes read from it and said to come from argv[2]).
_PARSE = """
import sys
from pathlib import Path
from devserve.mocks.openapi.spec import SpecError, load_spec, spec_from_bytes
try:
    if len(sys.argv) > 2:
        spec_from_bytes(Path(sys.argv[1]).read_bytes(), sys.argv[2])
    else:
        load_spec(Path(sys.argv[1]))
except SpecError as exc:
    print("\\n".join(exc.problems))
else:
    print("loaded")
"""


def _limited() -> None:
    memory = 1024 * 1024 * 1024  # enough for devserve; an expanded alias bomb needs far more
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _parsed_apart(*args: str) -> str:
    """What a process of its own, under a memory limit, says of the spec; it must end by
    itself."""
    done = subprocess.run(
        [sys.executable, "-c", _PARSE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited,
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    return done.stdout.strip()


@pytest.mark.parametrize("name", DEEP)
def test_a_deep_yaml_file_is_a_clear_spec_error(tmp_path: Path, name: str) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_bytes(DEEP[name])
    said = _parsed_apart(str(spec))
    assert said.startswith(f"{spec.resolve()}: {TOO_DEEP} (at line "), said
    assert len(said.splitlines()) == 1


def test_a_deep_spec_from_a_url_is_a_clear_spec_error(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/openapi.yaml"
    for name in ("flow sequences", "block mappings as keys"):
        (tmp_path / "fetched").write_bytes(DEEP[name])
        said = _parsed_apart(str(tmp_path / "fetched"), url)
        assert said.startswith(f"{url}: {TOO_DEEP} (at line "), said


def test_a_deep_json_file_is_a_clear_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_bytes(b'{"openapi": "3.0.3", "x": ' + b"[" * LEVELS + b"]" * LEVELS + b"}")
    assert _parsed_apart(str(spec)) == f"{spec.resolve()}: nested too deeply to be read"


def test_deep_but_within_the_bound_is_read(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    levels = MAX_DEPTH - 1  # the document's mapping is the first level
    spec.write_bytes(HEAD + b"x-deep: " + b"[" * levels + b"]" * levels + b"\n")
    assert _parsed_apart(str(spec)) == "loaded"
    spec.write_bytes(HEAD + b"x-deep: " + b"[" * (levels + 1) + b"]" * (levels + 1) + b"\n")
    assert TOO_DEEP in _parsed_apart(str(spec))


def test_check_config_exits_2_with_one_line_for_a_deep_file_or_url(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_bytes(DEEP["block sequences"])
    (tmp_path / "devserve.toml").write_text(
        '[origins.api]\nport = 8001\nopenapi = "deep.yaml"\n'
    )
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"error: {tmp_path / 'devserve.toml'}: origins.api.openapi: "
        f"{(tmp_path / 'deep.yaml').resolve()}: {TOO_DEEP} (at line 5, column "
    ), line

    async def deep(request: Request) -> Response:
        return Response(DEEP["flow mappings"], media_type="application/yaml")

    with served(Starlette(routes=[Route("/openapi.yaml", deep)])) as upstream:
        (tmp_path / "devserve.toml").write_text(
            f'[origins.api]\nport = 8001\nproxy = "{upstream}"\n'
            f'openapi = "{upstream}/openapi.yaml"\n'
        )
        result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"origins.api.openapi: {upstream}/openapi.yaml: {TOO_DEEP} (at line 4" in line, line


def test_aliases_that_repeat_into_billions_of_values_are_a_clear_spec_error(
    tmp_path: Path,
) -> None:
    lines = [HEAD.decode(), "x-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    for n in range(1, 10):  # 9 ** 10 values, in under 1 KB
        lines.append(f"x-{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]\n")
    spec = tmp_path / "openapi.yaml"
    spec.write_text("".join(lines))
    said = _parsed_apart(str(spec))
    assert said == f"{spec.resolve()}: its aliases repeat values into more than 2,000,000 of them"
