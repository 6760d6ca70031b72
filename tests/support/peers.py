"""Node peers (json-server 0.17.4 and 1.0.0-beta.15, http-server, puppeteer-core) installed by
`.ci/run` into a cache folder outside the repository; tests that need one skip with a reason when
it is missing, except under CI=true, where a missing peer is a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.ci import need

PEERS_DIR = Path(os.environ.get("DEVSERVE_PEERS", Path.home() / ".cache" / "devserve-peers"))
# What .ci/run installs: keep the two lists in step.
PEERS = {
    "json-server": "json-server@0.17.4",
    # json-server 1.0 (dialect = "v1") under an alias: one prefix holds one json-server.
    "json-server-v1": "json-server-v1@npm:json-server@1.0.0-beta.15",
    "http-server": "http-server@14",
    "puppeteer-core": "puppeteer-core@24",
}


def node() -> str:
    """The `node` executable, or skip/fail."""
    found = shutil.which("node")
    if found is None:
        need("node", "Node.js is not installed (apt-get install nodejs npm)")
    assert found is not None
    return found


def peer(name: str) -> Path:
    """The installed package folder of a Node peer, or skip/fail with how to install it."""
    node()
    folder = PEERS_DIR / "node_modules" / name
    if not (folder / "package.json").is_file():
        need(name, f"{name} is not installed: npm install --prefix {PEERS_DIR} {PEERS[name]}")
    return folder
