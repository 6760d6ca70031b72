"""The spec an origin serves: a file read at start-up and again when one of its files changes
(an edit that breaks it is logged and the last good spec keeps serving), or a spec at a URL as
the last config load fetched it."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio.to_thread

from devserve.config.proxy import SpecUrl
from devserve.mocks.openapi.fetched import fetched
from devserve.mocks.openapi.spec import Signature, Spec, SpecError, load_spec, signature_of

log = logging.getLogger("devserve.errors")


def spec_at(location: Path | SpecUrl) -> Spec:
    """The spec of a file, or the last one fetched from a URL; SpecError if there is none."""
    if isinstance(location, SpecUrl):
        spec = fetched(location)
        if spec is None:
            raise SpecError([f"{location}: not fetched (a URL is fetched at config load)"])
        return spec
    return load_spec(location)


class SpecSource:
    """The current good spec of one origin."""

    def __init__(self, name: str, location: Path | SpecUrl) -> None:
        self.name = name
        self.location = location
        self.spec = spec_at(location)  # SpecError at start-up: a config error
        self._rejected: Signature | None = None
        self.error: str | None = None

    def _changed(self) -> Signature | None:
        now = signature_of([name for name, _, _ in self.spec.signature])
        if now is None or now == self.spec.signature or now == self._rejected:
            return None
        return now

    async def current(self) -> Spec:
        """The spec to answer with: one stat per file per request, a parse only on a change."""
        if isinstance(self.location, SpecUrl):
            self.spec = fetched(self.location) or self.spec  # a config reload fetched it again
            return self.spec
        changed = self._changed()
        if changed is None:
            return self.spec
        try:
            self.spec = await anyio.to_thread.run_sync(load_spec, self.location)
        except SpecError as exc:
            self._rejected = changed
            self.error = "\n".join(exc.problems)
            log.error(
                "origin '%s': openapi: the spec is invalid, still serving the last good one:\n  %s",
                self.name,
                "\n  ".join(exc.problems),
            )
            return self.spec
        self.error = None
        self._rejected = None
        log.info("origin '%s': openapi: %s read again", self.name, self.spec.name)
        return self.spec
