"""`devserve schema`: generated from the config model, and every example config passes it."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from devserve.cli import app
from devserve.project import load_project as load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(
    path
    for folder in ("templates", "examples")
    for path in (ROOT / folder).rglob("*.toml")
    if "origins" in tomllib.loads(path.read_text())
)


def schema() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.output)
    return loaded


def readme_configs() -> list[str]:
    """The README's ```toml blocks that are whole configs (they define origins)."""
    blocks = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [block for block in blocks if "[origins." in block]


def test_the_schema_is_the_models() -> None:
    found = schema()
    assert found["additionalProperties"] is False
    origin = found["$defs"]["Origin"]["properties"]
    assert {"port", "static", "cors", "routes"} <= set(origin)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_example_config_validates(path: Path) -> None:
    jsonschema.validate(tomllib.loads(path.read_text()), schema())
    load_config(path)  # and devserve itself accepts it, file checks included


def test_the_readme_configs_validate() -> None:
    configs = readme_configs()
    assert configs, "the README shows at least one whole config"
    for text in configs:
        jsonschema.validate(tomllib.loads(text), schema())


def test_a_typo_fails_the_schema() -> None:
    bad = {"origins": {"app": {"port": 8000, "statik": "web"}}}
    with pytest.raises(jsonschema.ValidationError, match="statik"):
        jsonschema.validate(bad, schema())
