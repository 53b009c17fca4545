"""Each segment's postings as arrays, in a file beside the segment (`<segment id>.postings`).

Whoosh keeps positions as one pickle per posting, which costs Python per posting to read. When
Whoosh flushes a segment, each term's postings go to its field writer and to `PostingsFile.add_term`,
which writes the same postings once more as flat arrays: per term its docnums, frequencies
and (for positional fields) its positions, concatenated in docnum order. Searches map the file and
slice it per term (numpy.frombuffer over mmap): a one-shot process touches only the pages it reads.

The file is written under a temporary name and renamed before Whoosh writes the TOC that names the
segment, so a killed writer leaves at most an orphan, which Whoosh's own clean-up deletes (its
segment file pattern matches the name).
"""
from __future__ import annotations

import json
import mmap
import os
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from pathlib import Path
from pickle import loads

import numpy as np

MAGIC = b"CSPOST02"
SUFFIX = ".postings"
ALIGNMENT = 4096         # where the file starts inside a segment's compound file (a page: arrays map aligned)
_UINT_SIZE = 4           # Whoosh's Positions format: a uint count, then the pickled deltas
_FLUSH_EVERY = 1 << 20   # array items held in memory before they are appended to the spill files


def postings_path(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}{SUFFIX}"


def open_segment_postings(storage, segment) -> "SegmentPostings | None":
    """The postings arrays of a Whoosh segment (kept inside its compound file), or None where the
    segment has none (written by an older version) or the storage is not a folder of files."""
    folder = getattr(storage, "folder", None)
    name = f"{segment.segment_id()}{SUFFIX}"
    if folder is None:
        return None
    try:
        if segment.is_compound():
            offset, _ = segment.open_compound_file(storage).range(name)
            return SegmentPostings(Path(folder) / segment.make_filename(segment.COMPOUND_EXT), offset)
        return SegmentPostings(Path(folder) / name)
    except (NameError, FileNotFoundError, ValueError):  # none, or another version's
        return None


class PostingsFile:
    """Writes one segment's postings as arrays while they pass to Whoosh's field writer."""

    _SPILLED = {"docs": "I", "ends": "I", "positions": "I"}

    def __init__(self, folder: str | Path, segment_id: str, positional: dict[str, bool], boosts: dict[str, float]):
        """`positional`: the fields whose postings carry positions, each True where the values are
        native uint32 positions (fields.ArrayPositions), False where Whoosh's pickled Positions."""
        self.path = postings_path(folder, segment_id)
        self._positional = positional
        self._boosts = boosts
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self._spill = {name: open(f"{self._tmp}.{name}", "wb") for name in self._SPILLED}
        self._held = {name: array(code) for name, code in self._SPILLED.items()}
        self._keys = bytearray()
        self._key_starts, self._post_starts, self._pos_starts = array("q", [0]), array("q", [0]), array("q", [0])
        self._n_posts = self._n_pos = 0

    def add_term(self, field: str, text: bytes, docs: list[int], weights: list[float], values: list[bytes]) -> None:
        """Record one term's postings (docnums ascending, with Whoosh's weights and values)."""
        held = self._held
        held["docs"].extend(docs)
        positions = held["positions"]
        before = len(positions)
        if self._positional.get(field, False):  # native uint32 positions
            positions.frombytes(b"".join(values))
            counts = [len(value) // _UINT_SIZE for value in values]
        elif field in self._positional:
            counts = []
            for value in values:
                found = loads(value[_UINT_SIZE:] if value.endswith(b".") else value[_UINT_SIZE:] + b".") if value else ()
                positions.extend(accumulate(found))
                counts.append(len(found))
        else:
            boost = self._boosts.get(field, 1.0)
            counts = [round(weight / boost) for weight in weights]
        held["ends"].extend(accumulate(counts))
        self._n_posts += len(docs)
        self._n_pos += len(positions) - before
        self._end_term(field, text, self._n_posts, self._n_pos)
        if len(positions) > _FLUSH_EVERY or len(held["docs"]) > _FLUSH_EVERY:
            self._flush()

    def _end_term(self, field: str, text: bytes, n_posts: int, n_pos: int) -> None:
        self._keys += field.encode("utf-8") + b"\0" + text
        self._key_starts.append(len(self._keys))
        self._post_starts.append(n_posts)
        self._pos_starts.append(n_pos)

    def _flush(self) -> None:
        for name, values in self._held.items():
            values.tofile(self._spill[name])
            del values[:]

    def finish(self, doc_count: int, facets: dict[str, list[bytes]]) -> None:
        """Write the file (under a temporary name, then renamed) and remove the spill files.
        `facets` gives each facet column's raw value per document (values joined by SEPARATOR)."""
        self._flush()
        for f in self._spill.values():
            f.close()
        arrays = {"keys": (np.frombuffer(bytes(self._keys), np.uint8), None),
                  "key_starts": (np.frombuffer(self._key_starts, np.int64), None),
                  "post_starts": (np.frombuffer(self._post_starts, np.int64), None),
                  "pos_starts": (np.frombuffer(self._pos_starts, np.int64), None)}
        for name, code in self._SPILLED.items():
            arrays[name] = (None, f"{self._tmp}.{name}")
        for name, raw_values in facets.items():
            values, starts, codes = facet_codes(raw_values)
            arrays[f"facet:{name}:values"] = (np.frombuffer(values, np.uint8), None)
            arrays[f"facet:{name}:starts"] = (starts, None)
            arrays[f"facet:{name}:codes"] = (codes, None)
        header, offset = {"doc_count": doc_count, "arrays": {}}, 0
        for name, (values, spill) in arrays.items():
            dtype = values.dtype.str if values is not None else "<u4"
            size = values.nbytes if values is not None else os.path.getsize(spill)
            header["arrays"][name] = [dtype, offset, size // np.dtype(dtype).itemsize]
            offset += _aligned(size)
        head = json.dumps(header).encode("utf-8")
        start = _aligned(len(MAGIC) + 8 + len(head))
        with open(self._tmp, "wb") as out:
            out.write(MAGIC + len(head).to_bytes(8, "little") + head)
            out.write(b"\0" * (start - out.tell()))
            for name, (values, spill) in arrays.items():
                if values is not None:
                    out.write(values.tobytes())
                else:
                    with open(spill, "rb") as f:
                        while chunk := f.read(1 << 24):
                            out.write(chunk)
                    os.unlink(spill)
                out.write(b"\0" * (_aligned(out.tell() - start) - (out.tell() - start)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(self._tmp, self.path)

    def cancel(self) -> None:
        for f in self._spill.values():
            f.close()
        for name in self._SPILLED:
            _unlink(f"{self._tmp}.{name}")
        _unlink(self._tmp)


SEPARATOR = b"\x1f"  # between the values of one document in a facet column


def facet_codes(raw_values: list[bytes]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A facet column as its distinct values (joined by newlines), and per document the codes of
    its values: document d's are codes[starts[d]:starts[d + 1]]."""
    codes_of: dict[bytes, int] = {}
    by_raw: dict[bytes, list[int]] = {}
    counts = np.zeros(len(raw_values) + 1, np.int64)
    codes: list[int] = []
    for docnum, raw in enumerate(raw_values):
        if not raw:
            continue
        found = by_raw.get(raw)
        if found is None:
            found = by_raw[raw] = [codes_of.setdefault(v, len(codes_of)) for v in raw.split(SEPARATOR)]
        codes.extend(found)
        counts[docnum + 1] = len(found)
    return b"\n".join(codes_of), np.cumsum(counts).astype("<u4"), np.array(codes, "<u4")


def _aligned(n: int) -> int:
    return (n + 7) & ~7


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@dataclass(frozen=True)
class TermPostings:
    """One term's postings in one segment: docnums ascending, `ends` (the running total of the
    term's frequency: a posting's weight is its frequency times the field's boost) and, for
    positional fields, `positions` (each posting's positions in turn, ends[i-1]:ends[i]).
    Derived arrays are computed once (a segment keeps its terms' postings between searches)."""
    docs: np.ndarray
    ends: np.ndarray
    positions: np.ndarray

    @cached_property
    def docnums(self) -> np.ndarray:
        """`docs` as intp, to index masks with (uint32 indexes are converted on every use)."""
        return self.docs.astype(np.intp)

    @cached_property
    def frequencies(self) -> np.ndarray:
        return np.diff(self.ends, prepend=np.uint32(0))

    @cached_property
    def starts(self) -> np.ndarray:
        """Where each posting's positions start in `positions`."""
        out = np.empty_like(self.ends)
        if len(out):
            out[0] = 0
            out[1:] = self.ends[:-1]
        return out


EMPTY_TERM = TermPostings(*(np.zeros(0, "<u4") for _ in range(3)))


class SegmentPostings:
    """The postings file of one segment, memory-mapped; terms are looked up by binary search."""

    def __init__(self, path: str | Path, offset: int = 0):
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[offset:offset + len(MAGIC)] != MAGIC:
            raise ValueError(f"{path} holds no cablesearch postings at {offset}")
        at = offset + len(MAGIC)
        size = int.from_bytes(self._map[at:at + 8], "little")
        header = json.loads(self._map[at + 8:at + 8 + size])
        start = offset + _aligned(len(MAGIC) + 8 + size)
        self.doc_count: int = header["doc_count"]
        a = {name: np.frombuffer(self._map, dtype, count, start + offset)
             for name, (dtype, offset, count) in header["arrays"].items()}
        self._key_base = start + header["arrays"]["keys"][1]
        self._key_bytes, self._key_starts = a["keys"], a["key_starts"]
        self._post_starts, self._pos_starts = a["post_starts"], a["pos_starts"]
        self._docs, self._ends, self._positions = a["docs"], a["ends"], a["positions"]
        self.term_count = len(self._key_starts) - 1
        self._cache: dict[bytes, TermPostings] = {}
        self._arrays = a

    def facet(self, name: str) -> tuple[list[str], np.ndarray, np.ndarray] | None:
        """A facet column: its distinct values, and per document the codes of its values (see
        _facet_codes); None where the file has no such column."""
        values = self._arrays.get(f"facet:{name}:values")
        if values is None:
            return None
        text = values.tobytes().decode("utf-8")
        return (text.split("\n") if text else []), self._arrays[f"facet:{name}:starts"], self._arrays[f"facet:{name}:codes"]

    def _key(self, i: int) -> bytes:
        return self._map[self._key_base + int(self._key_starts[i]):self._key_base + int(self._key_starts[i + 1])]

    def term(self, fieldname: str, btext: bytes) -> TermPostings:
        """The postings of a term (empty when the segment does not have it)."""
        key = fieldname.encode("utf-8") + b"\0" + btext
        found = self._cache.get(key)
        if found is None:
            i = bisect_left(_Keys(self), key)
            if i < self.term_count and self._key(i) == key:
                p0, p1 = int(self._post_starts[i]), int(self._post_starts[i + 1])
                q0, q1 = int(self._pos_starts[i]), int(self._pos_starts[i + 1])
                found = TermPostings(self._docs[p0:p1], self._ends[p0:p1], self._positions[q0:q1])
            else:
                found = EMPTY_TERM
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = found
        return found

    def field_docs(self, fieldname: str) -> np.ndarray:
        """The docnums of every posting of every term of a field (with repeats, unordered)."""
        head = fieldname.encode("utf-8")
        lo, hi = bisect_left(_Keys(self), head + b"\0"), bisect_left(_Keys(self), head + b"\1")
        return self._docs[int(self._post_starts[lo]):int(self._post_starts[hi])]

    def terms_near(self, fieldname: str, term: str, maxdist: int, prefix: int) -> list[bytes]:
        """The terms of a field within `maxdist` Levenshtein edits of `term` that share its first
        `prefix` characters (Whoosh's FuzzyTerm), computed for all candidate terms at once."""
        head = (fieldname + "\0" + term[:prefix]).encode("utf-8")
        lo, hi = bisect_left(_Keys(self), head), bisect_left(_Keys(self), head + b"\xff")
        skip = len(fieldname.encode("utf-8")) + 1
        if lo >= hi:
            return []
        starts = self._key_starts[lo:hi] + skip
        lengths = self._key_starts[lo + 1:hi + 1] - starts
        # Distances are counted in bytes for ASCII words; words with other characters are few
        # and are compared as text.
        first, last = int(self._key_starts[lo]), int(self._key_starts[hi])
        high = np.maximum.reduceat(self._key_bytes[first:last], self._key_starts[lo:hi] - first) >= 0x80
        wanted = term.encode("utf-8")
        found = []
        ascii_rows = np.flatnonzero(~high & (np.abs(lengths - len(wanted)) <= maxdist)) if wanted.isascii() else \
            np.zeros(0, np.int64)
        if len(ascii_rows):
            starts_a, lengths_a = starts[ascii_rows], lengths[ascii_rows]
            width = int(lengths_a.max())
            index = np.minimum(starts_a[:, None] + np.arange(width), len(self._key_bytes) - 1)
            words = np.where(np.arange(width) < lengths_a[:, None], self._key_bytes[index], 0)
            found.extend(ascii_rows[_levenshtein(words, lengths_a, np.frombuffer(wanted, np.uint8)) <= maxdist].tolist())
        others = np.flatnonzero(high) if wanted.isascii() else np.flatnonzero(lengths >= 0)
        for row in others.tolist():
            word = self._key(lo + row)[skip:].decode("utf-8", "replace")
            if _text_distance(word, term, maxdist) <= maxdist:
                found.append(row)
        return [self._key(lo + row)[skip:] for row in sorted(found)]

    def close(self) -> None:
        self._cache.clear()
        self._arrays = {}
        self._key_bytes = self._key_starts = self._post_starts = self._pos_starts = None
        self._docs = self._ends = self._positions = None
        try:
            self._map.close()
        except BufferError:  # arrays still handed out keep the map open until they are collected
            pass


def _text_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of two strings (stopping early once it exceeds `limit`)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _levenshtein(words: np.ndarray, lengths: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Edit distance from each row of `words` (bytes, padded; real lengths given) to `target`."""
    n, m = len(words), len(target)
    previous = np.broadcast_to(np.arange(m + 1), (n, m + 1)).copy()
    distance = np.where(lengths == 0, m, 0)
    for j in range(words.shape[1]):
        current = np.empty_like(previous)
        current[:, 0] = j + 1
        differs = words[:, j:j + 1] != target[None, :]
        for i in range(1, m + 1):
            current[:, i] = np.minimum(np.minimum(previous[:, i] + 1, current[:, i - 1] + 1),
                                       previous[:, i - 1] + differs[:, i - 1])
        done = lengths == j + 1
        distance[done] = current[done, m]
        previous = current
    return distance


class _Keys:
    """A sequence view of the sorted term keys, for bisect."""

    def __init__(self, postings: SegmentPostings):
        self._p = postings

    def __len__(self) -> int:
        return self._p.term_count

    def __getitem__(self, i: int) -> bytes:
        return self._p._key(i)
