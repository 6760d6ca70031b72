"""Server-sent events on the wire (the HTML standard's text/event-stream), and the ids of a mock
stream: which id each event carries on each pass of a repeating stream, and where a stream
resumes after a ``Last-Event-ID``. Pure functions: no I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def data_text(value: Any, *, written_as_text: bool) -> str:
    """An event's data as text: text stays text, anything else (a table, an array, what a
    ``{{ expr }}`` gave) is compact JSON, as a page's ``JSON.parse(event.data)`` expects."""
    if isinstance(value, str) and written_as_text:
        return value
    if isinstance(value, str):  # a table's string member is a JSON string: quoted
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode(
    data: str, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> bytes:
    """One event: ``id:``, ``event:``, ``retry:``, a ``data:`` line per line of data, a blank
    line. (An event whose data is empty is never dispatched by a browser.)"""
    head = ""
    if id is not None:
        head += f"id: {id}\n"
    if event is not None:
        head += f"event: {event}\n"
    if retry is not None:
        head += f"retry: {retry}\n"
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    return f"{head}{lines}\n".encode()


def retry_line(retry_ms: int) -> bytes:
    return f"retry: {retry_ms}\n\n".encode()


def comment(text: str) -> bytes:
    """A comment line: ignored by the page, keeps an idle connection alive."""
    return f": {text}\n\n".encode()


@dataclass(frozen=True)
class Ids:
    """The ids of a stream's events. Pass 0 carries the ids as written; a repeating stream's
    later passes continue them: numeric ids grow by the largest one (1, 2 then 3, 4), others
    get ``.PASS`` (``a`` then ``a.1``), so every id the page sees is unique."""

    given: tuple[str | None, ...]

    @property
    def step(self) -> int | None:
        """The largest id when every id given is a number (what each pass adds), else None."""
        numbers = [given for given in self.given if given is not None]
        if not numbers or not all(n.isdigit() and len(n) <= 15 for n in numbers):
            return None
        return max(int(n) for n in numbers) or 1

    def of(self, index: int, lap: int) -> str | None:
        """The id event ``index`` carries on pass ``lap``."""
        given = self.given[index]
        if given is None or lap == 0:
            return given
        step = self.step
        return str(int(given) + lap * step) if step is not None else f"{given}.{lap}"

    def find(self, last: str) -> tuple[int, int] | None:
        """``(lap, index)`` of the event that carried ``last``, or None if none did."""
        for lap in self._laps(last):
            for index in range(len(self.given)):
                if self.of(index, lap) == last:
                    return lap, index
        return None

    def _laps(self, last: str) -> list[int]:
        step = self.step
        if step is not None:
            if not last.isdigit() or len(last) > 18:
                return []
            # Only the laps that can hold it: id = given + lap * step.
            low = min(int(n) for n in self.given if n is not None)
            top = (int(last) - low) // step if int(last) >= low else -1
            return [lap for lap in (top - 1, top, top + 1) if lap >= 0]
        base, dot, lap = last.rpartition(".")
        laps = [0]
        if dot and lap.isdigit() and len(lap) <= 15 and base in self.given:
            laps.append(int(lap))
        return laps


def resume_at(ids: Ids, last: str | None, *, repeat: bool) -> tuple[int, int] | None:
    """Where a stream starts for a request with ``Last-Event-ID: last``: ``(lap, index)`` of the
    first event the page has not seen; None when it has seen the whole (non-repeating) stream.
    An id the stream never sent starts it over, as does no id at all."""
    if last is None:
        return 0, 0
    found = ids.find(last)
    if found is None:
        return 0, 0
    lap, index = found
    if index + 1 < len(ids.given):
        return lap, index + 1
    return (lap + 1, 0) if repeat else None
