"""Typed records of the knowledge base. Plain data: no I/O, no Rasa."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Quantity:
    amount: float
    unit: str

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount}{self.unit}"


@dataclass(frozen=True)
class Source:
    doc: str
    section: str
    excerpts: tuple[str, ...]

    @property
    def excerpt(self) -> str:
        return "……".join(self.excerpts)


@dataclass(frozen=True)
class Reduction:
    """A condition that takes steps off a group's count ('符合投资至规划红线的减少1个')."""

    groups: tuple[str, ...]  # the categories whose step count it reduces
    when: tuple[str, ...]  # words that name the condition in a question
    count: int
    text: str  # the document's words


@dataclass(frozen=True)
class Value:
    amount: float | None = None
    unit: str | None = None
    count: int | None = None
    names: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    text: str | None = None
    reductions: tuple[Reduction, ...] = ()  # they add up ('……减少1个，……再减少1个')

    @property
    def quantity(self) -> Quantity | None:
        if self.amount is None or self.unit is None:
            return None
        return Quantity(self.amount, self.unit)


@dataclass(frozen=True)
class Fact:
    id: str
    region: str
    topic: str
    category: str
    statement: str
    source: Source
    aspect: str | None = None
    step: str | None = None
    area: str | None = None
    districts: tuple[str, ...] | str | None = None
    value: Value = field(default_factory=Value)
    max_capacity: Quantity | None = None
    max_length: Quantity | None = None
    effective_by: date | None = None
    line: int = 0


@dataclass(frozen=True)
class Silence:
    """An explicit statement that a region's document does not cover something."""

    region: str
    topic: str
    note: str
    category: str | None = None
    aspect: str | None = None


@dataclass(frozen=True)
class Document:
    number: str
    title: str
    issuer: str
    date: date
    seed: str


@dataclass(frozen=True)
class District:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    full_name: str
    province: str
    # hashed by its names alone: regions key dicts on every reply, and hashing every fact each time costs
    # more than the rest of a reply (equality still compares everything)
    document: Document = field(repr=False, hash=False)
    aliases: tuple[str, ...]
    districts: tuple[District, ...] = field(repr=False, hash=False)
    facts: tuple[Fact, ...] = field(repr=False, hash=False)
    silences: tuple[Silence, ...] = field(repr=False, hash=False)
    path: str = field(default="", repr=False)

    def all_names(self) -> tuple[str, ...]:
        return (self.name, self.full_name, *self.aliases)


@dataclass(frozen=True)
class Clause:
    """A passage of a seed document, for questions the structured facts do not cover."""

    region: str
    doc: str
    section: str
    text: str
    score: float = 0.0
