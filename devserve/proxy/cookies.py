"""``Set-Cookie`` from the upstream, rewritten so the browser stores it for this local origin.

The upstream sets cookies for its own site (``Domain=api.example.com; Secure; SameSite=None``);
on ``http://localhost:8001`` a browser would reject that Domain, and a Secure cookie on plain
http is refused by Safari and on any non-localhost address. Each rewrite is named, so the log
can say why the cookie the page sees differs from production.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rewritten:
    """One ``Set-Cookie`` as sent to the browser, and what changed (empty: nothing)."""

    value: str
    changes: tuple[str, ...]

    @property
    def note(self) -> str | None:
        """``session: Domain removed, Secure removed`` or None when nothing changed."""
        if not self.changes:
            return None
        name = self.value.split("=", 1)[0].strip()
        return f"{name}: {', '.join(self.changes)}"


def rewrite_set_cookie(value: str, *, secure_origin: bool, base_path: str = "") -> Rewritten:
    """Rewrite one ``Set-Cookie`` value for a local origin (``secure_origin``: served on https).

    ``Domain`` is dropped (a host-only cookie for this origin); on http, ``Secure`` is dropped
    (except for ``__Secure-``/``__Host-`` cookies, which need it and which Chrome and Firefox
    accept on localhost) and ``SameSite=None``, which needs ``Secure``, becomes ``Lax`` (the
    local origins are all one site, so ``Lax`` still travels between them). A ``Path`` under
    the upstream's base path is moved to the matching local path.
    """
    first, *attributes = value.split(";")
    name = first.split("=", 1)[0].strip()
    keeps_secure = secure_origin or name.startswith(("__Secure-", "__Host-"))
    kept: list[str] = []
    changes: list[str] = []
    dropped_secure = False
    for attribute in attributes:
        key, _, setting = attribute.strip().partition("=")
        lowered = key.strip().lower()
        if lowered == "domain":
            changes.append(f"Domain={setting.strip()} removed")
            continue
        if lowered == "secure" and not keeps_secure:
            changes.append("Secure removed")
            dropped_secure = True
            continue
        if lowered == "path" and base_path and setting.strip().startswith(base_path):
            local = setting.strip()[len(base_path) :] or "/"
            if not local.startswith("/"):
                kept.append(attribute)
                continue
            changes.append(f"Path={setting.strip()} became {local}")
            kept.append(f" Path={local}")
            continue
        kept.append(attribute)
    if dropped_secure:
        for index, attribute in enumerate(kept):
            key, _, setting = attribute.strip().partition("=")
            if key.strip().lower() == "samesite" and setting.strip().lower() == "none":
                kept[index] = " SameSite=Lax"
                changes.append("SameSite=None became Lax (None needs Secure)")
    return Rewritten(value=";".join([first, *kept]), changes=tuple(changes))
