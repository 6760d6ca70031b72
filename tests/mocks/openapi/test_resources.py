"""openapi_resources: a collection in the resource file answers the spec's collection paths,
so a POST the spec accepts is then returned by GET; one it refuses never reaches the file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.mocks.conftest import mock_client


def test_post_then_get_through_a_resource_backed_operation(tmp_path: Path, payments: Path) -> None:
    (tmp_path / "db.json").write_text(json.dumps({"charges": []}))
    api = mock_client(
        tmp_path,
        {"openapi": "payments.yaml", "resources": "db.json", "openapi_resources": ["/charges"]},
    )
    refused = api.post("/charges", json={"amount": 10, "currency": "usd"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/body/amount"
    created = api.post("/charges", json={"amount": 500, "currency": "eur"})
    assert created.status_code == 201
    charge = created.json()
    assert charge == {"amount": 500, "currency": "eur", "id": charge["id"]}
    assert api.get(f"/charges/{charge['id']}").json() == charge
    assert api.get("/charges").json() == [charge]
    assert json.loads((tmp_path / "db.json").read_text())["charges"] == [charge]
    assert api.get("/charges/abc").status_code == 422  # the spec still checks the path
    assert api.get("/account", headers={"X-Api-Key": "k"}).status_code == 200  # from the spec
