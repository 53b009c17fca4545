"""The cable index: `CableIndex` opens, writes and searches one index folder, and finds the default one.

One cable is one Whoosh document; its body is indexed paragraph by paragraph (see fields.py), so
para:(...) is a positional query, not a join. The full cable (to_dict + raw, compressed JSON)
lives in the `record` and `record_rest` columns (records.py); `get(id)` returns it unchanged. Writing (batches, the writer lock,
merging) is writing.py; searching (the shared searcher, result pages, facets) is searching.py,
over the array engine of cablesearch/engine.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from . import _deferred  # noqa: F401 - first: Whoosh imported without modules it never uses here
from whoosh import index as whoosh_index

from ._whoosh import INDEX_NAME, open_whoosh, retry, storage
from .errors import (CablesearchError, IndexExistsError, IndexFormatError, IndexingInterrupted,  # noqa: F401
                     IndexLockedError, IndexNotFoundError, IndexPathError, IndexWriteError, InvalidSearchError)
from .fields import build_schema
from .model import Cable
from .results import (DEFAULT_FACETS, SORTS, Citation, Hit, IndexProgress, IndexStats, IndexSummary,  # noqa: F401
                      Results)
from .searching import CableSearcher
from .writing import (DEFAULT_BATCH_SIZE, DEFAULT_LOCK_TIMEOUT, LOCK_FILE, REJECTED_LOG, CableWriter,  # noqa: F401
                      _WriterLock, default_procs, estimate_inputs)
# SORTS and DEFAULT_FACETS are defined in results.py, which imports no Whoosh, so the CLI can read
# them at start-up; `from cablesearch.index import SORTS` works as well.

if TYPE_CHECKING:  # story.py's results, created only when a story is followed
    from .story_results import CitationGraph, Similar, Thread


class CableIndex:
    """An on-disk cable index: add, delete, get and search cables. Safe to search from many threads."""

    def __init__(self, path: Path, ix: whoosh_index.Index):
        self.path = Path(path)
        self._ix = ix
        self.schema = ix.schema
        self._writer = CableWriter(self.path, ix)
        self._reader = CableSearcher(self.path, ix)
        self._lock = self._reader._lock

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, *, overwrite: bool = False) -> "CableIndex":
        """A new, empty index in folder `path` (created if needed)."""
        path = Path(path)
        if not overwrite and exists(path):
            raise IndexExistsError(f"{path} already holds a cable index")
        try:
            path.mkdir(parents=True, exist_ok=True)
            return cls(path, storage(path).create_index(build_schema(), indexname=INDEX_NAME))
        except FileExistsError as error:  # mkdir(exist_ok=True) says this only when `path` is no folder
            raise IndexPathError(path, "create", OSError(error.errno, "it exists and is not a folder")) from None
        except OSError as error:
            raise IndexPathError(path, "create", error) from None

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> "CableIndex":
        """The index in folder `path`; with create=True an empty one is made when there is none."""
        path = Path(path)
        if not exists(path):
            if create:
                return cls.create(path)
            raise IndexNotFoundError(path)
        try:
            ix = retry(lambda: open_whoosh(path))
        except OSError as error:
            raise IndexPathError(path, "open", error) from None
        except Exception as error:  # noqa: BLE001 - Whoosh reports a truncated file as any error at all
            raise IndexFormatError(f"the index at {path} is damaged ({type(error).__name__}: {error}); "
                                   f"move it aside and build it again: cablesearch index PATH --index {path}") from None
        expected = set(build_schema().names())
        if set(ix.schema.names()) != expected:
            raise IndexFormatError(f"the index at {path} was built by another version of cablesearch; "
                                   f"rebuild it: cablesearch index PATH --index {path}")
        return cls(path, ix)

    def __enter__(self) -> "CableIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._reader.close()

    def __repr__(self) -> str:
        return f"CableIndex({str(self.path)!r})"

    # -- writing ------------------------------------------------------------------------------
    def add(self, items: Iterable[Any], *, progress: Callable[[IndexProgress], None] | None = None,
            batch_size: int = DEFAULT_BATCH_SIZE, procs: int | None = None,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT, total: int | None = None) -> IndexSummary:
        """Index cables, committing every `batch_size`; skip unchanged ones, replace changed ones.

        `items` may mix Cable and ReadError (source, reason); errors are counted, returned and
        appended to rejected.log beside the index. Ctrl-C raises IndexingInterrupted after
        dropping the uncommitted batch. `procs` > 1 analyses documents in sub-processes.
        """
        return self._writer.add(items, progress=progress, batch_size=batch_size, procs=procs,
                                lock_timeout=lock_timeout, total=total)

    def add_paths(self, paths: Sequence[str | Path], **options) -> IndexSummary:
        """Read cables from files/folders/CSV/HTML/.gz/"-" (see readers) and add them (options as add)."""
        from .readers import read_cables
        options.setdefault("total", estimate_inputs(paths))
        return self.add(read_cables(paths), **options)

    def delete(self, ids: Iterable[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
        """Remove cables by reference id; returns how many were removed."""
        return self._writer.delete(ids, lock_timeout=lock_timeout)

    # -- reading ------------------------------------------------------------------------------
    def search(self, query: Any, *, limit: int = 10, offset: int = 0, sort: str = "relevance",
               facets: Sequence[str] = DEFAULT_FACETS) -> Results:
        """One page of cables matching `query` (query text, AST node or whoosh Query), with facets.

        Hits `offset`+1 .. `offset`+`limit` of the sorted matches; limit=0 gives only the total and facets.
        """
        return self._reader.search(query, limit=limit, offset=offset, sort=sort, facets=facets,
                                   cited_ids=self._cited_ids)

    def get(self, reference_id: str) -> Cable | None:
        """The cable with this reference id, exactly as indexed, or None."""
        return self._reader.get(reference_id)

    def __contains__(self, reference_id: str) -> bool:
        return reference_id in self._reader

    def cites(self, reference_id: str) -> list[Citation] | None:
        """The items of the cable's REF line, each saying whether the cited cable is indexed."""
        return self._reader.cites(reference_id)

    def cited_by(self, reference_id: str, *, limit: int = 1000) -> list[Hit]:
        """Cables whose REF line names this reference id, oldest first."""
        return self._reader.cited_by(reference_id, limit=limit)

    def values(self, field: str, prefix: str = "", limit: int = 50) -> list[tuple[str, int]]:
        """Indexed values of a keyword/id field starting with `prefix` (any case), most cables first."""
        return self._reader.values(field, prefix, limit)

    def stats(self) -> IndexStats:
        """How many cables, their date span, counts per classification and the size on disk."""
        return self._reader.stats()

    def searcher(self):
        """The shared Whoosh searcher (hold self._lock while using it)."""
        return self._reader.searcher()

    def _segments(self, searcher):
        return self._reader._segments(searcher)

    # -- following a story (cablesearch/story.py) -----------------------------------------------
    def similar(self, reference_id: str, query: Any = None, *, limit: int = 10) -> Similar | None:
        """Cables most like this one by characteristic words and shared tags, optionally only
        those matching `query`; None when the cable is not in the index."""
        from . import story
        return story.similar(self, reference_id, query, limit=limit)

    def graph(self, reference_id: str, *, depth: int = 1, direction: str = "both", query: Any = None,
              max_nodes: int = 2000) -> CitationGraph:
        """The citation graph around a cable, `depth` hops along `direction` (cites, cited-by, both)."""
        from . import story
        return story.graph(self, reference_id, depth=depth, direction=direction, query=query,
                           max_nodes=max_nodes)

    def thread(self, reference_id: str, *, depth: int = 3, max_cables: int = 200) -> Thread:
        """The cables citing one another around this one, oldest first, with their citing paragraphs."""
        from . import story
        return story.thread(self, reference_id, depth=depth, max_cables=max_cables)

    def _cited_ids(self, reference_id: str) -> list[str]:
        from . import story
        return story.cited_ids(self, reference_id)


def exists(path: str | Path) -> bool:
    """Whether folder `path` holds a cable index: a Whoosh table of contents. (Not Whoosh's
    exists_in, which opens the whole index and fails with any error on a damaged one.)"""
    folder = Path(path)
    return folder.is_dir() and any(folder.glob(f"_{INDEX_NAME}_*.toc"))


# --- default location --------------------------------------------------------------------------

def resolve_index_path(explicit: str | Path | None = None) -> Path:
    """--index DIR, else $CABLESEARCH_INDEX, else ./index where it exists, else the XDG data dir."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("CABLESEARCH_INDEX"):
        return Path(os.environ["CABLESEARCH_INDEX"]).expanduser()
    local = Path("index")
    if local.is_dir():
        return local
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "cablesearch" / "index"


def print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def open_index(explicit: str | Path | None = None, *, build_default: bool = True,
               status: Callable[[str], None] = print_to_stderr) -> CableIndex:
    """Open the index the user means; build the default one from the bundled examples if missing.

    An index named with --index or $CABLESEARCH_INDEX must exist (IndexNotFoundError says how
    to build it); only the default location is built on demand.
    """
    path = resolve_index_path(explicit)
    if exists(path):
        return CableIndex.open(path)
    if explicit or os.environ.get("CABLESEARCH_INDEX") or not build_default:
        raise IndexNotFoundError(path)
    built = _build_default_index(path)
    if built is not None:
        status(f"cablesearch: no index yet; built {path} from {built.added} bundled example cables. "
               f"Index a real archive with: cablesearch index PATH --index {path}")
    return CableIndex.open(path)


def _build_default_index(path: Path) -> IndexSummary | None:
    """Build the example index in folder `path` unless another process just did (then None).

    Processes starting together on a fresh data folder build it once: the builder holds the
    folder's writer lock, and the others wait for it, then find the index. The index is made in a
    scratch folder inside `path` and its files moved in table of contents last, so a process that
    opens without waiting for the lock never sees a half-built index.
    """
    try:
        if not (path / LOCK_FILE).exists():  # no builder about: refuse a used folder without touching it
            _refuse_a_used_folder(path)
        path.mkdir(parents=True, exist_ok=True)
        with _WriterLock(path, DEFAULT_BUILD_WAIT):
            if exists(path):
                return None
            for stale in path.glob(f"{_SCRATCH_PREFIX}*"):  # left by a killed builder; we hold the lock
                shutil.rmtree(stale, ignore_errors=True)
            _refuse_a_used_folder(path)
            scratch = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=path))
            try:
                with CableIndex.create(scratch) as index:
                    summary = index.add_paths([examples_folder()], procs=1)
                _move_index_files(scratch, path)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    except FileExistsError as error:
        raise IndexPathError(path, "create", OSError(error.errno, "it exists and is not a folder")) from None
    except OSError as error:
        raise IndexPathError(path, "create", error) from None
    return summary


def _refuse_a_used_folder(path: Path) -> None:
    """IndexNotFoundError when folder `path` holds files other than dotfiles (.gitkeep) and our lock."""
    others = sorted(e.name for e in path.iterdir() if not e.name.startswith(".") and e.name != LOCK_FILE) \
        if path.is_dir() else []
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise IndexNotFoundError(path, f"it holds other files: {shown}; the example index is built only "
                                       f"in an empty folder")


_SCRATCH_PREFIX = ".building-"
DEFAULT_BUILD_WAIT = 120.0  # seconds a process waits for another to finish building the example index


def _move_index_files(source: Path, target: Path) -> None:
    """Move a finished index's files into `target`; the table of contents last makes it appear at once."""
    files = [f for f in source.iterdir() if f.is_file() and f.name != LOCK_FILE]
    for f in sorted(files, key=lambda f: f.suffix == ".toc"):  # sorted() is stable: .toc files go last
        os.replace(f, target / f.name)


def examples_folder() -> Path:
    """The folder of example cables shipped in the package."""
    from importlib.resources import files
    return Path(str(files("cablesearch.examples")))
