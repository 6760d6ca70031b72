"""One way to drive a page in either real browser: Chromium through Playwright, Firefox ESR
through ``firefox_session.mjs`` (puppeteer-core over WebDriver BiDi, one Firefox per session).
A test opens named tabs and runs JavaScript expressions in them (a promise is awaited)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tests.browser.firefox import FIREFOX, firefox_available
from tests.support.peers import node, peer

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

SCRIPT = Path(__file__).with_name("firefox_session.mjs")
# Below pytest-timeout (60 s): a hung step ends the test with a readable message.
STEP_TIMEOUT_S = 30


class Driver(Protocol):
    name: str

    def open(self, tab: str, url: str) -> None: ...

    def eval(self, tab: str, js: str) -> Any: ...

    def close_all(self) -> None: ...


class Chromium:
    """Tabs of one Playwright context."""

    name = "chromium"

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.tabs: dict[str, Page] = {}

    def open(self, tab: str, url: str) -> None:
        page = self.tabs.get(tab) or self.context.new_page()
        self.tabs[tab] = page
        response = page.goto(url)
        assert response is not None and (response.ok or response.status == 304), url

    def eval(self, tab: str, js: str) -> Any:
        return self.tabs[tab].evaluate(js)

    def close_all(self) -> None:
        for page in self.tabs.values():
            page.close()
        self.tabs.clear()


class FirefoxSession:
    """A Firefox ESR running for the whole session, driven one command at a time."""

    name = "firefox"

    def __init__(self) -> None:
        firefox_available()
        self._profile = tempfile.TemporaryDirectory(prefix="devserve-firefox-")
        self.process = subprocess.Popen(
            [node(), str(SCRIPT), str(peer("puppeteer-core")), FIREFOX, self._profile.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MOZ_HEADLESS": "1"},
        )
        self._answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._answer()  # "ready": Firefox is up
        self.tabs: set[str] = set()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._answers.put(line)
        self._answers.put("")

    def _answer(self) -> Any:
        try:
            line = self._answers.get(timeout=STEP_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"Firefox gave no answer within {STEP_TIMEOUT_S} s") from None
        if not line:
            assert self.process.stderr is not None
            raise AssertionError(f"Firefox ended:\n{self.process.stderr.read()[-3000:]}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise AssertionError(f"in Firefox: {answer['error']}")
        return answer["value"]

    def _ask(self, **command: Any) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def open(self, tab: str, url: str) -> None:
        self.tabs.add(tab)
        self._ask(op="open", tab=tab, url=url)

    def eval(self, tab: str, js: str) -> Any:
        return self._ask(op="eval", tab=tab, js=js)

    def close_all(self) -> None:
        for tab in sorted(self.tabs):
            self._ask(op="close", tab=tab)
        self.tabs.clear()

    def quit(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._profile.cleanup()
