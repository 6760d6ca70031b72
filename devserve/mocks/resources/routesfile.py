"""An origin's ``resources_routes`` file (json-server's ``--routes routes.json``): read at
start-up (a broken one is a config error), read again when it changes; an edit that breaks it
is reported and the last good rules keep rewriting."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from starlette.types import Scope

from devserve.errors import DevserveError
from devserve.files import Signature, current
from devserve.mocks.resources.data import reject_constant, type_name
from devserve.mocks.resources.request import URL_KEY
from devserve.mocks.resources.rewrite import Rule, RuleError, compile_rule, rewrite

log = logging.getLogger("devserve")
EXAMPLE = '{"/api/*": "/$1", "/blog/:resource/:id/show": "/:resource/:id"}'
MAX_FILE_BYTES = 1024 * 1024  # a routes file is a handful of lines; this is never one
# What a rewritten path keeps as it is in `raw_path`: a target's `%2F` stays encoded.
_RAW_SAFE = "/%!$&'()*+,;=:@-._~"


class RoutesFileError(DevserveError):
    """The routes file cannot be used: unreadable, not JSON, or a rule that cannot work."""


def parse_routes(text: bytes, path: Path) -> tuple[dict[str, str], list[Rule]]:
    """The rules in ``text`` as written and compiled; RoutesFileError names the file, the rule
    and the fix."""
    try:
        data: Any = json.loads(text.decode("utf-8-sig"), parse_constant=reject_constant)
    except UnicodeDecodeError as exc:
        message = f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        raise RoutesFileError(message) from None
    except json.JSONDecodeError as exc:
        raise RoutesFileError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "fix the file there"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise RoutesFileError(f"{path}: cannot be read as JSON ({exc}); fix the file") from None
    if not isinstance(data, dict):
        raise RoutesFileError(
            f"{path}: the top level is {type_name(data)}; it must be an object of rules, "
            f"each a path pattern and the path it stands for, e.g. {EXAMPLE}"
        )
    problems, rules = [], []
    for source, target in data.items():
        if not isinstance(target, str) or not target:
            what = "an empty string" if target == "" else type_name(target)
            problems.append(
                f"rule {source!r}: the target is {what}; write the path it stands for, "
                'e.g. "/posts/:id"'
            )
            continue
        try:
            rules.append(compile_rule(source, target))
        except RuleError as exc:
            problems.append(f"rule {source!r}: {exc}")
    if problems:
        raise RoutesFileError(f"{path}: " + "; ".join(problems))
    return data, rules


def read_routes(path: Path) -> tuple[bytes, dict[str, str], list[Rule]]:
    """The file's bytes, its rules as written, and compiled."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RoutesFileError(
                f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB; a routes file holds rules"
            )
        text = path.read_bytes()
    except FileNotFoundError:
        raise RoutesFileError(
            f"{path}: file not found; create it (json-server's routes format, e.g. {EXAMPLE}) "
            "or fix the path (relative to the config file)"
        ) from None
    except OSError as exc:
        raise RoutesFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    return (text, *parse_routes(text, path))


class RoutesFile:
    """The current good rules of one origin's routes file."""

    def __init__(self, path: Path, report: Callable[[str | None], None] | None = None) -> None:
        self.path = path
        self.report = report
        _, self.written, self.rules = read_routes(path)  # RoutesFileError: a config error
        self._known = current(path)
        self._rejected: Signature | None = None
        self.error: str | None = None

    async def refresh(self) -> None:
        """One stat per request; the file is read again only when it changed."""
        now = current(self.path)
        if now is None or now == self._known or now == self._rejected:
            return
        try:
            _, written, rules = await asyncio.to_thread(read_routes, self.path)
        except RoutesFileError as exc:
            self._rejected = now
            self._set_error(f"{exc.message}; still rewriting with the last good rules")
            return
        self.written, self.rules, self._known, self._rejected = written, rules, now, None
        log.info("resources_routes: %s changed on disk, reloaded", self.path)
        self._set_error(None)

    def _set_error(self, error: str | None) -> None:
        if error == self.error:
            return
        self.error = error
        if error is not None:
            log.error("resources_routes: %s", error)
        if self.report is not None:
            self.report(error)


def rewritten_scope(scope: Scope, prefix: str, rules: list[Rule]) -> Scope | None:
    """``scope`` with its URL rewritten by ``rules`` (below the origin's resources ``prefix``),
    or None when no rule matched. RuleTimeout when a rule's pattern took too long.

    As in express-urlrewrite, the rules see the URL as sent, query string included; a target
    with a ``?`` brings its own query, one without keeps the request's.
    """
    raw = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
    target = raw.decode("latin-1")
    if prefix:  # as the client spelled it (`/api`), else as the decoded path has it (`/%61pi`)
        encoded = quote(prefix)
        below = scope["path"][len(prefix) :]
        target = target[len(encoded) :] if target.startswith(encoded) else quote(below)
    query = scope.get("query_string", b"").decode("latin-1")
    new = rewrite(rules, target + (f"?{query}" if query else ""))
    if new is None:
        return None
    path, mark, new_query = new.partition("?")
    if mark and path:
        query = new_query
    raw_path = quote(prefix + path, safe=_RAW_SAFE, errors="replace")
    return {
        **scope,
        "path": prefix + unquote(path),
        "raw_path": raw_path.encode("ascii"),
        "query_string": query.encode("latin-1", "replace"),
        URL_KEY: raw_path + (f"?{new_query}" if mark else ""),
    }
