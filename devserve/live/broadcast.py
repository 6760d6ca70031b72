"""Who hears what: file changes, config results, requests and origin states, told to the open
pages of each origin and to the dashboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from devserve.live.events import (
    CORS_BLOCKED,
    DASHBOARD_CHANNEL,
    ORIGINS,
    RELOAD,
    REQUEST,
    SOCKET,
    Event,
    Hub,
    config_event,
    json_event,
)
from devserve.live.reload import ReloadHub
from devserve.records import RequestRecord, SocketRecord
from devserve.state import OriginState

# For a blocked request: the name of the origin whose page sent it and the full URL the page
# asked for, or None when devserve does not serve that page.
PageOf = Callable[[RequestRecord], tuple[str, str] | None]


class Broadcast:
    """The two hubs: ``pages`` (one channel per origin) and the dashboard's channel."""

    def __init__(self, *, live_reload: bool) -> None:
        self.pages = ReloadHub()
        self.dashboard = Hub()
        self.live_reload = live_reload

    def pages_changed(self, origin: str, kind: str) -> None:
        """A file of ``origin`` changed: its pages reload (or swap CSS), the dashboard notes it."""
        self.pages.publish(origin, Event(kind))
        note = json_event(RELOAD, {"origin": origin, "kind": kind})
        self.dashboard.publish(DASHBOARD_CHANNEL, note, keep=True)

    def reload_pages(self, origin: str) -> None:
        """The origin was rebuilt by a config change: its open pages reload."""
        self.pages.publish(origin, Event(RELOAD))

    def config_checked(self, error: str | None) -> None:
        """The config file was read again: show its error everywhere, or clear it."""
        self.pages.report_config(error)
        self.dashboard.publish(DASHBOARD_CHANNEL, config_event(error))

    def page_notices(self, notices: Sequence[dict[str, str]]) -> None:
        """Notices every page shows in its corner as it connects (``title``, ``url``,
        ``reason``), e.g. that the browser does not trust devserve's CA yet."""
        self.pages.notices = [json_event(CORS_BLOCKED, notice) for notice in notices]

    def origins_changed(self, states: Sequence[OriginState]) -> None:
        self.dashboard.publish(DASHBOARD_CHANNEL, _origins_event(states))
        # Pages hear names, URLs and CORS states only: not the folders an origin serves.
        cors = [{"name": s.name, "url": s.url, "cors": s.as_json()["cors"]} for s in states]
        self.pages.report_origins(json_event(ORIGINS, cors))

    def dashboard_greeting(self, states: Sequence[OriginState]) -> list[Event]:
        """What a dashboard that connects now must hear first."""
        return [_origins_event(states), config_event(self.pages.config_error)]

    def request(self, record: RequestRecord, page_of: PageOf) -> None:
        """One request answered: to the dashboard's log; a blocked one, or one whose cookies the
        browser drops or will not send back, to its page.

        Both are kept, for a dashboard opened later and for a page whose own scripts fetched
        before its (deferred) live-reload script connected.
        """
        self.dashboard.publish(DASHBOARD_CHANNEL, Event(REQUEST, record.as_json), keep=True)
        cors = record.cors
        if cors is None or not self.live_reload:
            return
        if cors.verdict != "blocked" and not cors.cookies_lost:
            return
        found = page_of(record)
        if found is None:
            return
        page, url = found
        notice = {
            "origin": record.origin,
            "method": record.method,
            "url": url,
            "status": record.status,
            "blocked": cors.verdict == "blocked",
            "reason": cors.reason,
            "note": cors.note,
            "cookies": list(cors.cookies_lost),
        }
        self.pages.publish(page, json_event(CORS_BLOCKED, notice), keep=True)

    def socket(self, record: SocketRecord) -> None:
        """A mock socket opened, sent or got a frame, or closed: to the dashboard (not kept
        here: each socket keeps its own last frames, sent to a dashboard that connects)."""
        self.dashboard.publish(DASHBOARD_CHANNEL, Event(SOCKET, record.as_json))

    def end_pages(self, origin: str) -> None:
        """End the pages' streams of an origin about to stop, so its server need not wait."""
        self.pages.end(origin)

    def end_dashboard(self) -> None:
        self.dashboard.end(DASHBOARD_CHANNEL)

    def close(self) -> None:
        """End every stream: devserve is stopping."""
        self.pages.close()
        self.dashboard.close()


def _origins_event(states: Sequence[OriginState]) -> Event:
    return json_event(ORIGINS, [state.as_json() for state in states])
