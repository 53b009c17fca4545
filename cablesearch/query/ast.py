"""The query AST: small frozen dataclasses, one per syntax form, each knowing where it was typed.

Positions (`column`, `end_column`, 1-based, end exclusive) are left out of equality, so a query
and its canonical form `str(node)` parse to equal trees. `str(node)` is the canonical text:
canonical field names, implicit AND as a space, parentheses only where needed (and around an
AND inside an OR, for the reader).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator

from ..fields import CLASSIFICATION_LEVELS


@dataclass(frozen=True)
class Node:
    """Base of every AST node."""
    column: int = field(default=0, compare=False, repr=False, kw_only=True)
    end_column: int = field(default=0, compare=False, repr=False, kw_only=True)


# --- leaves -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word(Node):
    """A bare word: `Belarus`, `07BAKU595`, `PHUM` (after a field)."""
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Phrase(Node):
    """A quoted phrase, optionally with proximity: `"Aliyev Lukashenko"~10` (slop=10)."""
    text: str
    slop: int | None = None

    def __str__(self) -> str:
        quoted = '"' + self.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return quoted if self.slop is None else f"{quoted}~{self.slop}"


@dataclass(frozen=True)
class Wildcard(Node):
    """A word with `*` (any run of characters) or `?` (one character): `bel*`."""
    pattern: str

    def __str__(self) -> str:
        return self.pattern


@dataclass(frozen=True)
class Fuzzy(Node):
    """A word matched within an edit distance: `Lukashenka~1`."""
    text: str
    distance: int = 1

    def __str__(self) -> str:
        return f"{self.text}~{self.distance}"


@dataclass(frozen=True)
class Date(Node):
    """A year, month or day: `2007`, `2007-05`, `2007-05-16` (validated when parsed)."""
    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text


@dataclass(frozen=True)
class Level(Node):
    """A classification level, 0 (UNCLASSIFIED) .. 3 (TOP SECRET), as in fields.CLASSIFICATION_LEVELS."""
    level: int

    @property
    def name(self) -> str:
        return CLASSIFICATION_LEVELS[self.level]

    def __str__(self) -> str:
        return self.name.replace(" ", "_")  # TOP_SECRET stays one word


@dataclass(frozen=True)
class Range(Node):
    """`a..b` after date: or class:; either end may be open (None)."""
    start: Date | Level | None
    end: Date | Level | None

    def __str__(self) -> str:
        return f"{'' if self.start is None else self.start}..{'' if self.end is None else self.end}"


@dataclass(frozen=True)
class Compare(Node):
    """`>=2008-03`, `<SECRET`: an open range written with a comparison sign."""
    op: str  # one of < <= > >=
    value: Node

    def __str__(self) -> str:
        return f"{self.op}{self.value}"


# --- structure --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field(Node):
    """`name:value`; `name` is the field's canonical name from fields.FIELDS (aliases resolved)."""
    name: str
    value: Node

    def __str__(self) -> str:
        return f"{self.name}:{_atom(self.value)}"


@dataclass(frozen=True)
class And(Node):
    """Every item must match (`a b`, `a AND b`)."""
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " ".join(_wrap(item, (And, Or)) for item in self.items)


@dataclass(frozen=True)
class Or(Node):
    """Any item may match (`a OR b`)."""
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrap(item, (And, Or)) for item in self.items)


@dataclass(frozen=True)
class Not(Node):
    """The item must not match (`NOT a`, `-a`)."""
    item: Node

    def __str__(self) -> str:
        return "NOT " + _wrap(self.item, (And, Or))


@dataclass(frozen=True)
class Boost(Node):
    """Weigh the item's score by `factor` (`subject:Belarus^2`)."""
    item: Node
    factor: float

    def __str__(self) -> str:
        return f"{_wrap(self.item, (And, Or, Not, Boost))}^{format_number(self.factor)}"


_ATOMS = (Word, Phrase, Wildcard, Fuzzy, Date, Level, Range, Compare)


def _wrap(node: Node, needs_parens: tuple[type, ...]) -> str:
    return f"({node})" if isinstance(node, needs_parens) else str(node)


def _atom(node: Node) -> str:
    """A field's value: leaves as they are, anything else in parentheses."""
    return str(node) if isinstance(node, _ATOMS) else f"({node})"


def format_number(value: float) -> str:
    """2.0 -> '2', 0.5 -> '0.5', 1e-05 -> '0.00001': plain digits the grammar reads back."""
    text = format(Decimal(repr(float(value))), "f")
    return re.sub(r"\.0*$", "", text) if "." in text else text


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of `node`."""
    if isinstance(node, (And, Or)):
        return node.items
    if isinstance(node, (Not, Boost)):
        return (node.item,)
    if isinstance(node, (Field, Compare)):
        return (node.value,)
    if isinstance(node, Range):
        return tuple(n for n in (node.start, node.end) if n is not None)
    return ()


def dump(node: Node, indent: str = "") -> str:
    """An indented outline of the tree with columns, for `cablesearch explain`."""
    where = f"  [col {node.column}]" if node.column else ""
    if isinstance(node, (And, Or, Not)):
        head = type(node).__name__
    elif isinstance(node, Boost):
        head = f"Boost ^{format_number(node.factor)}"
    elif isinstance(node, Field):
        head = f"Field {node.name}"
    elif isinstance(node, Compare):
        head = f"Compare {node.op}"
    elif isinstance(node, Range):
        head = f"Range {node}"
    else:
        head = f"{type(node).__name__} {node}"
    lines = [indent + head + where]
    if not isinstance(node, Range):
        lines += [dump(child, indent + "  ") for child in children(node)]
    return "\n".join(lines)
