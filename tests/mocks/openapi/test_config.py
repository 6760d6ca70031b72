"""An invalid spec is a config error naming the file, the JSON pointer and the problem; the
keys that need a spec say so; an edit that breaks a running spec keeps the last good one."""

from __future__ import annotations

from pathlib import Path

from tests.mocks.conftest import config_problems, mock_client
from tests.mocks.openapi.conftest import PAYMENTS
from tests.support.process import run_command


def test_a_spec_that_breaks_the_openapi_schema_names_the_pointer(
    tmp_path: Path, payments: Path
) -> None:
    payments.write_text(PAYMENTS.replace('"201":', "oops:"))
    problems = config_problems(tmp_path, {"openapi": "payments.yaml"})
    assert problems == [
        f"origins.api.openapi: {payments}, at /paths/~1charges/post/responses: "
        "Additional properties are not allowed ('oops' was unexpected)"
    ]


def test_a_ref_to_nothing_and_unreadable_files_are_config_errors(
    tmp_path: Path, payments: Path
) -> None:
    payments.write_text(PAYMENTS.replace("schemas.yaml#/NewCharge", "schemas.yaml#/Newcharge"))
    (problem,) = config_problems(tmp_path, {"openapi": "payments.yaml"})
    assert problem.startswith(f"origins.api.openapi: {payments}, at /paths/~1charges/post/")
    assert "'schemas.yaml#/Newcharge' points at nothing" in problem
    (tmp_path / "broken.yaml").write_text("openapi: 3.0.3\ninfo: [unclosed\n")
    (problem,) = config_problems(tmp_path, {"openapi": "broken.yaml"})
    assert "not valid YAML at line" in problem
    (tmp_path / "old.json").write_text('{"swagger": "2.0"}')
    (problem,) = config_problems(tmp_path, {"openapi": "old.json"})
    assert "Swagger 2.0 is not read; convert it to OpenAPI 3" in problem
    (problem,) = config_problems(tmp_path, {"openapi": "missing.yaml"})
    assert "missing.yaml' does not exist" in problem
    (problem,) = config_problems(tmp_path, {"openapi": "https://api.example.com/openapi.json"})
    assert "a spec at a URL is fetched through the proxy's upstream" in problem


def test_keys_that_need_a_spec_or_resources_say_so(tmp_path: Path, payments: Path) -> None:
    assert config_problems(tmp_path, {"validate": "warn"}) == [
        'origins.api.validate: only applies with a spec; add openapi = "openapi.yaml" or remove it'
    ]
    problems = config_problems(tmp_path, {"openapi": "payments.yaml", "validate": "maybe"})
    assert problems[0].startswith("origins.api.validate: ")
    (problem,) = config_problems(
        tmp_path, {"openapi": "payments.yaml", "openapi_resources": ["/charges"]}
    )
    assert 'add resources = "db.json"' in problem
    (tmp_path / "db.json").write_text('{"refunds": []}')
    (problem,) = config_problems(
        tmp_path,
        {"openapi": "payments.yaml", "resources": "db.json", "openapi_resources": ["/charges"]},
    )
    assert problem.endswith("no collection 'charges'; add \"charges\": [] to db.json")


def test_check_config_exits_2_on_the_deeper_rules(tmp_path: Path, payments: Path) -> None:
    # Valid against the OpenAPI schema, but the path names a parameter nobody declares.
    payments.write_text(PAYMENTS.replace("  /account:", "  /account/{who}:"))
    (tmp_path / "devserve.toml").write_text(
        '[origins.api]\nport = 8001\nopenapi = "payments.yaml"\n'
    )
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "origins.api.openapi:" in result.stderr and "who" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_edit_is_served_and_a_broken_one_keeps_the_last_good_spec(
    tmp_path: Path, payments: Path
) -> None:
    api = mock_client(tmp_path, {"openapi": "payments.yaml"})
    assert api.get("/charges/1").json()["status"] == "paid"
    payments.write_text(PAYMENTS.replace("status: paid}", "status: pending}"))
    assert api.get("/charges/1").json()["status"] == "pending"
    payments.write_text(PAYMENTS.replace('"201":', "oops:") + "\n# broken\n")
    assert api.get("/charges/1").json()["status"] == "pending"  # the last good spec
    assert api.post("/charges", json={"amount": 500, "currency": "usd"}).status_code == 201
