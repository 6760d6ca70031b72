"""devserve check-contract: recordings and mock files against the spec; a renamed field is a
drift (exit 1) naming the file, the operation, the pointer and what differs; a faithful one
passes (exit 0)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.configs import config_toml
from tests.support.process import run_command

RECORDED = {
    "match": {"query": {}, "exact_query": True},
    "status": 200,
    "headers": {"content-type": "application/json"},
    "json": {"id": 1, "amount": 500, "currency": "usd", "status": "paid"},
}


def _project(tmp_path: Path, recorded: dict[str, object]) -> None:
    (tmp_path / "devserve.toml").write_text(
        config_toml(
            {
                "stripe": {
                    "port": 8001,
                    "proxy": "https://api.example.com",
                    "record": "recordings",
                    "openapi": "payments.yaml",
                    "mocks": "mocks",
                }
            }
        )
    )
    charges = tmp_path / "recordings" / "charges"
    charges.mkdir(parents=True)
    (charges / "1.mock.json").write_text(json.dumps(recorded))
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "charges.json").write_text(json.dumps([RECORDED["json"]]))
    (tmp_path / "mocks" / "logo.png").write_bytes(b"\x89PNG")


def test_a_faithful_recording_passes(tmp_path: Path, payments: Path) -> None:
    _project(tmp_path, RECORDED)
    result = run_command("check-contract", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 file(s) checked, 0 drift(s), 1 not in the spec (skipped)" in result.stdout


def test_a_renamed_field_is_a_drift(tmp_path: Path, payments: Path) -> None:
    body = {"id": 1, "amount_cents": 500, "currency": "usd", "status": "paid"}
    _project(tmp_path, {**RECORDED, "json": body})
    result = run_command("check-contract", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    drifts = [line for line in result.stdout.splitlines() if line.startswith("drift:")]
    where = "drift: origins.stripe: recordings/charges/1.mock.json: GET /charges/{id} (getCharge)"
    assert drifts == [
        f"{where}: /body/amount: wanted a value (required), got nothing",
        f"{where}: /body/amount_cents: wanted no such property (known: amount, currency, "
        "description, id, status), got 500",
    ]


def test_without_a_spec_there_is_nothing_to_check(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text(config_toml({"api": {"port": 8001}}))
    result = run_command("check-contract", cwd=tmp_path)
    assert result.returncode == 2
    assert "no origin has an openapi spec" in result.stderr
