"""The wheel ships templates/ inside the package, so a non-editable install finds the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(180)
def test_non_editable_install_finds_templates(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("devserve-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "devserve/templates/demo/devserve.toml" in names
    assert "devserve/templates/init/devserve.toml" in names

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    project = tmp_path / "project"
    project.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import devserve, devserve._resources as r; print(devserve.__file__); "
            "print(r.templates_dir())",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    package_file, templates = result.stdout.split()
    assert Path(package_file).is_relative_to(target)
    assert Path(templates) == target / "devserve" / "templates"
    init = subprocess.run(
        [sys.executable, "-m", "devserve", "init", "."],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr
    assert (project / "devserve.toml").is_file()
