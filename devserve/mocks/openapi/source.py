"""The spec an origin serves: read at start-up, read again when one of its files changes;
an edit that breaks it is logged and the last good spec keeps serving."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio.to_thread

from devserve.mocks.openapi.spec import Signature, Spec, SpecError, load_spec, signature_of

log = logging.getLogger("devserve.errors")


class SpecSource:
    """The current good spec of one origin."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.spec = load_spec(path)  # SpecError at start-up: a config error
        self._rejected: Signature | None = None
        self.error: str | None = None

    def _changed(self) -> Signature | None:
        now = signature_of([name for name, _, _ in self.spec.signature])
        if now is None or now == self.spec.signature or now == self._rejected:
            return None
        return now

    async def current(self) -> Spec:
        """The spec to answer with: one stat per file per request, a parse only on a change."""
        changed = self._changed()
        if changed is None:
            return self.spec
        try:
            self.spec = await anyio.to_thread.run_sync(load_spec, self.spec.path)
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
        log.info("origin '%s': openapi: %s read again", self.name, self.spec.path.name)
        return self.spec
