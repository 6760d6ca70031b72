"""Globals every mock template can use: the time, ids, random numbers and fake people.

A small, dependency-free set: enough for believable mock data, nothing that reads or writes
outside the template.
"""

from __future__ import annotations

import random
import uuid as _uuid
from datetime import UTC, datetime
from typing import Any

_FIRST = (
    "Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara",
    "Ken", "Frances", "Tim", "Radia", "Guido", "Hedy", "John", "Joan",
)  # fmt: skip
_LAST = (
    "Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov",
    "Thompson", "Allen", "Berners-Lee", "Perlman", "van Rossum", "Lamarr", "McCarthy", "Clarke",
)  # fmt: skip
_COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka")
_CITIES = ("Lisbon", "Oslo", "Kyoto", "Lagos", "Quito", "Perth", "Tallinn", "Montreal")
_WORDS = (
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit",
    "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "magna",
)  # fmt: skip


def now() -> str:
    """The current time in UTC, ISO 8601 with milliseconds: ``2026-11-25T10:00:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamp() -> int:
    """Seconds since the epoch, as APIs such as Stripe's return them."""
    return int(datetime.now(UTC).timestamp())


def uuid() -> str:
    """A random UUID (version 4)."""
    return str(_uuid.uuid4())


def randint(low: int, high: int) -> int:
    """A random integer N with ``low <= N <= high``."""
    return random.randint(low, high)


def choice(options: Any) -> Any:
    """One item of a list, at random."""
    return random.choice(list(options))


class Fake:
    """Fake people, companies and text: ``{{ fake.name() }}``, ``{{ fake.email() }}``."""

    def first_name(self) -> str:
        return random.choice(_FIRST)

    def last_name(self) -> str:
        return random.choice(_LAST)

    def name(self) -> str:
        return f"{self.first_name()} {self.last_name()}"

    def email(self) -> str:
        user = f"{self.first_name()}.{self.last_name()}".lower().replace(" ", "")
        return f"{user}{random.randint(1, 99)}@example.test"

    def company(self) -> str:
        return f"{random.choice(_COMPANIES)} {random.choice(('Inc.', 'Ltd', 'GmbH', 'LLC'))}"

    def city(self) -> str:
        return random.choice(_CITIES)

    def sentence(self, words: int = 8) -> str:
        chosen = [random.choice(_WORDS) for _ in range(max(1, min(words, 100)))]
        return " ".join(chosen).capitalize() + "."


GLOBALS: dict[str, Any] = {
    "now": now,
    "timestamp": timestamp,
    "uuid": uuid,
    "randint": randint,
    "choice": choice,
    "fake": Fake(),
}
