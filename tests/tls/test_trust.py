"""`devserve trust` against throwaway stores: NSS databases under a temporary HOME (Chromium's
~/.pki/nssdb, a Firefox profile's cert9.db) and a stand-in for the system store. Never the
machine's own stores."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devserve.cli import app
from devserve.tls import trust
from devserve.tls.ca import existing_ca, local_ca
from tests.support.ci import need

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("certutil") is None:
        need("certutil", trust.CERTUTIL_HINT)
    home = tmp_path / "home"
    profile = home / ".mozilla" / "firefox" / "abc.default-esr"
    profile.mkdir(parents=True)
    subprocess.run(
        ["certutil", "-d", f"sql:{profile}", "-N", "--empty-password"], check=True, timeout=30
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DEVSERVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no devserve.toml to find
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    system = trust.Store("system store (test)", anchors, "system", ("true",))
    monkeypatch.setattr(trust, "system_store", lambda: system)
    return home


def _listed(database: Path) -> str:
    done = subprocess.run(
        ["certutil", "-d", f"sql:{database}", "-L"], capture_output=True, text=True, timeout=30
    )
    return done.stdout


def test_trust_installs_the_ca_in_every_store_and_uninstall_removes_it(home: Path) -> None:
    chromium, firefox = home / ".pki" / "nssdb", home / ".mozilla/firefox/abc.default-esr"
    result = runner.invoke(app, ["trust"])
    assert result.exit_code == 0, result.output
    ca = existing_ca()
    assert ca is not None
    assert f"installed in Chromium, Chrome (~/.pki/nssdb) ({chromium})" in result.output
    assert "installed in Firefox profile abc.default-esr" in result.output
    assert "installed in system store (test)" in result.output
    for database in (chromium, firefox):  # made for Chromium: it did not exist before
        assert ca.nickname in _listed(database) and "C,," in _listed(database)
    assert (home.parent / "anchors" / trust.SYSTEM_FILE).read_bytes() == ca.pem()

    status = runner.invoke(app, ["trust", "--status"])
    assert status.exit_code == 0
    assert str(ca.cert_path) in status.output and ca.fingerprint in status.output
    assert "NOT installed" not in status.output
    assert status.output.count("installed in") == 3

    removed = runner.invoke(app, ["trust", "--uninstall"])
    assert removed.exit_code == 0, removed.output
    assert removed.output.count("removed from") == 3
    assert "devserve local CA" not in _listed(chromium) + _listed(firefox)
    assert not (home.parent / "anchors" / trust.SYSTEM_FILE).exists()
    after = runner.invoke(app, ["trust", "--status"])
    assert after.output.count("NOT installed in") == 3


def test_a_new_ca_replaces_the_old_one_in_the_stores(home: Path) -> None:
    assert runner.invoke(app, ["trust", "--no-system"]).exit_code == 0
    old = existing_ca()
    assert old is not None
    new = local_ca(["dev.test"], need=["dev.test"])  # an https name the old CA did not cover
    assert new.created
    assert runner.invoke(app, ["trust", "--no-system"]).exit_code == 0
    listed = _listed(home / ".pki" / "nssdb")
    assert new.nickname in listed and old.nickname not in listed


def test_status_before_any_ca_and_without_certutil(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = runner.invoke(app, ["trust", "--status"])
    assert "does not exist yet" in status.output and status.exit_code == 0
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    result = runner.invoke(app, ["trust", "--no-system"])
    assert result.exit_code == 2
    assert "error: certutil is not installed: apt-get install libnss3-tools" in result.output
