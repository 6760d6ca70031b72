"""The one ``Set-Cookie`` parser (RFC 6265bis §5.6): a line split into its name, value and
attributes, in order and as spelled, so the proxy can rewrite it and put it back together; and
read as a browser reads it (``SetCookie``: domain, path, flags, dates) for the cookie verdicts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime


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


@dataclass(frozen=True)
class SetCookie:
    """One parsed ``Set-Cookie`` (RFC 6265bis §5.6); the last of a repeated attribute wins."""

    name: str
    value: str
    domain: str | None = None
    path: str | None = None  # only if it starts with "/"
    secure: bool = False
    same_site: str | None = None  # "strict", "lax", "none"; None when absent or unknown
    max_age: int | None = None
    expires: datetime | None = None
    partitioned: bool = False


def parse_set_cookie(line: str) -> SetCookie | None:
    """Parse one Set-Cookie value; None when the browser ignores it (no name and no value)."""
    parsed = SetCookieLine.parse(line)
    if not parsed.name and not parsed.value:
        return None
    same = (parsed.get("samesite") or "").lower()
    age = parsed.get("max-age")
    path = parsed.get("path")
    expires = parsed.get("expires")
    return SetCookie(
        name=parsed.name,
        value=parsed.value,
        domain=(parsed.get("domain") or "").lstrip(".").lower() or None,
        path=path if path and path.startswith("/") else None,
        secure=parsed.has("secure"),
        same_site=same if same in ("strict", "lax", "none") else None,
        max_age=int(age) if age and re.fullmatch(r"-?[0-9]+", age) else None,
        expires=parse_cookie_date(expires) if expires is not None else None,
        partitioned=parsed.has("partitioned"),
    )


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_cookie_date(text: str) -> datetime | None:
    """RFC 6265 §5.1.1, the lenient cookie date: ``Thu, 01-Jan-2000 00:00:00 GMT`` and friends."""
    time: tuple[int, int, int] | None = None
    day = month = year = None
    for token in re.split(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+", text[:200]):
        clock = re.match(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})", token)
        if time is None and clock:
            hour, minute, second = (int(part) for part in clock.groups())
            time = (hour, minute, second)
        elif day is None and re.fullmatch(r"[0-9]{1,2}", token):
            day = int(token)
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and re.fullmatch(r"[0-9]{2,4}", token):
            year = int(token)
            year += 1900 if 70 <= year <= 99 else 2000 if year <= 69 else 0
    if time is None or day is None or month is None or year is None or year < 1601:
        return None
    try:
        return datetime(year, month, day, time[0], time[1], time[2], tzinfo=UTC)
    except ValueError:
        return None
