"""The public API is what ``devserve.__all__`` says, both ways (as httpx checks its own)."""

from __future__ import annotations

import types

import devserve


def _public(names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if not name.startswith("_")
        and not isinstance(getattr(devserve, name), types.ModuleType)  # subpackages
    }


def test_every_exported_name_exists() -> None:
    for name in devserve.__all__:
        assert getattr(devserve, name) is not None, name


def test_every_public_name_is_exported() -> None:
    exported = set(devserve.__all__) - {"__version__"}
    assert _public(dir(devserve)) == exported
    assert _public(list(vars(devserve))) <= exported


def test_the_version_is_the_packages() -> None:
    from importlib.metadata import version

    assert devserve.__version__ == version("devserve")
