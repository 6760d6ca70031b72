"""The GitHub-like and Stripe-like example configs answer as those APIs do; the chat example's
socket and notification stream answer as it says."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from devserve.project import load_project as load_config
from devserve.serving.origin import build_origin
from tests.conftest import run_command

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PAGE = "http://localhost:8000"


def example(name: str, origin: str) -> TestClient:
    config = load_config(EXAMPLES / name / "devserve.toml")
    app = build_origin(origin, config.origins[origin], config.devserve).app
    return TestClient(app, base_url=f"http://127.0.0.1:{config.origins[origin].port}")


def test_examples_are_valid_without_warnings() -> None:
    for name in ("github", "stripe", "chat"):
        result = run_command("check-config", cwd=EXAMPLES / name)
        assert result.returncode == 0, result.stderr
        assert "warning" not in result.stdout


def test_github_auth_users_and_pagination() -> None:
    api = example("github", "github")
    assert api.get("/user").status_code == 401
    me = api.get("/user", headers={"Authorization": "Bearer ghp_abc", "Origin": PAGE})
    assert me.json()["login"] == "octocat"
    assert me.headers["access-control-allow-origin"] == "*"
    user = api.get("/users/ada").json()
    assert user["login"] == "ada" and user["id"] == 3000 and isinstance(user["public_repos"], int)
    page = api.get("/repos/octo/hello/issues?page=2", headers={"Origin": PAGE})
    assert [issue["number"] for issue in page.json()] == [3, 4]
    assert page.headers["x-total-count"] == "10"
    assert '/repos/octo/hello/issues?page=3>; rel="next"' in page.headers["link"]
    assert "Link" in page.headers["access-control-expose-headers"]
    assert api.get("/repos/octo/hello/issues").json()[0]["number"] == 1


def test_github_create_issue_validates() -> None:
    api = example("github", "github")
    auth = {"Authorization": "token ghp_abc"}
    created = api.post("/repos/o/r/issues", json={"title": "Bug", "labels": ["ui"]}, headers=auth)
    assert created.status_code == 201
    assert created.json()["labels"] == ["ui"] and created.json()["title"] == "Bug"
    assert created.headers["location"].endswith("/repos/o/r/issues/42")
    assert api.post("/repos/o/r/issues", json={"body": "x"}, headers=auth).status_code == 422
    assert api.post("/repos/o/r/issues", json={"title": "Bug"}).status_code == 401


def test_github_search_is_slow() -> None:
    api = example("github", "github")
    started = time.monotonic()
    found = api.get("/search/repositories?q=hello").json()
    assert time.monotonic() - started >= 0.4
    assert found["items"][0]["full_name"] == "octo/hello"


def test_stripe_keys_form_bodies_and_errors() -> None:
    api = example("stripe", "stripe")
    assert api.post("/v1/customers", data={"email": "a@b.test"}).status_code == 401
    auth = {"Authorization": "Bearer sk_test_123"}
    customer = api.post(
        "/v1/customers",
        data={"email": "ada@example.test", "name": "Ada", "metadata[order_id]": "6735"},
        headers=auth,
    ).json()
    assert customer["id"].startswith("cus_") and len(customer["id"]) == 18
    assert customer["email"] == "ada@example.test" and customer["metadata"]["order_id"] == "6735"
    assert isinstance(customer["created"], int) and customer["livemode"] is False
    listed = api.get("/v1/customers?limit=2", headers=auth).json()
    assert listed["object"] == "list" and listed["has_more"] is True
    assert api.get("/v1/customers/cus_9", headers=auth).json()["id"] == "cus_9"


def test_stripe_charges_declined_missing_and_slow() -> None:
    api = example("stripe", "stripe")
    auth = {"Authorization": "Basic c2tfdGVzdF8xMjM6"}
    declined = api.post(
        "/v1/charges", data={"amount": "500", "source": "tok_chargeDeclined"}, headers=auth
    )
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined"
    missing = api.post("/v1/charges", data={"currency": "eur"}, headers=auth)
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "amount"
    started = time.monotonic()
    charge = api.post("/v1/charges", data={"amount": "500", "currency": "eur"}, headers=auth)
    assert time.monotonic() - started >= 0.3
    assert charge.json()["amount"] == 500 and charge.json()["currency"] == "eur"


def test_stripe_balance_is_flaky() -> None:
    api = example("stripe", "stripe")
    auth = {"Authorization": "Bearer sk_test_123"}
    assert [api.get("/v1/balance", headers=auth).status_code for _ in range(4)] == [500, 200] * 2


def test_the_init_scaffold_shows_typed_templates_and_matching(tmp_path: Path) -> None:
    assert run_command("init", str(tmp_path), cwd=tmp_path).returncode == 0
    config = load_config(tmp_path / "devserve.toml")
    app = build_origin("api", config.origins["api"], config.devserve).app
    api = TestClient(app, base_url="http://127.0.0.1:8001")
    assert api.get("/users/1").status_code == 401
    user = api.get("/users/1", headers={"Authorization": "Bearer dev-token"}).json()
    assert user == {"id": 1, "name": "User 1", "email": "user1@example.test", "admin": True}
    created = api.post("/users", json={"name": "Grace"})
    assert created.status_code == 201 and isinstance(created.json()["id"], int)
    assert api.post("/users", json={}).status_code == 422


def test_chat_room_and_notifications() -> None:
    chat = example("chat", "chat")
    page = {"Origin": "http://localhost:8110"}
    with chat.websocket_connect("ws://127.0.0.1:8111/ws?name=ada", headers=page) as room:
        assert room.receive_json() == {"type": "system", "text": "welcome, ada"}
        assert room.receive_json()["from"] == "ada"
        room.send_text("/roll 2")
        assert room.receive_json()["text"].startswith("you rolled ")
        room.send_text("hello")
        assert room.receive_json() == {"type": "message", "from": "you", "text": "hello"}
    resumed = chat.get("/notifications", headers={**page, "Last-Event-ID": "3"})
    assert resumed.headers["access-control-allow-origin"] == "http://localhost:8110"
    assert "event: unread\ndata: 3\n" in resumed.text
