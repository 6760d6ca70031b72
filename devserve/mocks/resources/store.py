"""A resource file held in memory: load, atomic persistence, external edits, reset.

Every change is applied in memory under one lock and then written with a *group commit*: the
first writer to reach the disk writes the state including every change made so far, and each
request answers only once a write containing its change is on disk. A burst of writes costs a
few file writes, never loses one, and a kill at any moment leaves the old file or the new one.

devserve never overwrites a file it has not read: while the file on disk does not parse,
changes are refused (WriteRefused); and a write checks, right before its rename, that the file
is still the version devserve last read or wrote, so an edit not yet noticed is never lost.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from devserve.errors import DevserveError
from devserve.files import EditedOnDisk, Signature, current, write_atomic
from devserve.mocks.resources.data import ResourceDataError, parse, read
from devserve.mocks.resources.filetext import FileText
from devserve.mocks.resources.query import INLINE_ITEMS
from devserve.mocks.resources.readers import Readers

log = logging.getLogger("devserve")
T = TypeVar("T")
Report = Callable[[str | None], None]
Normalize = Callable[[dict[str, Any]], None]


class WriteRefused(DevserveError):
    """A change devserve will not write, since the file on disk holds an edit it could not
    read (a 503: the client may retry once the file is fixed)."""


class Store:
    """The database of one origin's ``resources`` file."""

    def __init__(
        self,
        path: Path,
        *,
        persist: bool = True,
        report: Report | None = None,
        normalize: Normalize | None = None,
    ) -> None:
        self.path = path
        self.persist = persist
        self.report = report
        self.normalize = normalize  # what a dialect does to the data each time it is read
        text, self.data = read(path)  # ResourceDataError at start-up: a config error
        self._normalized(self.data)
        # What `reset` restores: the start-up data or the last edit (compressed: a big file
        # would otherwise be held twice, as bytes and as data).
        self._original = zlib.compress(text, 1)
        self._known = current(path)
        self._rejected: Signature | None = None
        self._unreadable: str | None = None  # why the file on disk cannot be read, if it cannot
        self.error: str | None = None
        self._readers = Readers()
        self._text = FileText()  # the bytes of the last write, reused for what did not change
        self._settled = asyncio.Event()  # set while no change is being applied
        self._derived: tuple[Any, int, dict[Any, Any]] = (None, 0, {})
        self._settled.set()
        self._lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()
        self._changed = 0  # changes made in memory
        self._saved = 0  # changes on disk
        self._lost = 0  # changes up to this one were given up for an edit made meanwhile
        self._writing = False

    # -- reading ---------------------------------------------------------------------------

    def _edited(self) -> Signature | None:
        """The file's new signature if someone else changed it since devserve last saw it."""
        if self._writing:
            return None  # our own rename may land at any moment: not an edit
        now = current(self.path)
        if now is None or now == self._known or now == self._rejected:
            return None
        return now

    def derived(self, data: dict[str, Any]) -> dict[Any, Any]:
        """What reads work out from ``data`` and may share until it changes (grouped children
        for ``_embed``): empty for data that is no longer the current version."""
        held, version, found = self._derived
        if held is data and version == self._changed:
            return found
        if data is self.data:
            self._derived = (data, self._changed, {})
            return self._derived[2]
        return {}

    @property
    def big(self) -> bool:
        """Whether a collection is big enough that walking it would hold the event loop."""
        return any(isinstance(v, list) and len(v) > INLINE_ITEMS for v in self.data.values())

    async def refresh(self) -> None:
        """Pick up an external edit: one stat per request, a parse only when the file changed."""
        if self._edited() is None:
            return
        async with self._lock:
            await self._reload_locked()

    async def read(self, answer: Callable[[dict[str, Any]], T], *, slow: bool = False) -> T:
        """``answer(data)``: at once, or, when it may be ``slow``, in a worker thread (off the
        event loop) that no change interrupts. ``answer`` must not change the data.

        Whatever reads more than the top-level object reads through here: a change to a big
        file runs in a worker thread, and a read waits until it is done (a change that has
        begun comes first, so reads never hold one up); a read does not wait for the disk."""
        while not self._settled.is_set():
            await self._settled.wait()
        if not slow:
            return answer(self.data)
        future = self._readers.start(answer, self.data)  # a change now waits for it to end
        return await asyncio.wrap_future(future)

    async def _reload_locked(self) -> None:
        edited = self._edited()
        if edited is None:
            return
        try:
            text = await asyncio.to_thread(self.path.read_bytes)
            data = await asyncio.to_thread(self._parsed, text)  # off the loop: may be big
        except OSError:
            return  # vanished mid-edit (editors save by rename): the next request looks again
        except ResourceDataError as exc:
            self._rejected = edited
            self._unreadable = exc.message.removeprefix(f"{self.path}: ")
            refused = "; writes are refused until it is fixed" if self.persist else ""
            self._set_error(f"{exc.message}; still serving the last good data{refused}")
            return
        self._text.forget()
        self._original = await asyncio.to_thread(zlib.compress, text, 1)
        self.data, self._known = data, edited
        self._rejected = self._unreadable = None
        log.info("resources: %s changed on disk, reloaded", self.path)
        self._set_error(None)

    def _parsed(self, text: bytes) -> dict[str, Any]:
        return self._normalized(parse(text, self.path))

    def _normalized(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.normalize is not None:
            self.normalize(data)
        return data

    def _set_error(self, error: str | None) -> None:
        if error == self.error:
            return
        self.error = error
        if error is not None:
            log.error("resources: %s", error)
        if self.report is not None:
            self.report(error)

    # -- writing ---------------------------------------------------------------------------

    async def change(self, apply: Callable[[dict[str, Any]], tuple[T, bool]]) -> T:
        """Run ``apply(data)`` under the lock; if it says it changed something, persist it.

        ``apply`` returns ``(result, changed)``; it must finish its work on the data (e.g.
        serialize its answer) before returning, since the next change may follow at once.
        It must put a changed item in place as a new object, never change one in place
        (filetext.py). WriteRefused, and nothing changed, while the file on disk cannot be
        read. A change, once begun, goes on to the disk even if its request is given up.
        """
        task = asyncio.ensure_future(self._change(apply))
        task.add_done_callback(_retrieved)
        return await asyncio.shield(task)

    async def _change(self, apply: Callable[[dict[str, Any]], tuple[T, bool]]) -> T:
        async with self._lock:
            self._settled.clear()  # reads wait from here until the data has changed
            try:
                await self._reload_locked()  # a change applies to the file's latest content
                self._refuse_unreadable()
                await self._readers.idle()  # no read in a worker thread sees the data change
                if self.big:  # off the event loop: a write walks a collection (ids, references)
                    result, changed = await asyncio.to_thread(apply, self.data)
                else:
                    result, changed = apply(self.data)
            finally:
                self._settled.set()
            if changed:
                self._changed += 1
            wanted = self._changed
        if changed and self.persist:
            await self._flush(wanted)
        return result

    def _refuse_unreadable(self) -> None:
        if self._unreadable is None or not self.persist:
            return
        raise WriteRefused(
            f"{self.path.name} on disk cannot be read ({self._unreadable}), so devserve will "
            "not write to it (that would erase the edit); fix the file and send the request "
            "again (reads get the last good data meanwhile)"
        )

    async def _flush(self, wanted: int) -> None:
        async with self._flush_lock:
            if wanted <= self._lost:
                raise self._edited_meanwhile()
            if self._saved >= wanted:
                return  # another request's write already carried this change
            async with self._lock:  # no change while the state is serialized and written
                upto = self._changed
                try:
                    await self._write_locked(self.data)
                except EditedOnDisk:
                    self._lost = self._saved = upto
                    await self._reload_locked()  # the edit wins: it is what is served now
                    raise self._edited_meanwhile() from None
            self._saved = upto

    def _edited_meanwhile(self) -> WriteRefused:
        return WriteRefused(
            f"{self.path.name} was edited on disk while this change was being saved; the edit "
            "is kept and this change was not saved; send the request again"
        )

    async def _write_locked(self, content: dict[str, Any] | bytes) -> None:
        self._writing = True
        try:
            self._known = await asyncio.to_thread(self._write, content, self._known)
        finally:
            self._writing = False

    def _write(self, data: dict[str, Any] | bytes, expected: Signature | None) -> Signature:
        """Atomically; EditedOnDisk instead if the file is no longer the ``expected`` version."""
        payload = data if isinstance(data, bytes) else self._text.render(data)
        return write_atomic(self.path, payload, expected=expected)

    async def reset(self) -> dict[str, Any]:
        """Restore the original data (as at start-up, or as last edited outside devserve)."""
        async with self._lock:
            await self._reload_locked()
            self._refuse_unreadable()
            text = await asyncio.to_thread(zlib.decompress, self._original)
            data = await asyncio.to_thread(self._parsed, text)
            if self.persist:
                try:
                    await self._write_locked(text)
                except EditedOnDisk:
                    await self._reload_locked()
                    raise WriteRefused(
                        f"{self.path.name} was edited on disk during the reset; the edit is kept"
                    ) from None
            self._text.forget()
            self.data = data  # replaced, not changed: a read in a worker thread keeps the old
            self._changed += 1
            if self.persist:
                self._saved = self._changed
        return summary(self.data)


def _retrieved(task: asyncio.Future[Any]) -> None:
    # A change whose request was given up: its outcome has no one to go to.
    if not task.cancelled():
        task.exception()


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """Item counts per collection, for the control API."""
    return {key: len(value) if isinstance(value, list) else "object" for key, value in data.items()}
