"""The TLS side of a running devserve: one CA for the process, one SNI context per https origin,
and what the banner and the pages should say about trust."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from devserve.config import Config, Origin
from devserve.state import OriginState
from devserve.tls.ca import LocalCA, local_ca
from devserve.tls.leaves import SniCertificates

log = logging.getLogger("devserve")


@dataclass
class SiteTLS:
    """Made once per runner; the CA is read (or made) the first time an https origin starts."""

    ca: LocalCA | None = None
    _trusted: bool | None = field(default=None, repr=False)
    _checked: bool = field(default=False, repr=False)

    def context(
        self, origin: Origin, config: Config, answers: Callable[[str], bool]
    ) -> ssl.SSLContext | None:
        """The listening socket's TLS context for ``origin``; None for a plain http origin.
        ``answers`` says which host names the origin answers (its Host allow-list)."""
        if not origin.https:
            return None
        need = [o.host for o in config.origins.values() if o.https and o.host]
        if self.ca is None or not all(self.ca.constraints.covers(name) for name in need):
            self.ca = local_ca(config.devserve.allowed_hosts, need=need)
            if self.ca.created:
                log.warning(
                    "made devserve's local certificate authority (%s), constrained to %s; "
                    "browsers do not trust it yet: run `devserve trust`",
                    self.ca.cert_path,
                    self.ca.constraints.describe(),
                )
                self._trusted, self._checked = False, True
        return SniCertificates(self.ca, origin.host, allowed=answers).context

    @property
    def trusted(self) -> bool | None:
        """Whether a browser store on this machine holds the CA (``devserve.tls.trust``); None
        where devserve cannot tell. Asked once per process."""
        if self.ca is None:
            return True
        if not self._checked:
            from devserve.tls.trust import installed_anywhere

            self._checked = True
            self._trusted = installed_anywhere(self.ca) if self._trusted is None else False
        return self._trusted

    def page_notices(self, states: Sequence[OriginState]) -> list[dict[str, str]]:
        """What every page shows while browsers do not trust the CA: which origins fail, and
        what to run (none when the CA is trusted, or when devserve cannot tell)."""
        if self.ca is None or self.trusted is not False:
            return []
        urls = [state.url for state in states if state.url.startswith("https:")]
        return [
            {
                "title": "devserve: https origins need devserve's CA trusted",
                "method": "https",
                "url": ", ".join(urls),
                "reason": "this browser does not trust devserve's local certificate authority "
                "yet, so pages and requests on these origins fail with a certificate error: "
                "run `devserve trust`, then restart the browser",
            }
        ]

    def notes(self) -> list[str]:
        """Banner lines: where the CA is, and what to run when browsers do not trust it."""
        if self.ca is None:
            return []
        if self.trusted is None:
            return [
                f"https: certificates from devserve's local CA ({self.ca.cert_path}); if a "
                "browser refuses them, run `devserve trust`"
            ]
        if self.trusted:
            return [f"https: certificates from devserve's local CA ({self.ca.cert_path})"]
        return [
            f"https: devserve's local CA ({self.ca.cert_path}) is not trusted by your browsers "
            "yet, so they refuse these https origins: run `devserve trust`, then restart the "
            "browser"
        ]
