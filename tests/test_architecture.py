"""The house rules, read from the code itself: imports point down the floors, no module or
function grows past what a reader can hold, and the README's "Project layout" names every
module there is (and none that is gone)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "devserve"
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60

# From the ground up; a unit is a folder of devserve/ or a top-level module. A unit may import
# its own floor and the floors below it.
FLOORS: list[set[str]] = [
    {
        "errors", "version", "urls", "records", "terminal", "denials", "state", "media",
        "files", "setcookie", "memo", "_resources", "origins", "scaffold", "home", "runnotes",
        "connections",
    },
    {"cors"},
    {"config"},
    {"tls"},
    {"localnet", "instance"},
    {"check"},
    {"live"},
    {"mocks"},
    {"sockets"},
    {"proxy", "project"},
    {"serving"},
    {"control"},
    {"embed"},
    {"pytest_plugin", "cli", "__init__", "__main__"},
]  # fmt: skip
# The imports allowed to run up a floor, each with the reason written where it stands.
UPWARD = {("devserve/serving/dashboard.py", "control")}


def _modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _unit_of(path: Path) -> str:
    return _unit("devserve." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("devserve"):
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("devserve"))


def _floor(unit: str) -> int:
    return next(index for index, units in enumerate(FLOORS) if unit in units)


def test_every_unit_has_a_floor() -> None:
    units = {_unit_of(path) for path in _modules()}
    missing = sorted(unit for unit in units if not any(unit in floor for floor in FLOORS))
    assert not missing, f"give these a floor in FLOORS: {missing}"


def test_imports_point_down() -> None:
    upward = []
    for path in _modules():
        here = _unit_of(path)
        for module in _imports(path):
            there = _unit(module)
            if there != here and _floor(there) > _floor(here):
                upward.append((str(path.relative_to(ROOT)), there))
    assert sorted(set(upward)) == sorted(UPWARD)


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("cors", "serving"), ("cors", "control"), ("mocks", "serving"), ("mocks", "control"),
     ("live", "serving"), ("live", "control"), ("config", "mocks")],
)  # fmt: skip
def test_named_rules(lower: str, higher: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (PACKAGE / lower).rglob("*.py")
        for module in _imports(path)
        if _unit(module) == higher
    ]
    assert not offenders


def test_no_module_or_function_past_its_limit() -> None:
    too_long = []
    for path in _modules():
        text = path.read_text()
        name = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert not too_long


def _layout() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Project layout", 1)[1]
    return section.split("```", 2)[1]


def _named_in_layout() -> set[str]:
    """Each ``x.py`` of the layout block, with the folder it is listed under."""
    named: set[str] = set()
    top: str | None = None
    folder = ""
    for line in _layout().splitlines():
        if line and not line.startswith(" "):
            top = None  # devserve/ itself, then templates/, benchmarks/, tests/: not modules
            continue
        heading = re.match(r"^  (\S+)", line)
        if heading:
            word = heading.group(1)
            if word.endswith("/"):
                top = word.rstrip("/") if (PACKAGE / word).is_dir() else None
            else:
                top = ""  # "ground floor", "top": modules at devserve/'s top
            folder = top or ""
        if top is None:
            continue
        for token in re.findall(r"[a-z0-9_]+/:|[a-z0-9_]+\.py", line):
            if token.endswith("/:"):
                child = token[:-2]
                inner = f"{folder}/{child}" if (PACKAGE / folder / child).is_dir() else child
                folder = inner if (PACKAGE / inner).is_dir() else f"{top}/{child}"
            else:
                named.add(f"{folder}/{token}".lstrip("/"))
    return named


def test_the_readme_layout_names_every_module() -> None:
    actual = {
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if path.name not in ("__init__.py", "__main__.py")
    }
    named = _named_in_layout()
    assert sorted(actual - named) == [], "modules missing from README's Project layout"
    assert sorted(named - actual) == [], "README's Project layout names modules that are gone"
