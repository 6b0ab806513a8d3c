"""The Whoosh index on disk: schema, analyzer, one searcher per thread, writers, full rebuilds.

The index is a cache of the database, rebuilt at will. Several server processes share it: one writer
at a time (a lock file with a timeout), searchers refreshed when another process has committed, and a
rebuild that swaps a finished index into place.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from whoosh.analysis import Token as WhooshToken
from whoosh.analysis import Tokenizer
from whoosh.fields import BOOLEAN, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.reading import MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for

from heatcases.search import text

INDEX_NAME = "cases"


class CaseTokenizer(Tokenizer):
    """Whoosh's view of :func:`heatcases.search.text.tokens` (pickled into the index by this path)."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):  # fmt: skip
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for word in text.tokens(value, for_index=mode != "query"):
            token.text = token.original = word.text
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + word.position
            if chars:
                token.startchar = start_char + word.start
                token.endchar = start_char + word.end
            yield token


def make_schema() -> Schema:
    analyzer = CaseTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        case_id=NUMERIC(int, bits=64, sortable=True),
        title=TEXT(analyzer=analyzer, phrase=True, field_boost=2.5),
        body=TEXT(analyzer=analyzer, phrase=True),
        tags=KEYWORD(scorable=False),
        behaviors=KEYWORD(scorable=False),
        business_line=ID(),
        featured=BOOLEAN(),
        kind=ID(),
        defect_class=ID(),
        servqual=KEYWORD(scorable=False),
        created=NUMERIC(int, bits=64, sortable=True),
        occurred=NUMERIC(int, sortable=True),
    )


@dataclass
class CaseDocument:
    """What the index keeps of a case: enough to match, filter, facet and sort."""

    id: int
    title: str
    body: str
    tags: list[str]
    behaviors: list[str]
    business_line: str
    featured: bool
    created_at: datetime
    occurred_on: date | None
    kind: str = "exemplar"
    defect_class: str | None = None
    servqual: list[str] = field(default_factory=list)

    def fields(self) -> dict:
        day = self.occurred_on or self.created_at.date()
        return {
            "id": str(self.id),
            "case_id": self.id,
            "title": self.title,
            "body": self.body,
            "tags": " ".join(self.tags),
            "behaviors": " ".join(self.behaviors),
            "business_line": self.business_line,
            "featured": self.featured,
            "kind": self.kind,
            "defect_class": self.defect_class or "",
            "servqual": " ".join(self.servqual),
            "created": int(self.created_at.timestamp() * 1000),
            "occurred": day.year * 10000 + day.month * 100 + day.day,
        }


def date_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


class IndexUpdate:
    """Changes to the index made under its write lock.

    Replaced and removed documents are found with one reader opened for the whole batch: Whoosh's
    own ``update_document`` and ``delete_by_term`` open a new reader for every call.
    """

    def __init__(self, writer, note: dict | None):
        self._writer = writer
        self._reader = writer.reader()
        self.changed = False
        self.note = note  # the note committed with the index (see SearchIndex.note); set a new one to save it

    def _docnums(self, case_id: int) -> list[int]:
        key = str(case_id)
        if ("id", key) not in self._reader:
            return []
        return [doc for doc in self._reader.postings("id", key).all_ids() if not self._reader.is_deleted(doc)]

    def contains(self, case_id: int) -> bool:
        return bool(self._docnums(case_id))

    def put(self, document: CaseDocument) -> None:
        for doc in self._docnums(document.id):
            self._writer.delete_document(doc)
        self._writer.add_document(**document.fields())
        self.changed = True

    def remove(self, case_id: int) -> None:
        for doc in self._docnums(case_id):
            self._writer.delete_document(doc)
            self.changed = True

    def close(self) -> None:
        self._reader.close()


def _fresh_searcher(ix, old):
    """A searcher on the index's latest commit that reuses the open readers of unchanged segments.

    Not ``Searcher.refresh()``: it reuses a segment's reader even when the segment has new deletions
    (replaced documents would show twice) and fails on an empty index. Here a reused reader is a
    shallow copy pointed at the segment's new state; the old searcher is dropped, not closed, since
    it shares those readers (each thread has its own searcher, so nothing is read concurrently).
    """
    toc = ix._read_toc()
    previous = {
        sub.segment().segment_id(): sub for sub, _base in old.reader().leaf_readers() if sub.segment() is not None
    }
    readers, opened = [], []
    try:
        for segment in toc.segments:
            sub = previous.pop(segment.segment_id(), None)
            if sub is None:
                opened.append(SegmentReader(ix.storage, ix.schema, segment, generation=toc.generation))
                readers.append(opened[-1])
                continue
            fresh = copy.copy(sub)
            fresh._perdoc = copy.copy(sub._perdoc)
            fresh._segment = fresh._perdoc._segment = segment
            fresh._gen = toc.generation
            readers.append(fresh)
    except BaseException:
        for reader in opened:  # the old searcher keeps all of its own readers
            reader.close()
        raise
    for gone in previous.values():
        gone.close()
    if not readers:
        return ix.searcher()
    reader = readers[0] if len(readers) == 1 else MultiReader(readers, generation=toc.generation)
    return Searcher(reader, fromindex=ix)


REFRESH_ATTEMPTS = 10  # as Whoosh's own FileIndex.reader()


def _refreshed_searcher(ix, old):
    """``_fresh_searcher``, retried: another process's commit deletes the table of contents and the merged
    segments it replaces, possibly between our reading the table and opening its files."""
    for attempt in range(REFRESH_ATTEMPTS):
        try:
            return _fresh_searcher(ix, old)
        except FileNotFoundError:
            if attempt == REFRESH_ATTEMPTS - 1:
                raise
            time.sleep(0.05)


SCHEMA_VERSION = 4  # raise when the schema or the analysis changes: old indexes get rebuilt at start
FORMAT_FILE = "FORMAT"
NOTE_FILE = "NOTE.json"
PENDING_NOTE_FILE = "NOTE.pending.json"
NOTE_LOCK_FILE = "NOTE.lock"


def index_format() -> str:
    """The schema version and the segmenter's dictionary: an index built otherwise is rebuilt."""
    return f"heatcases-index {SCHEMA_VERSION} words {text.dictionary_fingerprint()}"


def pool_megabytes(procs: int) -> int:
    """Memory for each indexing process's posting pool: enough not to spill to disk (spills halve the
    speed at 100,000 cases, which need ~2.5 GB per process on 2), at most 40 % of what is available."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        available = int(fields["MemAvailable"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        available = 4096
    return max(256, min(4096, int(available * 0.4 / max(procs, 1))))


def _storage(path: Path) -> FileStorage:
    # No mmap: whoosh-reloaded 2.7.5 copies a mapped postings file into a BytesIO on every open
    # (~330 MB and ~200 ms at 100,000 cases, per searcher and per writer).
    return FileStorage(str(path), supports_mmap=False)


def _write_json(path: Path, data: dict) -> None:
    """Write a small JSON file so that a reader sees the old one or the new one, never a part."""
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(data, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _create(path: Path):
    ix = _storage(path).create_index(make_schema(), indexname=INDEX_NAME)
    (path / FORMAT_FILE).write_text(index_format(), encoding="utf-8")
    return ix


class IndexBusy(Exception):
    """Another process holds the index's write lock for longer than we would wait."""


class SearchIndex:
    """The index folder, opened lazily; searchers are per thread (Whoosh's are not thread-safe)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._open_lock = threading.Lock()
        self._ix = None
        self._ix_identity = None

    # --- opening ---------------------------------------------------------------------------------

    def _identity(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return stat.st_dev, stat.st_ino

    def _wait_for_swap(self) -> tuple[int, int] | None:
        """The folder's identity; a missing folder beside a finished rebuild is being swapped in: wait for it
        (creating an empty index there meanwhile would make the swap fail)."""
        building = self.path.with_name(self.path.name + ".building")
        for _ in range(200):
            identity = self._identity()
            if identity is not None or not building.exists():
                return identity
            time.sleep(0.01)
        return self._identity()

    def index(self):
        """The open index, created empty if missing, reopened if a rebuild swapped the folder."""
        identity = self._identity()
        if self._ix is None or identity != self._ix_identity:
            with self._open_lock:
                identity = self._wait_for_swap()
                if self._ix is None or identity != self._ix_identity:
                    self.path.mkdir(parents=True, exist_ok=True)
                    storage = _storage(self.path)
                    if storage.index_exists(INDEX_NAME):
                        self._ix = storage.open_index(INDEX_NAME, schema=make_schema())
                    else:
                        self._ix = _create(self.path)
                    self._ix_identity = self._identity()
        return self._ix

    def searcher(self):
        """This thread's searcher, refreshed when the index changed since it was opened."""
        ix = self.index()
        local = self._local
        searcher = getattr(local, "searcher", None)
        if searcher is None or local.ix is not ix:
            if searcher is not None:
                searcher.close()
            searcher = ix.searcher()
        elif not searcher.up_to_date():
            searcher = _refreshed_searcher(ix, searcher)
        local.searcher, local.ix = searcher, ix
        return searcher

    def exists(self) -> bool:
        """Whether an index (of any version) was ever written here."""
        return (self.path / FORMAT_FILE).exists() or any(self.path.glob("*.toc"))

    def is_current(self) -> bool:
        """Whether the index on disk was built by this version's schema and analysis."""
        try:
            return (self.path / FORMAT_FILE).read_text(encoding="utf-8").strip() == index_format()
        except OSError:
            return False

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def note(self) -> dict | None:
        """The note last committed with the index (a reader's cursor: see ``heatcases.search.cursor``).

        It is written in two steps around the index commit (``updating``), so the note and the documents
        always agree: a note whose commit was interrupted is settled by the next writer."""
        return _read_json(self.path / NOTE_FILE)

    def _settle_note(self) -> dict | None:
        """Under the write lock: keep a pending note if its commit happened, else drop it."""
        pending = _read_json(self.path / PENDING_NOTE_FILE)
        if pending is not None:
            if self.index().latest_generation() >= pending["generation"]:
                _write_json(self.path / NOTE_FILE, pending["note"])
            (self.path / PENDING_NOTE_FILE).unlink(missing_ok=True)
        return self.note()

    def size_bytes(self) -> int:
        return sum(entry.stat().st_size for entry in self.path.iterdir() if entry.is_file())

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def updating(self, *, timeout: float) -> Iterator[IndexUpdate]:
        """Hold the write lock (waiting up to ``timeout`` s); commit on success if anything changed."""
        try:
            writer = self.index().writer(timeout=timeout, delay=0.05)
        except LockError:
            raise IndexBusy(f"search index busy for {timeout} s") from None
        # The note's own lock, held from taking the writer until the note is settled after the commit
        # (which releases the writer's lock): the next writer must not see this commit's note half done.
        with open(self.path / NOTE_LOCK_FILE, "a") as note_lock:
            fcntl.flock(note_lock, fcntl.LOCK_EX)
            try:
                before = self._settle_note()
                update = IndexUpdate(writer, before)
            except BaseException:
                writer.cancel()
                raise
            try:
                yield update
            except BaseException:
                writer.cancel()
                raise
            finally:
                update.close()
            note_changed = update.note is not None and update.note != before
            if update.changed:
                if note_changed:  # valid once the index's generation reaches the one this commit writes
                    _write_json(self.path / PENDING_NOTE_FILE, {"generation": writer.generation, "note": update.note})
                writer.commit()
                if note_changed:
                    self._settle_note()
            else:
                try:
                    if note_changed:
                        _write_json(self.path / NOTE_FILE, update.note)
                finally:
                    writer.cancel()

    def rebuild(self, batches: Iterator[list[CaseDocument]], *, on_batch: Callable[[int], None] | None = None,
                lock_timeout: float = 60.0, procs: int = 1, limitmb: int | None = None,
                note: Callable[[], dict] | None = None) -> int:  # fmt: skip
        """Build a complete new index beside the live one, then swap it in; returns documents written.

        ``note()``, called under the write lock before the first batch is read, gives the note the new
        index is committed with (it is swapped in with it).

        The live index's write lock is held throughout, so no other process writes to an index that is
        about to be replaced: their updates wait in the change log and are applied afterwards.
        """
        building = self.path.with_name(self.path.name + ".building")
        retired = self.path.with_name(f"{self.path.name}.old-{os.getpid()}-{int(time.time() * 1000)}")
        live_lock = self.index().lock("WRITELOCK")  # the lock every writer of the live index takes
        if not try_for(live_lock.acquire, timeout=lock_timeout, delay=0.05):
            raise IndexBusy(f"search index busy for {lock_timeout} s")
        count = 0
        limitmb = limitmb or pool_megabytes(procs)
        try:
            shutil.rmtree(building, ignore_errors=True)  # (left by an interrupted rebuild)
            building.mkdir(parents=True)
            new_note = note() if note is not None else None
            new_ix = _create(building)
            if procs > 1:
                writer = new_ix.writer(procs=procs, multisegment=True, limitmb=limitmb)
            else:
                writer = new_ix.writer(limitmb=limitmb)
            try:
                for batch in batches:
                    for document in batch:
                        writer.add_document(**document.fields())
                    count += len(batch)
                    if on_batch:
                        on_batch(len(batch))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            if new_note is not None:
                _write_json(building / NOTE_FILE, new_note)
            os.rename(self.path, retired)
            os.rename(building, self.path)
        finally:
            live_lock.release()
            shutil.rmtree(building, ignore_errors=True)
        for leftover in self.path.parent.glob(f"{self.path.name}.old-*"):  # also those of an interrupted run
            shutil.rmtree(leftover, ignore_errors=True)
        return count
