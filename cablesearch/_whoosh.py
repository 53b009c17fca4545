"""Whoosh internals, made faster and safe to kill (whoosh-reloaded 2.7.x; pinned in pyproject.toml).

Field lengths: Whoosh reads a document's field length from its column file for every posting it
writes (12% of a build) and for every document it scores (a quarter of a common word's search).
LengthsInMemory reads each field's lengths once per segment, as one block of bytes; numeric_column
and bytes_column do the same for the date columns that results sort on and the facet columns.

Writing postings: Whoosh's pool sorts, pickles and merges a segment's postings one tuple at a time,
and its field writer takes them one call at a time; TermPostingPool keeps them grouped by term and
write_term_postings writes each term's blocks whole (together, 40% of a build).

The multi-process writer is in _whoosh_mp.py, imported only to write with several processes (it
brings in multiprocessing, which searching never needs).
"""
from __future__ import annotations

import heapq
import pickle
import shutil
import struct
import sys
import time
from array import array
from itertools import groupby
from operator import add

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter
import numpy as np
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from .engine.postings import ALIGNMENT, SUFFIX as POSTINGS_SUFFIX, PostingsFile, open_segment_postings
from .fields import ArrayPositions, keeps_positions


class LengthsInMemory:
    """Wraps a Whoosh per-document reader (W3PerDocReader); its field lengths come from memory."""

    def __init__(self, perdoc):
        self._perdoc = perdoc
        self._lengths: dict[str, list | None] = {}

    def __getattr__(self, name: str):
        return getattr(self._perdoc, name)

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0):
        if fieldname not in self._lengths:
            self._lengths[fieldname] = self._load(fieldname)
        lengths = self._lengths[fieldname]
        return default if lengths is None else lengths[docnum]

    def lengths(self, fieldname: str) -> list | None:
        """Every document's length in field `fieldname` (None: no lengths kept for it)."""
        if fieldname not in self._lengths:
            self._lengths[fieldname] = self._load(fieldname)
        return self._lengths[fieldname]

    def _load(self, fieldname: str) -> list | None:
        stored = self.length_bytes(fieldname)
        if stored is None:
            return None
        # As W3PerDocReader.doc_field_length: a zero byte reads as None.
        return [byte_to_length(b) if b else None for b in stored]

    def length_bytes(self, fieldname: str) -> bytes | None:
        """Each document's length in a field as Whoosh stores it: one byte (byte_to_length) a document."""
        column = self._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return None
        count = self._perdoc.doc_count_all()
        stored = column._dbfile.get(column._basepos, min(column._count, count))
        return stored + bytes(count - len(stored))


class TermPostingPool(PostingPool):
    """Whoosh's posting pool, holding postings grouped by term: a spilled run is the terms in
    order, each with its docnums, weights and values, and runs merge term by term. Whoosh's pool
    sorts, pickles and merges every posting as a tuple (a quarter of a build); here the per-posting
    work is appending to three lists, and the sorting is of the terms. Postings come in docnum
    order (documents are added, and segments merged, in docnum order), so a term's postings do too."""

    CHUNK = 1024  # terms per pickle in a run

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms: dict[tuple[str, bytes], tuple[list, list, list]] = {}

    def add(self, item):
        # As PostingPool.add (the same estimate of the posting's size), without its type checks.
        fieldname, btext, docnum, weight, value = item
        self.currentsize += 109 + len(fieldname) + 2 * len(btext) + len(value or b"")
        if self.currentsize > self.limit:
            self.save()
        postings = self.terms.get((fieldname, btext))
        if postings is None:
            self.fieldnames.add(fieldname)
            postings = self.terms[fieldname, btext] = ([], [], [])
        postings[0].append(docnum)
        postings[1].append(weight)
        postings[2].append(value)

    def save(self):
        if self.terms:
            path, f = self._new_run()
            for chunk in _chunks(self._sorted_terms(), self.CHUNK):
                pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
            f.close()
            self.runs.append(path)
            self.terms = {}
        self.currentsize = 0

    def _sorted_terms(self) -> list[tuple[tuple[str, bytes], tuple[list, list, list]]]:
        return sorted(self.terms.items(), key=_first)

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                yield from pickle.load(f)
        except EOFError:
            return
        finally:
            f.close()
            self._remove_run(path)

    def iter_terms(self) -> Iterator[tuple[str, bytes, list, list, list]]:
        """(field, term, docnums, weights, values) per term, in Whoosh's order: by field, term, docnum."""
        if not self.runs:
            for (fieldname, btext), (docs, weights, values) in self._sorted_terms():
                yield fieldname, btext, docs, weights, values
            return
        self.save()
        runs, self.runs = self.runs, []
        for key, parts in groupby(heapq.merge(*map(self._read_run, runs), key=_first), key=_first):
            docs, weights, values = next(parts)[1]
            for _, (more_docs, more_weights, more_values) in parts:  # a later run: later documents
                docs += more_docs
                weights += more_weights
                values += more_values
            yield key[0], key[1], docs, weights, values

    def iter_postings(self):
        for fieldname, btext, docs, weights, values in self.iter_terms():
            for docnum, weight, value in zip(docs, weights, values):
                yield fieldname, btext, docnum, weight, value

    def cleanup(self):
        self.terms = {}
        super().cleanup()


def _first(pair):
    return pair[0]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def write_term_postings(fieldwriter, schema, lengths: "LengthsInMemory | None",
                        terms: Iterable[tuple[str, bytes, list, list, list]], arrays: PostingsFile) -> None:
    """Write each term's postings (in Whoosh's order) to Whoosh's field writer and to the postings
    arrays: what Whoosh's FieldWriter.add_postings writes, block by block instead of a call per
    posting (W3PostingsWriter's blocks, statistics and inlining, filled in whole)."""
    current = None
    for fieldname, btext, docs, weights, values in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
            field_lengths = lengths.lengths(fieldname) if lengths is not None else None
            keeps_values = schema[fieldname].format.fixed_value_size() != 0
        arrays.add_term(fieldname, btext, docs, weights, values)
        fieldwriter.start_term(btext)
        block = fieldwriter._postwriter
        limit = block._blocklimit
        for start in range(0, len(docs), limit):
            if start:
                block._write_block()
            end = start + limit
            block._ids = array("I", docs[start:end])
            block._weights = array("f", weights[start:end])
            block._maxweight = max(0, max(weights[start:end]))
            if keeps_values:  # else the format drops them (ArrayPositions)
                block._values = [value for value in values[start:end] if value]
            if field_lengths is not None:
                known = [length for length in map(field_lengths.__getitem__, docs[start:end]) if length]
                if known:
                    block._minlength, block._maxlength = min(known), max(known)
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()


class _FastFlush:
    """Mixed into a SegmentWriter: its postings are pooled in chunks and written with the lengths
    held in memory. (whoosh-reloaded 2.7.5 ignores the writer's `poolclass` argument.)"""

    def __init__(self, ix, *args, **kwargs):
        super().__init__(ix, *args, **kwargs)
        self.pool = TermPostingPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        arrays = PostingsFile(self.storage.folder, self.newsegment.segment_id(), positional_fields(self.schema),
                              {name: field.format.field_boost for name, field in self.schema.items() if field.format})
        try:
            write_term_postings(self.fieldwriter, self.schema, lengths and LengthsInMemory(lengths),
                                self.pool.iter_terms(), arrays)
            arrays.finish(self.docnum, facet_values(lengths, self.schema, self.docnum) if lengths else {})
        except BaseException:
            arrays.cancel()
            raise
        self.fieldwriter.close()
        if lengths:
            lengths.close()


    def add_postings_to_pool(self, reader, startdoc, docmap):
        # Merging segments: Whoosh's postings of ArrayPositions fields hold no positions, so each
        # posting takes them from the merged segment's arrays.
        native = {name for name, arrays_only in positional_fields(self.schema).items() if arrays_only}
        postings = reader.iter_postings()
        if native:
            arrays = open_segment_postings(self.storage, reader.segment())
            if arrays is None:
                raise ValueError(f"segment {reader.segment().segment_id()} has no postings arrays to merge")
            postings = _with_array_positions(postings, arrays, native)
        add = self.pool.add
        try:
            for item in self._process_posts(postings, startdoc, docmap):
                add(item)
        finally:
            if native:
                arrays.close()

    def _assemble_segment(self):
        # As SegmentWriter's, but the postings arrays start on a page of the compound file, so
        # that they map aligned (NumPy reads unaligned arrays several times slower).
        if self.compound:
            segment = self.get_segment()
            names = segment.list_files(self.storage)
            compound = segment.create_file(self.storage, segment.COMPOUND_EXT)
            directory = {}
            compound.write_long(0)  # where the directory is, filled in by write_dir
            compound.write_int(0)
            for name in names:
                if name.endswith(POSTINGS_SUFFIX):
                    compound.write(b"\0" * (-compound.tell() % ALIGNMENT))
                directory[name] = {"offset": compound.tell(), "length": self.storage.file_length(name),
                                   "modified": self.storage.file_modified(name)}
                f = self.storage.open_file(name)
                try:
                    shutil.copyfileobj(f, compound)
                finally:
                    f.close()
            CompoundStorage.write_dir(compound, 0, directory)
            for name in names:
                self.storage.delete_file(name)
            segment.compound = True


def _with_array_positions(postings, arrays, native: set[str]):
    """A segment's postings (field, term, docnum, weight, value) with the value of each posting of
    the `native` fields set to its positions in the segment's arrays (as ArrayPositions encodes them)."""
    term = key = None
    for fieldname, btext, docnum, weight, value in postings:
        if fieldname in native:
            if (fieldname, btext) != key:
                key, term = (fieldname, btext), arrays.term(fieldname, btext)
            at = int(np.searchsorted(term.docs, docnum))
            start = int(term.ends[at - 1]) if at else 0
            value = term.positions[start:int(term.ends[at])].astype(np.uint32).tobytes()
        yield fieldname, btext, docnum, weight, value


class FastSegmentWriter(_FastFlush, SegmentWriter):
    """Whoosh's SegmentWriter with the postings written faster (see the module docstring)."""


def _read_offsets_and_lengths(self) -> None:
    """VarBytesColumn.Reader's offsets without its Python loop over every document: the column of
    cable records is opened for each search's top hits, and the loop took 6 ms per 25,000 cables."""
    dbfile, doccount = self._dbfile, self._doccount
    lastbyte = self._basepos + self._length - 1
    lens_code = chr(dbfile.get_byte(lastbyte))
    offsets = None
    if lens_code == "X":
        self.had_stored_offsets = True
        lens_code = chr(dbfile.get_byte(lastbyte - 2))
        offsets_code = chr(dbfile.get_byte(lastbyte - 1))
        offsetstart = (lastbyte - 2) - doccount * struct.calcsize(offsets_code)
        offsets = dbfile.get_array(offsetstart, offsets_code, doccount)
        lastbyte = offsetstart
    lengths = dbfile.get_array(lastbyte - struct.calcsize(lens_code) * doccount, lens_code, doccount)
    if offsets is None:
        sizes = np.asarray(lengths, np.int64)
        offsets = (np.cumsum(sizes) - sizes).tolist()
    self._offsets, self._lengths = offsets, lengths


VarBytesColumn.Reader._read_offsets_and_lengths = _read_offsets_and_lengths


def facet_values(perdoc, schema, count: int) -> dict[str, list[bytes]]:
    """Each facet column of a segment being written (columns named facet_*), as raw bytes per document."""
    out = {}
    for name in schema.names():
        if name.startswith("facet_"):
            column = perdoc.column_reader(name, schema[name].column_type) if perdoc.has_column(name) else None
            out[name[len("facet_"):]] = _column_bytes(column, count)
    return out


def _column_bytes(column, count: int) -> list[bytes]:
    if column is None:
        return [b""] * count
    if isinstance(column, VarBytesColumn.Reader):
        offsets, lengths = column._offsets, column._lengths
        end = max(map(add, offsets, lengths), default=0)
        data = column._dbfile.get(column._basepos, end) if end else b""
        return [data[offset:offset + length] for offset, length in zip(offsets, lengths)]
    return [column[docnum] for docnum in range(count)]


def positional_fields(schema) -> dict[str, bool]:
    """The fields whose postings keep positions (phrases, para:), each True where only the arrays
    keep them (see PostingsFile)."""
    return {name: isinstance(field.format, ArrayPositions) for name, field in schema.items() if keeps_positions(field)}


def numeric_column(reader, name: str) -> list | array:
    """A segment's numeric column (NUMERIC, DATETIME or a NumericColumn) as one array of raw,
    sortable values per document, read as one block of bytes instead of a file read per document."""
    column = reader.column_reader(name, translate=False)
    count = reader.doc_count_all()
    if not isinstance(column, NumericColumn.Reader):  # e.g. no document of the segment has the column
        return [column[docnum] for docnum in range(count)]
    stored = min(column._count, count)
    values = array(column._typecode, column._dbfile.get(column._basepos, stored * column._fixedlen))
    if sys.byteorder == "little":  # Whoosh packs numbers big-endian ("!")
        values.byteswap()
    values.extend([column._default] * (count - stored))
    return values


def bytes_column(reader, name: str) -> list[bytes]:
    """A segment's VarBytesColumn as one list of values, read as one block of bytes (iterating
    Whoosh's reader makes a file read per document)."""
    column = reader.column_reader(name, translate=False)
    if not isinstance(column, VarBytesColumn.Reader):
        return list(column)
    return _column_bytes(column, reader.doc_count_all())


# --- the index on disk ---------------------------------------------------------------------------

INDEX_NAME = "MAIN"


def storage(path: Path) -> FileStorage:
    """The index folder as Whoosh storage, without mmap: with mmap Whoosh copies each segment's
    files into memory when it opens them, which made a one-shot query's open about 10x slower and,
    in a writer replacing cables, took 6.8 GB at 251,287 cables."""
    return FileStorage(str(path), supports_mmap=False)


def open_whoosh(path: Path) -> whoosh_index.Index:
    return storage(path).open_index(INDEX_NAME)


def retry(action: Callable[[], Any], attempts: int = 5) -> Any:
    """Run `action`, retrying when a concurrent commit removed files we were about to open."""
    for attempt in range(attempts):
        try:
            return action()
        except (FileNotFoundError, whoosh_index.EmptyIndexError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
