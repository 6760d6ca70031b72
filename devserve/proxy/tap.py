"""Copies of a forwarded exchange, kept only while small: the response's decoded body, to write
down, and the request's body, to find the secrets the response may echo."""

from __future__ import annotations

import anyio.lowlevel

from devserve.proxy.decode import Decoder, TooLarge, UnknownEncoding
from devserve.proxy.matching import RequestKey
from devserve.proxy.record import Exchange
from devserve.proxy.redact import Redactor


class BodyTap:
    """Collects the decoded body of a response as it streams by, up to ``limit`` bytes.

    Past the limit (as sent, or once decoded), or with an encoding it cannot undo, it stops
    and says why (``problem``): the browser still gets every byte, only the copy is given up.
    Decoding goes a piece at a time, letting the event loop run between pieces.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.problem: str | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._decoder: Decoder | None = None

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status, self.headers = status, headers
        encoding = ", ".join(value for name, value in headers if name == "content-encoding")
        try:
            self._decoder = Decoder(encoding, self.limit)
        except UnknownEncoding as exc:
            self._give_up(f"Content-Encoding {exc} cannot be decoded")

    async def feed(self, chunk: bytes) -> None:
        decoder = self._decoder
        if self.problem is not None or decoder is None:
            return
        megabytes = self.limit // (1024 * 1024)
        try:
            for index, piece in enumerate(decoder.feed(chunk)):
                if index:
                    await anyio.lowlevel.checkpoint()
                self._size += len(piece)
                if self._size > self.limit:
                    raise TooLarge
                self._parts.append(piece)
        except TooLarge:
            decoded = "decodes to" if decoder.decodes else "is"
            self._give_up(f"the body {decoded} over {megabytes} MiB")
        except Exception as exc:  # zlib.error, brotli.error, ZstdError: a corrupt body
            self._give_up(f"the body does not decode ({type(exc).__name__})")

    def _give_up(self, problem: str) -> None:
        self.problem = problem
        self._parts.clear()

    def exchange(self, key: RequestKey, redactor: Redactor) -> Exchange | None:
        """The response as it can be written down, or None (see ``problem``)."""
        if self.problem is not None or self._decoder is None:
            return None
        media_type = next((v for n, v in self.headers if n == "content-type"), "")
        return Exchange(
            key=key,
            status=self.status,
            headers=self.headers,
            body=b"".join(self._parts),
            media_type=media_type,
            redactor=redactor,
        )


class RequestCopy:
    """The request body as it went up, up to ``limit`` bytes (``over`` past it)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.over = False
        self._parts: list[bytes] = []
        self._size = 0

    @staticmethod
    def wanted(content_type: str) -> bool:
        """Whether a body of this type may name its secrets (a JSON or form field)."""
        kinds = ("json", "form-urlencoded", "text/")
        return not content_type or any(kind in content_type.lower() for kind in kinds)

    def feed(self, chunk: bytes) -> None:
        if self.over:
            return
        self._size += len(chunk)
        if self._size > self.limit:
            self.over = True
            self._parts.clear()
            return
        self._parts.append(chunk)

    @property
    def body(self) -> bytes:
        return b"".join(self._parts)
