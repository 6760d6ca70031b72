"""A static folder's directory listing: its entries (no dotfiles, no symlink out of the root)
and the page that shows them."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from urllib.parse import quote

import jinja2

from devserve._resources import templates_dir


@dataclass(frozen=True)
class Entry:
    name: str
    href: str
    is_dir: bool
    size: str
    modified: str


def entries(directory: str, contained: Callable[[str], str | None]) -> list[Entry]:
    """What ``directory`` lists: dotfiles and symlinks that ``contained`` refuses left out,
    folders first, then by name."""
    found = []
    with os.scandir(directory) as scan:
        for item in scan:
            if item.name.startswith("."):
                continue
            try:
                if item.is_symlink() and contained(item.path) is None:
                    continue
                info = item.stat()
            except OSError:  # a dangling symlink has nothing to show
                continue
            is_dir = stat.S_ISDIR(info.st_mode)
            found.append(
                Entry(
                    name=item.name + ("/" if is_dir else ""),
                    href=quote(item.name) + ("/" if is_dir else ""),
                    is_dir=is_dir,
                    size="" if is_dir else human_size(info.st_size),
                    modified=datetime.fromtimestamp(info.st_mtime).strftime("%Y-%m-%d %H:%M"),
                )
            )
    found.sort(key=lambda entry: (not entry.is_dir, entry.name.lower()))
    return found


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


@cache
def listing_template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template("listing.html")
