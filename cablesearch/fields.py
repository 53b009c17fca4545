"""The one table of searchable fields.

Each row names a field, its aliases, what kind of values it holds, help text, and how to read
its values off a Cable. The index schema, the query compiler, completion and `:help` all read
this table; nothing else lists fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Iterable, Iterator

from .model import Cable


class Kind(Enum):
    """What a field holds; decides its Whoosh type and how the compiler treats its values."""
    ID = "id"                # one exact, unique value (the reference id)
    KEYWORD = "keyword"      # exact values, case-insensitive (tags, stations, captions)
    TEXT = "text"            # analysed free text (subject, body)
    DATE = "date"            # a date; also indexed as year / year-month / day keys
    LEVEL = "level"          # classification, ordered: class:>=SECRET
    PARAGRAPH = "paragraph"  # query-only: para:(...) scopes words to one paragraph
    MARKING = "marking"      # query-only, inside para:(...): the paragraph's marking
    CITED_BY = "cited_by"    # query-only: the cables an id's REF line names (resolved against the index)


CLASSIFICATION_LEVELS = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET")


def classification_level(classification: str) -> int:
    """0 for UNCLASSIFIED ... 3 for TOP SECRET; caveats (//NOFORN) do not change the level."""
    base = classification.split("//")[0].strip().upper()
    return CLASSIFICATION_LEVELS.index(base) if base in CLASSIFICATION_LEVELS else 0


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str, ...]
    kind: Kind
    help: str
    example: str
    values: Callable[[Cable], Iterable[str]] | None = None  # None: not read from the cable directly
    stored: bool = False       # kept as a Whoosh stored field (the full cable lives in the record column)
    completable: bool = False  # offer the index's values for this field in the REPL
    # Values as shown in facet counts and completion (original case, one per distinct thing):
    # e.g. origin counts the station only, not also its name. None: no facet for this field.
    facet: Callable[[Cable], Iterable[str]] | None = None
    searched_by_default: bool = False  # bare words (no field:) search this field
    boost: float = 1.0                 # ranking weight of matches in this field


def _classification_values(classification: str) -> list[str]:
    """The whole value ("SECRET//NOFORN") and its base ("SECRET"), so class:SECRET finds both."""
    if not classification:
        return []
    base = classification.split("//")[0].strip()
    return [classification] if base == classification else [classification, base]


def _stations(recipients) -> list[str]:
    out = []
    for r in recipients:
        out.extend(v for v in (r.station, r.name) if v)
    return out


def _station_or_name(recipients) -> list[str]:
    return [r.station or r.name for r in recipients if r.station or r.name]


FIELDS: tuple[Field, ...] = (
    Field("id", (), Kind.ID, "the cable's reference id", "id:07BAKU595",
          lambda c: [c.reference_id], stored=True, completable=True),
    Field("date", (), Kind.DATE, "when the cable was sent: 2007, 2007-05, 2007-05-16, ranges a..b, >=, <",
          "date:2007-01..2007-06", None, stored=True),
    Field("origin", ("from",), Kind.KEYWORD, "sending station or its name", 'from:BAKU  from:"Embassy Baku"',
          lambda c: [v for v in (c.origin, c.origin_name) if v], completable=True,
          facet=lambda c: [c.origin or c.origin_name] if (c.origin or c.origin_name) else []),
    Field("to", (), Kind.KEYWORD, "action addressees", "to:STATE",
          lambda c: _stations(c.to), completable=True, facet=lambda c: _station_or_name(c.to)),
    Field("info", (), Kind.KEYWORD, "info addressees", "info:ANKARA",
          lambda c: _stations(c.info), completable=True, facet=lambda c: _station_or_name(c.info)),
    Field("tags", ("tag",), Kind.KEYWORD, "TAGS line entries", "tag:PHUM",
          lambda c: c.tags, completable=True, facet=lambda c: c.tags),
    Field("classification", ("class",), Kind.LEVEL, "classification; ordered (class:>=SECRET); caveats after // (class:SECRET//NOFORN); quote \"TOP SECRET\"",
          "class:>=SECRET", lambda c: _classification_values(c.classification), completable=True,
          facet=lambda c: [c.classification] if c.classification else []),
    Field("captions", ("caption",), Kind.KEYWORD, "handling captions: SIPDIS, NOFORN, EXDIS, NODIS ...",
          "caption:NOFORN", lambda c: c.captions, completable=True, facet=lambda c: c.captions),
    Field("subject", (), Kind.TEXT, "the SUBJECT line (ranks higher)", "subject:Belarus",
          lambda c: [c.subject], searched_by_default=True, boost=2.0),
    Field("body", (), Kind.TEXT, "paragraph text", "body:Lukashenko",
          lambda c: paragraph_texts(c), searched_by_default=True),
    Field("refs", ("ref", "cites"), Kind.KEYWORD, "cables that cite this reference id", "ref:07STATE61831",
          lambda c: [r.id for r in c.references if r.id], completable=True,
          facet=lambda c: sorted({r.id for r in c.references if r.id})),
    Field("cited-by", (), Kind.CITED_BY, "cables this reference id cites (its REF line)",
          "cited-by:07BAKU595"),
    Field("signer", (), Kind.KEYWORD, "who signed the cable", "signer:DERSE",
          lambda c: [c.signer] if c.signer else [], completable=True,
          facet=lambda c: [c.signer] if c.signer else []),
    Field("classified_by", ("by",), Kind.TEXT, "the official who classified it", "by:Derse",
          lambda c: [" ".join(v for v in (c.classified_by_title, c.classified_by) if v)]),
    Field("para", (), Kind.PARAGRAPH, "words in one paragraph: para:(Belarus Lukashenko)",
          "para:(marking:S Lukashenko)"),
    Field("marking", (), Kind.MARKING, "inside para:(...): the paragraph's marking (C, S, S/NF, SBU ...)",
          "para:(marking:S Aliyev)"),
)

def paragraph_texts(cable: Cable) -> list[str]:
    """The body as paragraphs, in order; an unnumbered body is one paragraph. Paragraph i of this
    list is paragraph i of the index (see PARAGRAPH_GAP) and of a stored record's snippets."""
    if cable.paragraphs:
        return [p.text for p in cable.paragraphs]
    return [cable.body] if cable.body else []


_BY_NAME = {name: f for f in FIELDS for name in (f.name, *f.aliases)}


def field_named(name: str) -> Field | None:
    """The field called `name` or one of its aliases (case-insensitive), else None."""
    return _BY_NAME.get(name.lower())


def keyword_value(value: str) -> str:
    """A keyword value as indexed and as queried: commas (which separate values) become spaces,
    runs of spaces one. Case is folded by the Whoosh field."""
    return " ".join(value.replace(",", " ").split())


def default_search_fields() -> tuple[str, ...]:
    """The fields a bare word (no field:) searches."""
    return tuple(f.name for f in FIELDS if f.searched_by_default)


def all_field_names() -> list[str]:
    """Every name and alias a query may use, for completion and 'did you mean'."""
    return sorted(_BY_NAME)


# --- The Whoosh schema, derived from the table above -------------------------------------------
#
# One Whoosh document per cable, holding every table field under its own name, plus the date keys
# (year, month, day) and class_level. Paragraphs are not documents: the body is indexed paragraph
# by paragraph, paragraph i's words at positions i * PARAGRAPH_GAP and up, and the `marking` field
# holds each paragraph's marking at its first position. para:(...) then asks that its parts match
# at positions of one paragraph (query/paragraph.py); a phrase never runs across two paragraphs.

import re  # noqa: E402
from array import array  # noqa: E402
from operator import sub  # noqa: E402
from itertools import accumulate  # noqa: E402
from pickle import dumps, loads  # noqa: E402

from . import _deferred  # noqa: E402,F401 - first: Whoosh imported without modules it never uses here
from whoosh import columns, fields as wf, formats  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.lang.porter import stem  # noqa: E402
from whoosh.system import _INT_SIZE as _UINT_SIZE, pack_uint  # noqa: E402

WORD_PATTERN = r"[\w\*]+(?:\.?[\w\*]+)*"  # Whoosh's default tokenizer pattern, without a capture group
TEXT_ANALYZER = StemmingAnalyzer(expression=WORD_PATTERN, stoplist=None, cachesize=-1)  # -1: unbounded cache
PARAGRAPH_SHIFT = 20
PARAGRAPH_GAP = 1 << PARAGRAPH_SHIFT  # positions per paragraph: paragraph i holds i*GAP .. (i+1)*GAP - 1
ANY_PARAGRAPH = "\u00b6"             # the marking term every paragraph carries (para:(-marking:U) needs it)


def paragraph_of(position: int) -> int:
    """The paragraph (0-based, in the cable's order) of a body or marking position."""
    return position >> PARAGRAPH_SHIFT


class ArrayPositions(formats.Format):
    """Whoosh keeps each posting's weight (frequency x boost) and no value: the positions go to the
    postings arrays alone (engine/postings.py), where phrases and para:(...) read them.

    Whoosh's own copy (a pickle per posting) was a third of the index and a fifth of its build.
    While a segment is written, a posting's value is its positions as native uint32s, which
    PostingsFile.add_term reads; Whoosh's writer drops values of this format (posting_size 0).
    """
    posting_size = 0

    def __init__(self, field_boost: float = 1.0, **options):
        self.field_boost = field_boost
        self.options = options


def keeps_positions(field_type: wf.FieldType) -> bool:
    """Whether a field's postings have positions (in the arrays, or in Whoosh's postings as indexes
    written before the arrays held them)."""
    fmt = field_type.format
    return fmt is not None and (isinstance(fmt, ArrayPositions) or fmt.supports("positions"))


def encode_positions(fmt: formats.Format, positions: list[int]) -> bytes:
    """A posting's value as the pool carries it: Whoosh's Positions encoding, or ArrayPositions'."""
    if isinstance(fmt, ArrayPositions):
        return array("I", positions).tobytes()
    return pack_uint(len(positions)) + dumps([positions[0], *map(sub, positions[1:], positions)], 2)


class CableText(wf.TEXT):
    """A TEXT field indexed without Whoosh's per-token objects (about 3x faster to index).

    The terms and positions are those of TEXT_ANALYZER, which queries keep using; a value may be
    a list of paragraphs, each starting at the next multiple of PARAGRAPH_GAP. With
    whoosh_positions, Whoosh's postings keep the positions too (tests check the arrays against
    Whoosh's matchers on such an index).
    """

    def __init__(self, whoosh_positions: bool = False, **kwargs):
        super().__init__(analyzer=TEXT_ANALYZER, **kwargs)
        if not whoosh_positions:
            self.format = ArrayPositions(field_boost=self.format.field_boost)

    def index(self, value, **kwargs):
        paragraphs = [value] if isinstance(value, str) else value
        positions: dict[str, list[int]] = {}
        for number, text in enumerate(paragraphs):
            base = number << PARAGRAPH_SHIFT
            last = base + PARAGRAPH_GAP - 1
            for position, term in enumerate(analyse_words(text), start=base):
                if position > last:  # the words past the gap all take the paragraph's last position
                    position = last
                at = positions.get(term)
                if at is None:
                    positions[term] = [position]
                else:
                    at.append(position)
        return _postings(positions, self.format)


class ParagraphMarkings(wf.FieldType):
    """Each paragraph's markings ("s/nf" and its base "s") and ANY_PARAGRAPH, at the paragraph's first
    position. The value is a list with one entry per paragraph: its markings, or () for none."""

    def __init__(self, whoosh_positions: bool = False):
        self.format = formats.Positions() if whoosh_positions else ArrayPositions()
        self.analyzer = None
        self.scorable = self.stored = self.unique = False
        self.column_type = None

    def index(self, value, **kwargs):
        positions: dict[str, list[int]] = {}
        for number, markings in enumerate(value):
            for term in (ANY_PARAGRAPH, *markings):
                positions.setdefault(term.lower(), []).append(number << PARAGRAPH_SHIFT)
        return _postings(positions, self.format)

    def to_bytes(self, value):
        return value if isinstance(value, bytes) else value.encode("utf-8")

    def from_bytes(self, value: bytes) -> str:
        return value.decode("utf-8")


_stems: dict[str, str] = {}
_find_words = re.compile(WORD_PATTERN).findall
_find_word_spans = re.compile(WORD_PATTERN).finditer


def analyse_words(text: str) -> list[str]:
    """The terms TEXT_ANALYZER makes of `text`, in order: words, lower-cased, Porter-stemmed."""
    out = []
    if text.isascii():  # lower-casing the text keeps its words (some other letters lower to two characters)
        words = _find_words(text.lower())
    else:
        words = [word.lower() for word in _find_words(text)]
    for word in words:
        term = _stems.get(word)
        if term is None:
            term = _stems[word] = stem(word)
        out.append(term)
    return out


def term_of(word: str) -> str:
    """The term TEXT_ANALYZER makes of a lower-cased word (Porter stem, cached)."""
    term = _stems.get(word)
    if term is None:
        term = _stems[word] = stem(word)
    return term


def word_matches(text: str, start: int = 0) -> Iterator[re.Match]:
    """The words of `text` as TEXT_ANALYZER finds them (regular expression matches, for spans),
    from `start` on (a position no word runs across)."""
    return _find_word_spans(text, start)


def analysed_tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, term) of each word of `text` as TEXT_ANALYZER reads it (for highlighting)."""
    for match in _find_word_spans(text):
        word = match.group().lower()
        term = _stems.get(word)
        if term is None:
            term = _stems[word] = stem(word)
        yield match.start(), match.end(), term


def decode_positions(value: bytes) -> list[int]:
    """The positions in a Positions-format posting value (Whoosh's decode_positions, without its loop)."""
    return list(accumulate(loads(value[_UINT_SIZE:] if value.endswith(b".") else value[_UINT_SIZE:] + b".")))


def _postings(positions: dict[str, list[int]], fmt: formats.Format) -> list[tuple[bytes, int, float, bytes]]:
    """(term, frequency, weight, encoded positions) per term, as the field's format takes them."""
    out = []
    boost = fmt.field_boost
    one_position = _ONE_POSITION.setdefault(type(fmt), {})
    for term, at in positions.items():
        n = len(at)
        if n == 1:
            value = one_position.get(at[0])
            if value is None:
                value = one_position[at[0]] = encode_positions(fmt, at)
        else:
            value = encode_positions(fmt, at)
        out.append((term.encode("utf-8"), n, n * boost, value))
    return out


_ONE_POSITION: dict[type, dict[int, bytes]] = {}  # per format, a term's value at one position, by position




def _year(c: Cable) -> list[str]:
    return [str(c.year)] if c.year else []


def _month(c: Cable) -> list[str]:
    return [f"{c.created:%Y-%m}"] if c.created else []


# Facets: every table row with a `facet`, plus the date keys. Values keep their original case.
FACETS: dict[str, Callable[[Cable], Iterable[str]]] = {
    **{f.name: f.facet for f in FIELDS if f.facet is not None},
    "year": _year,
    "month": _month,
}


def facet_name(name: str) -> str | None:
    """The facet called `name` (a field name or alias, or year/month), else None."""
    if name.lower() in FACETS:
        return name.lower()
    f = field_named(name)
    return f.name if f is not None and f.name in FACETS else None


def facet_column(name: str) -> str:
    """The Whoosh column holding a facet's values (one byte string per cable document)."""
    return f"facet_{name}"


def _whoosh_type(f: Field, whoosh_positions: bool = False) -> wf.FieldType | None:
    if f.kind is Kind.ID:
        return wf.ID(stored=True, unique=True)
    if f.kind in (Kind.KEYWORD, Kind.LEVEL):
        return wf.KEYWORD(stored=f.stored, lowercase=True, commas=True)
    if f.kind is Kind.TEXT:
        return CableText(whoosh_positions, stored=f.stored, field_boost=f.boost)
    if f.kind is Kind.DATE:
        return wf.DATETIME(stored=True, sortable=True)
    return None  # query-only kinds have no field of their own


def build_schema(whoosh_positions: bool = False) -> wf.Schema:
    """The index schema: one Whoosh field per table row, plus date keys, paragraph markings and columns.

    The whole cable (to_dict + raw, compressed JSON) is kept in the `record` and `record_rest`
    columns (see records.py), so stored fields stay small and `get(id)` returns exactly what was
    indexed. Positions are kept in the
    postings arrays only, unless `whoosh_positions` (see CableText).
    """
    schema = wf.Schema(
        year=wf.ID, month=wf.ID, day=wf.ID,  # "2007", "2007-05", "2007-05-16"
        class_level=wf.ID(stored=True),    # "0" (UNCLASSIFIED) .. "3" (TOP SECRET)
        content_hash=wf.STORED,            # to skip unchanged cables when re-indexing
        archive_id=wf.ID,                  # the archive's malformed id where the text repaired it (id: finds both)
        marking=ParagraphMarkings(whoosh_positions),
        record=wf.COLUMN(columns.CompressedBytesColumn(level=6)),  # 8% smaller than its default 3, as fast to read
        record_rest=wf.COLUMN(columns.VarBytesColumn()),  # compressed by records.py, with the record as dictionary
        # The date as negated seconds since the epoch: sorting on it ascending is newest first
        # with undated cables last (the DATETIME column puts them last only in ascending order).
        newest_first=wf.COLUMN(columns.NumericColumn("q", default=2**63 - 1)),
    )
    for f in FIELDS:
        field_type = _whoosh_type(f, whoosh_positions)
        if field_type is not None:
            schema.add(f.name, field_type)
    for name in FACETS:
        schema.add(facet_column(name), wf.COLUMN(columns.VarBytesColumn()))
    return schema
