"""The one ``Set-Cookie`` parser (RFC 6265bis §5.6): a line split into its name, value and
attributes, in order and as spelled, so the cookie verdicts can read it and the proxy can
rewrite it and put it back together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attribute:
    """``key=value`` (``value`` empty for a flag like ``Secure``), as written."""

    key: str
    value: str

    @property
    def name(self) -> str:
        """The attribute's name, lowercased: attribute names are case-insensitive."""
        return self.key.lower()

    def __str__(self) -> str:
        return f"{self.key}={self.value}" if self.value or "=" in self.key else self.key


@dataclass(frozen=True)
class SetCookieLine:
    """One ``Set-Cookie`` value: ``pair`` is its ``name=value`` text exactly as sent."""

    pair: str
    name: str
    value: str
    attributes: tuple[Attribute, ...]

    @classmethod
    def parse(cls, line: str) -> SetCookieLine:
        pair, _, rest = line.partition(";")
        name, equals, value = pair.partition("=")
        # No "=": the whole pair is the value, of a cookie with an empty name.
        name, value = (name.strip(), value.strip()) if equals else ("", name.strip())
        attributes = []
        for item in rest.split(";") if rest else []:
            key, _, setting = item.partition("=")
            if key.strip():
                attributes.append(Attribute(key.strip(), setting.strip()))
        return cls(pair=pair, name=name, value=value, attributes=tuple(attributes))

    def get(self, name: str) -> str | None:
        """The value of the last attribute called ``name`` (the last one wins); None if none."""
        found = None
        for attribute in self.attributes:
            if attribute.name == name:
                found = attribute.value
        return found

    def has(self, name: str) -> bool:
        return any(attribute.name == name for attribute in self.attributes)

    def with_attributes(self, attributes: list[Attribute]) -> str:
        """The line again, with these attributes instead."""
        return "; ".join([self.pair.strip(), *(str(attribute) for attribute in attributes)])
