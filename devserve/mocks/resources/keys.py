"""Which field holds an item's id and how a foreign key is spelled: json-server's ``--id`` and
``--foreignKeySuffix`` (the ``id_field`` and ``foreign_key_suffix`` keys of an origin)."""

from __future__ import annotations

from dataclasses import dataclass

from devserve.mocks.resources.inflect import singular


@dataclass(frozen=True)
class Keys:
    """``id`` and ``Id`` by default: ``{"id": 1}`` is post 1, ``{"postId": 1}`` points at it."""

    id: str = "id"
    suffix: str = "Id"

    def of(self, collection: str) -> str:
        """The foreign key naming an item of ``collection``: ``postId`` for ``posts``."""
        return singular(collection) + self.suffix

    def parent(self, key: str) -> str | None:
        """The singular name a foreign key points at (``post`` for ``postId``), or None."""
        return key[: -len(self.suffix)] if key.endswith(self.suffix) else None


DEFAULT_KEYS = Keys()
