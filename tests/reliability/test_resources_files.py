"""Hand-written resource files with what no request can store any more (huge numbers, deep
nesting, lone surrogates): every query, write and restart still gets a proper answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devserve.mocks.resources.data import MAX_FILE_DEPTH
from tests.mocks.resources.helpers import client, write_db
from tests.support.configs import config_toml
from tests.support.process import free_ports, run_command

HUGE = int("9" * 300)  # exact in Python; 1e300 to JavaScript


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value] if len(str(depth)) % 2 else {"k": value}
    return value


def _odd_data(depth: int) -> dict[str, Any]:
    return {
        "posts": [
            {"id": 1, "title": "deep", "tree": _nested(depth), "views": 5, "postId": 1},
            {"id": HUGE, "title": "huge", "views": HUGE, "tree": [HUGE]},
            {"id": 2**64, "title": "big", "views": 1e300, "tree": {"k": -HUGE}},
            {"id": "\ud800", "title": "lone \udfff surrogate", "views": "x"},
        ],
        "comments": [{"id": 1, "postId": HUGE}],
        "profile": {"deep": _nested(depth)},
    }


QUERIES_017 = [
    "/posts",
    "/posts?q=deep",
    "/posts?q=leaf",
    "/posts?q=999",
    "/posts?q=surrogate",
    "/posts?views=5",
    "/posts?views_gte=3",
    "/posts?views_lte=3",
    "/posts?views_ne=3",
    "/posts?views_like=9",
    "/posts?tree_like=leaf",
    "/posts?tree=leaf",
    "/posts?tree.0.0=leaf",
    "/posts?tree.k.k=leaf",
    "/posts?tree.²=1",
    "/posts?tree." + "9" * 5000 + "=1",
    "/posts?_sort=views",
    "/posts?_sort=tree&_order=desc",
    "/posts?_sort=id,title",
    "/posts?_page=" + "9" * 5000,
    "/posts?_limit=" + "9" * 5000,
    "/posts?_start=-" + "9" * 5000 + "&_end=" + "9" * 5000,
    "/posts?_embed=comments&_expand=post",
    "/posts/" + "9" * 300,
    "/posts/1/comments",
    "/comments?_expand=post",
    "/profile",
    "/db",
]
QUERIES_V1 = [
    "/posts",
    "/posts?views:gt=3",
    "/posts?views:lt=" + "9" * 5000,
    "/posts?views:in=5," + "9" * 300,
    "/posts?tree.0.0:eq=leaf",
    "/posts?title:contains=LONE",
    "/posts?_sort=-views,tree",
    "/posts?_sort=tree",
    "/posts?_page=" + "9" * 5000 + "&_per_page=" + "9" * 5000,
    "/posts?_embed=comments",
    "/comments?_embed=post",
    '/posts?_where={"views":{"gt":1e400}}',
    '/posts?_where={"views":{"lt":' + "9" * 4000 + "}}",
    "/posts/" + "9" * 300,
    "/profile",
]


@pytest.mark.parametrize(
    ("dialect", "queries"), [("0.17", QUERIES_017), ("v1", QUERIES_V1)], ids=["0.17", "v1"]
)
def test_queries_and_writes_on_an_odd_hand_written_file_never_fail(
    tmp_path: Path, dialect: str, queries: list[str]
) -> None:
    write_db(tmp_path, _odd_data(MAX_FILE_DEPTH - 4))
    api = client(tmp_path, dialect=dialect)
    for query in queries:
        response = api.get(query)
        assert response.status_code in (200, 404), (query[:80], response.text[:300])
    created = api.post("/posts", json={"title": "new"})  # the next id after HUGE: none exact
    assert created.status_code == 201, created.text
    assert api.patch("/profile", json={"more": 1}).status_code == 200
    assert api.delete("/posts/1").status_code == 200
    saved = json.loads((tmp_path / "db.json").read_text())  # still JSON, digits and all
    assert any(post.get("views") == HUGE for post in saved["posts"])


def test_a_number_past_every_double_is_a_clear_error_in_the_file(tmp_path: Path) -> None:
    (tmp_path / "db.json").write_text('{"posts": [{"id": 1, "views": 1e400}]}')
    (tmp_path / "devserve.toml").write_text(
        config_toml({"api": {"port": free_ports(1)[0], "resources": "db.json"}})
    )
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the number 1e400 is beyond what JavaScript can hold" in result.stderr
    assert "Traceback" not in result.stderr
    (tmp_path / "db.json").write_text('{"posts": [{"id": ' + "9" * 5000 + "}]}")
    result = run_command("check-config", cwd=tmp_path)
    assert "(5000 characters) is beyond what JavaScript can hold" in result.stderr
    write_db(tmp_path, {"posts": [{"tree": _nested(MAX_FILE_DEPTH)}]})
    result = run_command("check-config", cwd=tmp_path)
    assert f"nests objects and arrays more than {MAX_FILE_DEPTH} levels deep" in result.stderr
