"""What `devserve trust` does and says, as lines of text (the CLI prints them)."""

from __future__ import annotations

import sys
from pathlib import Path

from devserve.config import find_config, load_config
from devserve.tls import trust as stores
from devserve.tls.ca import LocalCA, existing_ca, local_ca


def config_ca(config: Path | None) -> LocalCA:
    """The CA, made now if needed, covering the config's ``allowed_hosts`` when there is one."""
    path = config or find_config(Path.cwd())
    if path is None:
        return local_ca()
    loaded = load_config(path)
    names = [o.host for o in loaded.origins.values() if o.https and o.host]
    return local_ca(loaded.devserve.allowed_hosts, need=names)


def install(config: Path | None, *, system: bool) -> list[str]:
    ca = config_ca(config)
    lines = [_where(ca), f"  constrained to {ca.constraints.describe()}"]
    if not stores.automated():
        return [*lines, "Install it with:", *(f"  {step}" for step in stores.manual_steps(ca))]
    for store in stores.stores(system=system):
        stores.install(ca, store)
        lines.append(f"installed in {store.label} ({store.path})")
    lines.append("Restart your browsers: they read trusted roots when they start.")
    if not any(store.label.startswith("Firefox") for store in stores.nss_stores()):
        lines.append(
            "No Firefox profile found (a profile gets its certificate store on first start): "
            "start Firefox once, then run `devserve trust` again."
        )
    return lines


def uninstall(*, system: bool) -> list[str]:
    if not stores.automated():
        return ["Remove 'devserve local CA' from your keychain or certificate store by hand."]
    lines = []
    for store in stores.stores(system=system):
        removed = stores.uninstall(store)
        lines.append(f"{'removed from' if removed else 'not in'} {store.label} ({store.path})")
    ca = existing_ca()
    if ca is not None:
        lines.append(f"The CA itself stays in {ca.folder}; delete that folder to forget it.")
    return lines


def status(*, system: bool) -> list[str]:
    ca = existing_ca()
    if ca is None:
        return [
            "devserve's local CA does not exist yet: it is made on the first start of an "
            "https origin, or by `devserve trust`."
        ]
    lines = [
        _where(ca),
        f"  {ca.nickname}, SHA-256 {ca.fingerprint}",
        f"  constrained to {ca.constraints.describe()}",
        f"  valid until {ca.certificate.not_valid_after_utc:%Y-%m-%d}",
    ]
    if not stores.automated():
        return [*lines, f"devserve cannot look into the stores on {sys.platform}."]
    for store in stores.stores(system=system):
        where = "installed in" if stores.is_installed(ca, store) else "NOT installed in"
        lines.append(f"{where} {store.label} ({store.path})")
    return lines


def _where(ca: LocalCA) -> str:
    return f"devserve's local CA: {ca.cert_path}"
