"""What following a story returns (cablesearch/story.py): similar cables, the citation graph, threads.

Apart from results.py so that a search, which needs none of them, does not create these dataclasses
as it starts (a dataclass takes about half a millisecond to create); `from cablesearch.results
import CitationGraph` still works.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .results import Hit, Snippet


@dataclass(frozen=True)
class SimilarTerm:
    """One of the source cable's characteristic terms: what a similar cable is matched on."""
    term: str                   # the indexed (stemmed) term, e.g. "belaru"
    word: str                   # the source cable's commonest word for it, e.g. "belarus"
    weight: float               # tf x idf in the source cable, the strongest term = 1.0


@dataclass(frozen=True)
class SimilarHit:
    """A cable like the source, and why: the characteristic words and the tags it shares."""
    hit: Hit
    words: tuple[str, ...]      # the source's characteristic words this cable contains, strongest first
    tags: tuple[str, ...]       # tags it shares with the source


@dataclass(frozen=True)
class Similar:
    """Cables like one cable (CableIndex.similar): its characteristic terms and the ranked hits."""
    id: str
    subject: str
    terms: tuple[SimilarTerm, ...]
    tags: tuple[str, ...]       # the source's tags that the search used (rare enough to tell)
    query: str | None           # the restricting query, if any
    total: int                  # how many cables matched
    hits: tuple[SimilarHit, ...]
    elapsed: float

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


@dataclass(frozen=True)
class GraphNode:
    """A cable in a citation graph; `in_index` False for a dangling reference (only its id known)."""
    id: str
    in_index: bool
    depth: int                  # hops from the root
    date: datetime | None = None
    origin: str = ""
    classification: str = ""
    subject: str = ""


@dataclass(frozen=True)
class GraphEdge:
    """`source` cites `target` (names it on its REF line, under `label` when known)."""
    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class CitationGraph:
    """The references around a cable, walked `depth` hops in `direction` (CableIndex.graph)."""
    root: str
    depth: int
    direction: str              # "cites", "cited-by" or "both"
    query: str | None           # only cables matching it were kept and followed (the root always)
    nodes: tuple[GraphNode, ...]  # breadth-first order, the root first
    edges: tuple[GraphEdge, ...]
    truncated: bool = False     # stopped at the node limit

    def node(self, reference_id: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.id == reference_id), None)


@dataclass(frozen=True)
class ThreadLink:
    """An earlier cable of the thread that a thread entry cites, and where its text says so."""
    id: str
    label: str                  # its letter on the REF line ("" when not lettered)
    paragraph: Snippet | None   # the citing paragraph, None where no paragraph names it


@dataclass(frozen=True)
class ThreadEntry:
    """One cable of a thread, with the earlier thread cables it cites."""
    id: str
    date: datetime | None
    origin: str
    origin_name: str
    classification: str
    subject: str
    cites: tuple[ThreadLink, ...] = ()


@dataclass(frozen=True)
class Thread:
    """The cables citing one another around `root`, oldest first (CableIndex.thread)."""
    root: str
    entries: tuple[ThreadEntry, ...]
    missing: tuple[str, ...] = ()   # cables the thread's cables cite that the index does not hold
    truncated: bool = False

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
