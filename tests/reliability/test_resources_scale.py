"""A DELETE on a big file checks every foreign key once per collection, not once per item:
json-server's own way (a linear search per reference) took minutes here and held every
origin meanwhile."""

from __future__ import annotations

import time
from pathlib import Path

from tests.mocks.resources.helpers import client, on_disk, write_db

POSTS, COMMENTS = 20_000, 10_000
BOUND_SECONDS = 15  # generous: it takes well under a second; the item-by-item way, a minute


def test_a_delete_among_many_references_answers_soon_and_cleans_up(tmp_path: Path) -> None:
    posts = [{"id": i, "title": f"post {i}"} for i in range(1, POSTS + 1)]
    # References spread over every post: each one a full search in json-server's way.
    comments = [{"id": j, "postId": (j * 7919) % POSTS + 1} for j in range(1, COMMENTS + 1)]
    write_db(tmp_path, {"posts": posts, "comments": comments})
    api = client(tmp_path)
    doomed = comments[-1]["postId"]
    start = time.monotonic()
    assert api.delete(f"/posts/{doomed}").status_code == 200
    assert time.monotonic() - start < BOUND_SECONDS
    saved = on_disk(tmp_path)
    assert len(saved["posts"]) == POSTS - 1
    assert [c for c in saved["comments"] if c["postId"] == doomed] == []
    assert len(saved["comments"]) == COMMENTS - sum(c["postId"] == doomed for c in comments)
