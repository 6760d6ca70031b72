"""The file names of a mock folder's folders, by the request name they may answer: a request
looks its name up instead of reading a folder of thousands of files each time.

A folder's listing is kept while the folder is unchanged: its modification and change times
(an entry added, removed or renamed changes both) and its identity. File systems stamp those
times from a coarse clock, so a name added in the same tick as a listing could leave them as
they were: a listing is kept only once the folder has been still for a while. The files
themselves are still read on every request (and checked to exist, be files, stay inside).
"""

from __future__ import annotations

import os
import threading
import time

# A folder changed more recently than this is listed again on every request.
SETTLED_NS = 2_000_000_000
# Folders whose listings are kept; past this, the kept ones are dropped and read again.
MAX_FOLDERS = 512

Version = tuple[int, int, int, int]


class Listings:
    """Folder -> its version and its names by the request names they may answer."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Version, dict[str, list[str]]]] = {}
        # Requests come in worker threads: when many ask at once, one reads the folder.
        self._reading = threading.Lock()

    def named(self, folder: str, name: str) -> list[str]:
        """The names in ``folder`` that start with ``name`` and a dot (``users.json``,
        ``users.POST.201.json`` for ``users``), in no particular order."""
        info = os.stat(folder)
        version = (info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
        kept = self._kept.get(folder)
        if kept is not None and kept[0] == version:
            return kept[1].get(name, [])
        with self._reading:
            kept = self._kept.get(folder)  # read meanwhile by another request
            if kept is not None and kept[0] == version:
                return kept[1].get(name, [])
            by_name = _by_name(folder)
            if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > SETTLED_NS:
                if len(self._kept) >= MAX_FOLDERS:
                    self._kept.clear()
                self._kept[folder] = (version, by_name)
        return by_name.get(name, [])


def _by_name(folder: str) -> dict[str, list[str]]:
    """Each name of ``folder`` under every prefix of it that a dot ends (``a.b.json`` under
    ``a`` and ``a.b``)."""
    found: dict[str, list[str]] = {}
    with os.scandir(folder) as scan:
        for entry in scan:
            filename = entry.name
            at = filename.find(".", 1)
            while at != -1:
                found.setdefault(filename[:at], []).append(filename)
                at = filename.find(".", at + 1)
    return found
