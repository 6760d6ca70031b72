"""Installing devserve's CA where browsers look for trusted roots, and taking it out again.

Linux: the NSS databases of the current user, through ``certutil`` (Debian: libnss3-tools) —
``~/.pki/nssdb``, which Chromium and Chrome read (made if missing; the snap's too), and each
Firefox profile's ``cert9.db`` (Firefox does not read the system store). As root, also the
system store (``update-ca-certificates`` or ``update-ca-trust``), for curl, Python and the
rest. macOS and Windows: the commands to run are printed (``manual_steps``), not run.
Every devserve CA is filed under a nickname starting with ``devserve local CA``: installing
replaces an older one, uninstalling removes them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from devserve.errors import DevserveError
from devserve.tls.ca import CA_NAME, LocalCA

SYSTEM_FILE = "devserve-local-ca.crt"
CERTUTIL_HINT = (
    "certutil is not installed: apt-get install libnss3-tools (Debian, Ubuntu), "
    "dnf install nss-tools (Fedora), pacman -S nss (Arch)"
)
_FIREFOX_HOMES = (
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    ".var/app/org.mozilla.firefox/.mozilla/firefox",
)


@dataclass(frozen=True)
class Store:
    """One place browsers read trusted roots from."""

    label: str  # "Chromium (~/.pki/nssdb)", "Firefox profile abc.default-esr"
    path: Path  # an NSS database folder, or the system store's anchor folder
    kind: str = "nss"  # or "system"
    update: tuple[str, ...] = ()  # the system store's refresh command


def nss_stores(home: Path | None = None) -> list[Store]:
    """The user's NSS databases: Chromium's (always, made on install), the snap Chromium's and
    every Firefox profile that has a ``cert9.db`` (a profile never started has none yet)."""
    home = home or Path.home()
    stores = [Store("Chromium, Chrome (~/.pki/nssdb)", home / ".pki" / "nssdb")]
    snap = home / "snap" / "chromium" / "current" / ".pki" / "nssdb"
    if snap.is_dir():
        stores.append(Store("Chromium snap", snap))
    for base in _FIREFOX_HOMES:
        folder = home / base
        if folder.is_dir():
            for profile in sorted(folder.iterdir()):
                if (profile / "cert9.db").is_file():
                    stores.append(Store(f"Firefox profile {profile.name}", profile))
    return stores


def system_store() -> Store | None:
    """The system's anchor folder when running as root on Linux; None otherwise."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return None
    for folder, command in (
        ("/usr/local/share/ca-certificates", ("update-ca-certificates",)),
        ("/etc/pki/ca-trust/source/anchors", ("update-ca-trust", "extract")),
    ):
        if Path(folder).is_dir() and shutil.which(command[0]):
            return Store(f"system store ({folder})", Path(folder), "system", command)
    return None


def stores(*, system: bool = True) -> list[Store]:
    found = nss_stores()
    chosen = system_store() if system else None
    return found + ([chosen] if chosen else [])


def _certutil(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("certutil")
    if tool is None:
        raise DevserveError(CERTUTIL_HINT)
    return subprocess.run(
        [tool, "-d", f"sql:{store.path}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _nicknames(store: Store) -> list[str]:
    """devserve's CAs in an NSS database, by nickname."""
    if not (store.path / "cert9.db").is_file():
        return []
    listed = _certutil(store, "-L")
    names = []
    for line in listed.stdout.splitlines():
        if line.startswith(CA_NAME):
            names.append(line.rsplit(None, 1)[0].strip())  # the trust flags end the line
    return names


def is_installed(ca: LocalCA, store: Store) -> bool:
    if store.kind == "system":
        path = store.path / SYSTEM_FILE
        return path.is_file() and path.read_bytes() == ca.pem()
    return ca.nickname in _nicknames(store)


def install(ca: LocalCA, store: Store) -> None:
    """Put ``ca`` in ``store`` as a root for web sites, replacing any older devserve CA."""
    uninstall(store)
    if store.kind == "system":
        (store.path / SYSTEM_FILE).write_bytes(ca.pem())
        _run(store.update, store)
        return
    if not (store.path / "cert9.db").is_file():
        store.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        _checked(_certutil(store, "-N", "--empty-password"), store)
    added = _certutil(store, "-A", "-t", "C,,", "-n", ca.nickname, "-i", str(ca.cert_path))
    _checked(added, store)


def uninstall(store: Store) -> bool:
    """Remove every devserve CA from ``store``; whether there was one."""
    if store.kind == "system":
        path = store.path / SYSTEM_FILE
        if not path.is_file():
            return False
        path.unlink()
        _run(store.update, store)  # both commands drop what is gone from the anchor folder
        return True
    names = _nicknames(store)
    for nickname in names:
        _checked(_certutil(store, "-D", "-n", nickname), store)
    return bool(names)


def automated() -> bool:
    """Whether devserve installs the CA itself here (Linux), or prints the steps."""
    return sys.platform.startswith("linux")


def installed_anywhere(ca: LocalCA) -> bool | None:
    """Whether any store this machine has holds ``ca``; None where devserve cannot tell (no
    certutil, or not Linux)."""
    if not automated() or shutil.which("certutil") is None:
        return None
    try:
        return any(is_installed(ca, store) for store in stores())
    except (OSError, subprocess.SubprocessError):
        return None


def _checked(done: subprocess.CompletedProcess[str], store: Store) -> None:
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no reason given"]
        raise DevserveError(f"certutil failed on {store.label} ({store.path}): {why[0]}")


def _run(command: tuple[str, ...], store: Store) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except OSError as exc:
        raise DevserveError(f"{command[0]} failed for the {store.label}: {exc}") from None
    if done.returncode != 0:
        raise DevserveError(f"{command[0]} failed for the {store.label}: {done.stderr.strip()}")


def manual_steps(ca: LocalCA) -> list[str]:
    """What to run where devserve does not install the CA itself (macOS, Windows)."""
    path = ca.cert_path
    if sys.platform == "darwin":
        return [
            "security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db "
            f"'{path}'",
            "Firefox: Settings > Privacy & Security > Certificates > View Certificates > "
            f"Authorities > Import '{path}', trust it for websites",
        ]
    if sys.platform == "win32":
        return [
            f'certutil -user -addstore Root "{path}"',
            "Firefox: Settings > Privacy & Security > Certificates > View Certificates > "
            f"Authorities > Import {path}, trust it for websites",
        ]
    return []
