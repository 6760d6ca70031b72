"""``Set-Cookie`` from the upstream, rewritten so the browser stores it for this local origin.

The upstream sets cookies for its own site (``Domain=api.example.com; Secure; SameSite=None``);
on ``http://localhost:8001`` a browser would reject that Domain, and a Secure cookie on plain
http is refused by Safari and on any non-localhost address. Each rewrite is named, so the log
can say why the cookie the page sees differs from production.
"""

from __future__ import annotations

from dataclasses import dataclass

from devserve.setcookie import Attribute, SetCookieLine


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
    cookie = SetCookieLine.parse(value)
    keeps_secure = secure_origin or cookie.name.startswith(("__Secure-", "__Host-"))
    # Secure may come after SameSite: whether it goes is known before the loop.
    drops_secure = cookie.has("secure") and not keeps_secure
    kept: list[Attribute] = []
    changes: list[str] = []
    for attribute in cookie.attributes:
        if attribute.name == "domain":
            changes.append(f"Domain={attribute.value} removed")
            continue
        if attribute.name == "secure" and drops_secure:
            changes.append("Secure removed")
            continue
        if attribute.name == "path" and base_path and attribute.value.startswith(base_path):
            local = attribute.value[len(base_path) :] or "/"
            if local.startswith("/"):
                changes.append(f"Path={attribute.value} became {local}")
                attribute = Attribute(attribute.key, local)
        if drops_secure and attribute.name == "samesite" and attribute.value.lower() == "none":
            changes.append("SameSite=None became Lax (None needs Secure)")
            attribute = Attribute(attribute.key, "Lax")
        kept.append(attribute)
    if not changes:
        return Rewritten(value=value, changes=())
    return Rewritten(value=cookie.with_attributes(kept), changes=tuple(changes))
