"""json-server 0.17.4's own tests, as data: the cases of ``__tests__/server/*.js`` at the tag
v0.17.4 (plural.js, plural-with-custom-foreign-key.js, schema-ignore.js, singular.js), with
their data, requests and expected answers, ported unchanged except that they go over HTTP.

Left out: ``Database state`` (it reads ``router.db`` in JavaScript, no request) and the two
``*-fake.js`` files (``_isFake``, an internal option no command line reaches). The three
``_delay=1100`` checks of more than 1 s wait 300 ms here (more than 250 ms): the same check,
a fraction of the wait.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

# plural.js `rewriterRules`: also what devserve's `resources_routes` file holds.
RULES = {
    "/api/*": "/$1",
    "/blog/posts/:id/show": "/posts/:id",
    "/comments/special/:userId-:body": "/comments/?userId=:userId&body=:body",
    "/firstpostwithcomments": "/posts/1?_embed=comments",
    "/articles\\?_id=:id": "/posts/:id",
}

# plural.js `beforeEach`
PLURAL: dict[str, Any] = {
    "posts": [{"id": 1, "body": "foo"}, {"id": 2, "body": "bar"}],
    "tags": [
        {"id": 1, "body": "Technology"},
        {"id": 2, "body": "Photography"},
        {"id": 3, "body": "photo"},
    ],
    "users": [
        {"id": 1, "username": "Jim", "tel": "0123"},
        {"id": 2, "username": "George", "tel": "123"},
    ],
    "comments": [
        {"id": 1, "body": "foo", "published": True, "postId": 1, "userId": 1},
        {"id": 2, "body": "bar", "published": False, "postId": 1, "userId": 2},
        {"id": 3, "body": "baz", "published": False, "postId": 2, "userId": 1},
        {"id": 4, "body": "qux", "published": True, "postId": 2, "userId": 2},
        {"id": 5, "body": "quux", "published": False, "postId": 2, "userId": 1},
    ],
    "buyers": [
        {"id": index + 1, "name": name, "country": country, "total": total}
        for index, (name, country, total) in enumerate(
            [
                ("Aileen", "Colombia", 100), ("Barney", "Colombia", 200),
                ("Carley", "Colombia", 300), ("Daniel", "Belize", 30), ("Ellen", "Belize", 20),
                ("Frank", "Belize", 10), ("Grace", "Argentina", 1), ("Henry", "Argentina", 2),
                ("Isabelle", "Argentina", 3),
            ]
        )
    ],
    "refs": [{"id": "abcd-1234", "url": "http://example.com", "postId": 1, "userId": 1}],
    "stringIds": [{"id": "1234"}],
    "deep": [{"a": {"b": 1}}, {"a": 1}],
    "nested": [
        {"resource": {"name": "dewey"}},
        {"resource": {"name": "cheatem"}},
        {"resource": {"name": "howe"}},
    ],
    "list": [{"id": number} for number in range(1, 16)],
}  # fmt: skip

# plural-with-custom-foreign-key.js `beforeEach`
CUSTOM_KEY: dict[str, Any] = {
    "posts": [{"id": 1, "body": "foo"}, {"id": 2, "body": "bar"}],
    "comments": [{"id": 1, "post_id": 1}, {"id": 2, "post_id": 1}, {"id": 3, "post_id": 2}],
}
USER = {"name": "foo", "email": "foo@example.com"}  # singular.js, schema-ignore.js


@dataclass(frozen=True)
class Setup:
    """What one test file's ``beforeEach`` builds: the data and the router's options."""

    db: dict[str, Any]
    routes: dict[str, str] | None = None
    foreign_key_suffix: str | None = None  # router option `foreignKeySuffix`
    id_field: str | None = None  # `router.db._.id`
    wrap: bool = False  # `router.render` answers {"data": ...}


PLURAL_SETUP = Setup(PLURAL, routes=RULES)


@dataclass(frozen=True)
class Case:
    """One json-server test: a request and what it expects (``None``: not checked)."""

    source: str
    title: str
    method: str
    path: str
    status: int | None = 200
    body: Any = None  # the JSON expected, when not None
    json: Any = None  # a JSON body to send
    form: str | None = None  # or an HTML form body
    headers: dict[str, str] = field(default_factory=dict)
    expect_headers: dict[str, str | re.Pattern[str]] = field(default_factory=dict)
    text: re.Pattern[str] | None = None  # the body text must match
    after: tuple[tuple[str, Any], ...] = ()  # (GET path, expected JSON or item count)
    min_seconds: float = 0
    setup: Setup = PLURAL_SETUP
    # Why devserve answers otherwise on purpose (the README's table says so), if it does.
    devserve: str | None = None
    # True: devserve gives json-server's answer once the request comes from an allowed origin.
    with_origin: bool = False


@dataclass(frozen=True)
class Count:
    """``assert.strictEqual(db.x.length, n)``, checked over HTTP."""

    items: int


JSON = {"content-type": re.compile("json")}
P, C, T, R = PLURAL["posts"], PLURAL["comments"], PLURAL["tags"], PLURAL["refs"]
EXPOSE_TOTAL = {**JSON, "access-control-expose-headers": "X-Total-Count"}
ORIGIN_ONLY = (
    "devserve sends CORS headers (Access-Control-Expose-Headers among them) only in answer "
    "to an allowed Origin: a request without one gets none"
)


def _with(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**copy.deepcopy(item), **extra}


def _plural(title: str, method: str, path: str, status: int | None = 200, **rest: Any) -> Case:
    return Case("plural.js", title, method, path, status, **rest)


def _delayed(method: str, path: str, status: int, **rest: Any) -> Case:
    title = f"{method} {path.split('?')[0]}?_delay= should delay response"
    return _plural(title, method, path.replace("1100", "300"), status, min_seconds=0.25, **rest)


LINK = ", ".join(
    f'<http://localhost/list?_page={page}&_limit=1>; rel="{rel}"'
    for page, rel in ((1, "first"), (1, "prev"), (3, "next"), (15, "last"))
)
