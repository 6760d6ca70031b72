"""Fixtures building origins in tmp_path, one per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .helpers import Served, serve_all


@pytest.fixture
def serve(tmp_path: Path) -> Callable[[Any], Served]:
    """``serve(cors)`` builds one origin (static site + routes) with that ``cors`` setting."""

    def build(cors: Any) -> Served:
        return serve_all(tmp_path, {"api": cors})["api"]

    return build


@pytest.fixture
def serve_many(tmp_path: Path) -> Callable[[dict[str, Any]], dict[str, Served]]:
    """``serve_many({"a": cors, "b": cors})`` builds several origins, each on its own port."""

    def build(cors_by_name: dict[str, Any]) -> dict[str, Served]:
        return serve_all(tmp_path, cors_by_name)

    return build
