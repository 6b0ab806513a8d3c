"""The index as NumPy arrays: postings, masks, field lengths, columns, live documents, BM25.

Whoosh stores the index (segments, postings with positions, columns); matching and ranking run on
NumPy arrays, because Whoosh's pure-Python matchers score one document at a time (~250 ms for a
word found in most of 100,000 cases). Each segment's postings are read once into arrays and cached by
segment id, so a commit, which adds a small segment, costs the cache almost nothing. A query is then
a few vector operations: boolean masks for matching, filters and facet counts, BM25 sums for ranking,
a partial sort for the top N (see :mod:`heatcases.search.engine`).

An :class:`IndexView` is one searcher's index state; it knows nothing of queries, so whatever scores
documents (the lexical engine, related cases, "did you mean") reads the index through it.
"""

from __future__ import annotations

import io
import math
import pickle
import threading
import zlib
from collections import OrderedDict

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.util.numeric import byte_to_length

FIELD_BOOST = {"title": 2.5, "body": 1.0}
FIELDS = tuple(FIELD_BOOST)
K1, B = 1.2, 0.75  # BM25
COMMON_SHARE = 0.25  # a word in more than this share of cases (and in COMMON_MIN of them) is too common
COMMON_MIN = 200  # to narrow a query or to tell what a case is about
CACHE_BYTES = 256 * 1024 * 1024


class Cache:
    """A least-recently-used cache bounded by the bytes of the arrays it holds; thread-safe."""

    def __init__(self, budget: int = CACHE_BYTES):
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._budget = budget
        self._bytes = 0
        self._generation = -1  # the index's newest commit seen (see follow)
        self._owned: dict[object, set] = {}  # a state or (SEGMENT, segment id) -> the keys computed for it

    @property
    def bytes(self) -> int:
        return self._bytes

    def follow(self, state: tuple, generation: int | None) -> None:
        """The index is at ``state`` (commit ``generation``): on a newer commit, drop what was computed for the
        earlier states (masks, lengths, columns over every document) and for segments merged away, which no new
        search asks for again. Under load a commit comes every second or so; without this they filled the budget
        (and the memory) with the arrays of states gone by. A much older generation means a rebuilt index: its
        numbers start again. Keys are tuples: (state, ...), (SEGMENT, segment id, ...) or anything else (kept)."""
        generation = -1 if generation is None else generation  # an index without versions: the budget alone
        with self._lock:
            if generation == self._generation or generation in range(self._generation - 4, self._generation):
                return
            self._generation = generation
            current = {state} | {(SEGMENT, segment) for segment, _count in state}
            for owner in [owner for owner in self._owned if owner not in current]:
                for key in self._owned.pop(owner):
                    self._bytes -= self._size(self._items.pop(key))

    @staticmethod
    def _owner(key):
        if isinstance(key[0], tuple):
            return key[0]
        return key[:2] if key[0] == SEGMENT else None

    @staticmethod
    def _size(value) -> int:
        if isinstance(value, np.ndarray):
            return value.nbytes + 100
        if isinstance(value, tuple):
            return sum(Cache._size(item) for item in value) + 100
        return 100

    def get(self, key, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        for array in value if isinstance(value, tuple) else (value,):
            if isinstance(array, np.ndarray):
                array.flags.writeable = False  # shared by every query and thread: never changed in place
        size = self._size(value)
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._bytes += size
                if (owner := self._owner(key)) is not None:
                    self._owned.setdefault(owner, set()).add(key)
                while self._bytes > self._budget and len(self._items) > 1:
                    old_key, old = self._items.popitem(last=False)
                    self._bytes -= self._size(old)
                    if (owner := self._owner(old_key)) is not None:
                        owned = self._owned[owner]
                        owned.discard(old_key)
                        if not owned:
                            del self._owned[owner]
        return value


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_TF = np.zeros(0, dtype=np.float32)


SEGMENT = "segment"  # the first part of the key of what is kept per segment: (SEGMENT, segment id, ...)


def segment_key(sub) -> str:
    segment = sub.segment()
    return segment.segment_id() if segment is not None else f"reader-{id(sub)}"


def read_postings(sub, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and term frequencies of ``term`` in one segment, deleted documents included, read from the
    segment's own postings (whoosh-reloaded 2.7.5's W3 codec, pinned) in one read, a block of ~128 at a time.

    Not ``sub.postings()``: in a segment with deletions (any case edited or featured since the segment was written)
    that wraps the postings in a matcher that skips the deleted ones a document at a time (the deleted are left
    out later, by the live mask); and Whoosh's own block reader reads a block's header a few bytes at a time from
    the segment file (~23 reads a block) and every position of every posting, which ranking does not need."""
    if (fieldname, term) not in sub:  # (also an empty index's reader, which has no terms to look up)
        return _EMPTY_IDS, _EMPTY_TF
    terms = sub._terms
    info = terms.term_info(fieldname, sub._text_to_bytes(fieldname, term))
    if info.is_inlined():  # a short posting list kept in the term's entry
        ids, weights, _values = info.inlined_postings()
        return np.asarray(ids, dtype=np.int64), _weights(weights, len(ids))
    offset, length = info.extent()
    stored = terms._postfile.get(offset, length[0] if isinstance(length, tuple) else length)  # (read back: a tuple)
    if stored[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"not a W3 posting list: {fieldname}:{term}")
    id_blocks: list = []
    weight_blocks: list = []
    position = 4
    while position < len(stored):  # each block: its size (negative for the last), a pickled header, its data
        size = int.from_bytes(stored[position : position + 4], "big", signed=True)
        end = position + 4 + abs(size)
        block = io.BytesIO(stored[position + 4 : end])
        count, _last_id, _max_weight, compression, _min_length, _max_length = pickle.load(block)  # noqa: S301
        ids, weights = _block(block.read(), count, compression)
        id_blocks.append(ids)
        weight_blocks.append(weights)
        position = end
        if size < 0:
            break
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)  # (a list not inlined has a block at least)


def _weights(weights, count: int) -> np.ndarray:
    if weights is None or isinstance(weights, float):  # (Whoosh's short forms of "all the same")
        return np.full(count, weights or 1.0, dtype=np.float32)
    return np.asarray(weights, dtype=np.float32)


# A block's data is a pickle (protocol 2, zlib-compressed) of (document number gaps, frequencies, positions), the
# positions as one bytes object per posting, which protocol 2 writes as a call of _codecs.encode: more than half
# the pickle and most of the time it takes to load. Ranking needs no positions (phrases are checked by Whoosh), so
# the pickle is inflated and loaded only up to where they begin, as (gaps, frequencies).
_POSITIONS = b"(c_codecs\nencode\n"
_PAIR = b"\x86."  # TUPLE2, STOP


def _block(stored: bytes, count: int, compression: int) -> tuple[np.ndarray, np.ndarray]:
    """A block's document numbers and frequencies, read without its positions."""
    # Inflated only as far as the positions can begin: at most 5 bytes a gap and 9 a frequency.
    head = zlib.decompressobj().decompress(stored, 14 * count + 96) if compression else stored
    data = _gaps_and_weights(head, count)
    if data is None:  # a block of another layout (no positions, say): loaded whole, as Whoosh does
        data = pickle.loads(zlib.decompress(stored) if compression else stored)  # noqa: S301
    return np.cumsum(np.asarray(data[0], dtype=np.int64)), _weights(data[1], count)


def _gaps_and_weights(head: bytes, count: int) -> tuple | None:
    """(gaps, weights) from the start of a block's pickle, or None when it is not laid out as expected."""
    cut = head.find(_POSITIONS)
    if cut <= 0:
        return None
    try:
        gaps, weights = pickle.loads(head[:cut] + _PAIR)  # noqa: S301 (the index's own files)
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError):
        return None
    if len(gaps) != count or (isinstance(weights, tuple) and len(weights) != count):
        return None
    return gaps, weights


# Whoosh keeps a field's length in each document as one byte (a lossy code): decoded through this table.
_LENGTH_OF_BYTE = np.array([byte_to_length(code) for code in range(256)], dtype=np.float32)


def read_lengths(sub, fieldname: str) -> np.ndarray:
    """The length of ``fieldname`` in each document of one segment (0 where it has none), read as the segment's
    column of length bytes in one read (Whoosh's own ``doc_field_length``, a document at a time: ~90 ms for
    50,000 cases, at the first search of every process)."""
    count = sub.doc_count_all()
    reader = sub._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if hasattr(sub, "_perdoc") else None
    if reader is None or reader._fixedlen != 1:  # (a field never given, or an empty index's reader)
        return np.zeros(count, dtype=np.float32)
    codes = np.zeros(count, dtype=np.uint8)  # documents after the last with the field have none
    stored = min(reader._count, count)
    codes[:stored] = np.frombuffer(reader._dbfile.get(reader._basepos, stored), dtype=np.uint8)
    return _LENGTH_OF_BYTE[codes] * (codes > 0)


def is_common(df: int, total_docs: int) -> bool:
    return df > COMMON_MIN and df / total_docs > COMMON_SHARE


class IndexView:
    """One searcher's index state as arrays: segments laid end to end in document-number order."""

    def __init__(self, cache: Cache, searcher):
        self.cache = cache
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        self.size = self.reader.doc_count_all()
        self.state = tuple((segment_key(sub), sub.doc_count()) for sub, _base in self.leaves)
        cache.follow(self.state, self.reader.generation())
        self.live = cache.get((self.state, "live"), self._live)
        self.live_count = int(self.live.sum())

    def _live(self) -> np.ndarray:
        mask = np.ones(self.size, dtype=bool)
        for sub, base in self.leaves:
            if sub.has_deletions():
                deleted = np.fromiter(sub.segment().deleted_docs(), dtype=np.int64)
                mask[deleted + base] = False
        return mask

    # --- postings ---------------------------------------------------------------------------------

    def postings(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Global document numbers and term frequencies of ``term`` (deleted documents included)."""
        parts = [self._segment_postings(sub, fieldname, term) for sub, _base in self.leaves]
        if len(parts) == 1:
            return parts[0]
        ids = [part[0] + base for part, (_sub, base) in zip(parts, self.leaves, strict=True)]
        return np.concatenate(ids), np.concatenate([part[1] for part in parts])

    def _segment_postings(self, sub, fieldname: str, term: str):
        return self.cache.get(
            (SEGMENT, segment_key(sub), "p", fieldname, term), lambda: read_postings(sub, fieldname, term)
        )

    def mask(self, fieldname: str, term: str) -> np.ndarray:
        def build():
            mask = np.zeros(self.size, dtype=bool)
            mask[self.postings(fieldname, term)[0]] = True
            return mask & self.live

        return self.cache.get((self.state, "m", fieldname, term), build)

    def query_mask(self, query: wq.Query) -> np.ndarray:
        """Documents matching a Whoosh query (phrases, ranges): positions are checked by Whoosh."""

        def build():
            mask = np.zeros(self.size, dtype=bool)
            docs = np.fromiter(self.searcher.docs_for_query(query), dtype=np.int64)
            mask[docs] = True
            return mask & self.live

        return self.cache.get((self.state, "q", repr(query)), build)

    def lengths(self, fieldname: str) -> np.ndarray:
        def segment_lengths(sub):
            return self.cache.get((SEGMENT, segment_key(sub), "len", fieldname), lambda: read_lengths(sub, fieldname))

        def build():
            return np.concatenate([segment_lengths(sub) for sub, _base in self.leaves] or [_EMPTY_TF])

        return self.cache.get((self.state, "len", fieldname), build)

    def column(self, name: str) -> np.ndarray:
        def segment_column(sub):
            key = (SEGMENT, segment_key(sub), "col", name)
            return self.cache.get(key, lambda: np.asarray(list(sub.column_reader(name)), dtype=np.int64))

        def build():
            return np.concatenate([segment_column(sub) for sub, _base in self.leaves] or [_EMPTY_IDS])

        return self.cache.get((self.state, "col", name), build)

    def docs_of(self, case_ids: np.ndarray) -> np.ndarray:
        """The live document of each case (-1 where the index does not hold the case)."""
        if not self.live_count:  # an empty index has no columns to read
            return np.full(len(case_ids), -1, dtype=np.int64)

        def build():
            ids = self.column("case_id")
            live = np.flatnonzero(self.live)
            order = np.argsort(ids[live], kind="stable")
            return ids[live][order], live[order]

        sorted_ids, docs = self.cache.get((self.state, "docs_of"), build)
        if len(sorted_ids) == 0:
            return np.full(len(case_ids), -1, dtype=np.int64)
        where = np.minimum(np.searchsorted(sorted_ids, case_ids), len(sorted_ids) - 1)
        return np.where(sorted_ids[where] == case_ids, docs[where], -1)

    # --- words ------------------------------------------------------------------------------------

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Documents (deleted ones included, as Whoosh counts) with ``term``: read once per segment, which
        never changes, instead of from the segment files at every query and every related list."""

        def total():
            return sum(
                self.cache.get(
                    (SEGMENT, segment_key(sub), "df", fieldname, term),
                    lambda sub=sub: sub.doc_frequency(fieldname, term),
                )  # fmt: skip
                for sub, _base in self.leaves
            )

        # One lookup per word while the index is unchanged (a related list asks for a hundred words).
        return self.cache.get((self.state, "df", fieldname, term), total)

    def in_library(self, fieldname: str, term: str) -> bool:
        """Whether a live (not deleted) document has ``term`` in ``fieldname``."""
        ids, _tf = self.postings(fieldname, term)
        return bool(len(ids)) and bool(self.live[ids].any())

    # --- scoring ----------------------------------------------------------------------------------

    def bm25(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(documents, BM25 score of ``term`` in ``fieldname``) with Whoosh's BM25F constants."""
        ids, tf = self.postings(fieldname, term)
        if not len(ids):
            return ids, tf
        # Live documents only: Whoosh's count keeps every deleted copy until segments merge, and the views
        # of much-read cases are indexed again every few seconds, so their own words would look common and
        # rank them below cases nobody read.
        df = int(self.live[ids].sum()) or 1
        idf = math.log(1 + (max(self.live_count, 1) - df + 0.5) / (df + 0.5))
        avg = (self.reader.field_length(fieldname) / max(self.size, 1)) or 1.0
        dl = self.lengths(fieldname)[ids]
        return ids, idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avg))
