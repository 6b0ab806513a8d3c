"""The meaning layer's data: passage vectors stored in the database, embedded in the background, searched
in memory.

* :class:`PassageFiller` (one thread per process) embeds the approved cases whose passages are missing or
  out of date for the current model: those the index is taking (woken by the index syncer, so an
  approved case is found by meaning within a second), and whatever else is missing (an import, a model
  change: progress in :func:`embedding_progress`), scanned for every few seconds while some is found and
  every minute when none is. One process per data folder does the scans (a file lock), any process embeds
  what it is indexing; a case embedded twice at once keeps one copy (the unique key decides). Beside each
  case's passages it stores the case's own vector (``passage_no`` -1, the mean of its passages).
* :class:`VectorStore` (one per process) holds the current model's case vectors, 8-bit: read from the
  database at start on a background thread, then those written since, every :data:`REFRESH_SECONDS`;
  scanned exhaustively, or from :data:`GRAPH_FROM` cases on through a usearch HNSW graph built after
  loading and kept on disk for the next start (read back and brought up to date in a second or two
  instead of built again in ~40 s). Until it has loaded, search is by words. :func:`fill_in_processes`
  embeds with a process per core (``heatcases embed``).

Visibility is not decided here: a case found by meaning is shown only if the lexical index holds it
(approved, not archived), so vectors of a case taken out of the library do no harm.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import and_, case, delete, exists, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from usearch.index import Index, MetricKind, ScalarKind
from usearch.index import search as exhaustive

from heatcases import db
from heatcases.db import utcnow
from heatcases.models import Case, CasePassage
from heatcases.search.embedding import DIMENSIONS, Embedder, Matches, ModelUnavailable, content_hash, passages

log = logging.getLogger("heatcases.search")

BATCH = 32  # cases embedded per transaction
WHOLE_CASE = -1  # passage_no of a case's own vector: the normalised mean of its passages' vectors
SCAN_SECONDS = 5.0  # how often the lock holder looks for cases still to embed while it finds some
IDLE_SCAN_SECONDS = 60.0  # ...and when it found none (approved cases come straight from the index syncer)
REFRESH_SECONDS = 0.2  # how often a process reads the vectors written since (an indexed query)
LATE_COMMIT = timedelta(minutes=1)  # a vector may commit this long after its embedded_at
GRAPH_FROM = 20_000  # from this many cases on, an HNSW graph answers instead of the exhaustive scan
GRAPH_RESAVE = 2_000  # a graph read back at start is saved again when this many cases changed since
GRAPH_EXPANSION = 1200  # candidates the graph search keeps: ~95 % of the exact top 300 at 100,000 cases, 3 ms
PROGRESS_SECONDS = 10.0  # the least time a status's count of embedded cases is kept (ProgressMeter)
QUANTISE_SCALE = 508.0  # a unit vector's components of 512 dimensions stay well under 0.25


_COLUMNS = (CasePassage.id, CasePassage.case_id, CasePassage.start, CasePassage.end, CasePassage.vector,
            CasePassage.content_hash)  # fmt: skip


def _listed():
    return and_(Case.status == "approved", Case.archived.is_(False))


def _up_to_date(model: str):
    """The case has its whole-case vector embedded by ``model`` from its current version."""
    return exists().where(
        CasePassage.case_id == Case.id,
        CasePassage.model == model,
        CasePassage.passage_no == WHOLE_CASE,
        CasePassage.source_updated_at >= Case.updated_at,
    )


@dataclass
class Progress:
    model: str
    embedded: int  # listed cases with current vectors
    listed: int  # approved, not archived

    @property
    def done(self) -> bool:
        return self.embedded >= self.listed


def embedding_progress(engine: Engine, model: str) -> Progress:
    """How many listed cases have current vectors: one pass over the listed cases."""
    embedded = func.coalesce(func.sum(case((_up_to_date(model), 1), else_=0)), 0)
    with Session(db.reader(engine)) as session:
        listed, done = session.execute(select(func.count(), embedded).select_from(Case).where(_listed())).one()
    return Progress(model, int(done), int(listed))


class ProgressMeter:
    """:func:`embedding_progress` for a status a page or monitor polls: counted again only when the last count
    is older than :data:`PROGRESS_SECONDS` or fifty times what it cost (a pass over 100,000 cases takes a
    few hundred milliseconds, which a poll every few seconds during a shift would keep taking from searches)."""

    def __init__(self, engine: Engine, model: str):
        self.engine = engine
        self.model = model
        self._lock = threading.Lock()
        self._last: Progress | None = None
        self._fresh_until = 0.0

    def progress(self) -> Progress:
        with self._lock:
            if self._last is None or time.monotonic() >= self._fresh_until:
                started = time.monotonic()
                self._last = embedding_progress(self.engine, self.model)
                cost = time.monotonic() - started
                self._fresh_until = time.monotonic() + max(PROGRESS_SECONDS, 50 * cost)
            return self._last


def embed_cases(engine: Engine, embedder: Embedder, case_ids: Iterable[int]) -> int:
    """Embed these cases (those listed and out of date) and store their passages; returns how many."""
    model = embedder.name
    with Session(db.reader(engine)) as session:
        rows = session.execute(
            select(Case.id, Case.title, Case.body, Case.updated_at).where(
                Case.id.in_(list(case_ids)), _listed(), ~_up_to_date(model)
            )
        ).all()
        if not rows:
            return 0
        stored = dict(
            session.execute(
                select(CasePassage.case_id, CasePassage.content_hash).where(
                    CasePassage.case_id.in_([row.id for row in rows]),
                    CasePassage.model == model,
                    CasePassage.passage_no == WHOLE_CASE,
                )
            ).all()
        )
    unchanged = [row for row in rows if stored.get(row.id) == content_hash(row.title, row.body)]
    changed = [row for row in rows if stored.get(row.id) != content_hash(row.title, row.body)]
    cut = {row.id: passages(row.title, row.body) for row in changed}
    texts = [passage.text for row in changed for passage in cut[row.id]]
    vectors = embedder.encode(texts).astype(np.float16) if texts else None
    now, position, values = utcnow(), 0, []
    for row in changed:
        digest = content_hash(row.title, row.body)
        count = len(cut[row.id])
        whole = vectors[position : position + count].astype(np.float32).mean(axis=0)
        whole /= max(float(np.linalg.norm(whole)), 1e-9)
        rows_of_case = [(WHOLE_CASE, 0, 0, whole.astype(np.float16))]
        rows_of_case += [(passage.number, passage.start, passage.end, vectors[position + number])
                         for number, passage in enumerate(cut[row.id])]  # fmt: skip
        for number, start, end, vector in rows_of_case:
            values.append({
                "case_id": row.id, "model": model, "passage_no": number, "start": start, "end": end,
                "content_hash": digest, "source_updated_at": row.updated_at, "embedded_at": now,
                "vector": vector.tobytes(),
            })  # fmt: skip
        position += count
    try:
        with Session(engine) as session:
            if changed:
                session.execute(
                    delete(CasePassage).where(
                        CasePassage.case_id.in_([row.id for row in changed]), CasePassage.model == model
                    )
                )
                session.execute(insert(CasePassage), values)
            for row in unchanged:  # edited elsewhere (featured, say): the vectors still hold
                session.execute(
                    update(CasePassage)
                    .where(CasePassage.case_id == row.id, CasePassage.model == model)
                    .values(source_updated_at=row.updated_at)
                )
            session.commit()
    except IntegrityError:  # another process embedded the same case at the same moment: its copy stays
        return 0
    return len(rows)


def _cases_to_embed(engine: Engine, model: str, limit: int, *, share: tuple[int, int] | None = None) -> list[int]:
    """Listed cases without current vectors, newest first; ``share`` (k, n): those whose id is k modulo n."""
    query = select(Case.id).where(_listed(), ~_up_to_date(model))
    if share is not None:
        query = query.where(Case.id % share[1] == share[0])
    with Session(db.reader(engine)) as session:
        return list(session.execute(query.order_by(Case.id.desc()).limit(limit)).scalars())


class PassageFiller:
    """Embeds what is missing, on a thread of its own (see the module docstring)."""

    def __init__(self, engine: Engine, embedder: Embedder, *, lock_path: Path, scan_seconds: float = SCAN_SECONDS,
                 idle_scan_seconds: float = IDLE_SCAN_SECONDS):  # fmt: skip
        self.engine = engine
        self.embedder = embedder
        self.lock_path = lock_path
        self.scan_seconds = scan_seconds
        self.idle_scan_seconds = idle_scan_seconds
        self._wanted: set[int] = set()
        self._wanted_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_file = None

    def want(self, case_ids: Iterable[int]) -> None:
        """Embed these soon (called by the index syncer with the cases it has just written)."""
        with self._wanted_lock:
            self._wanted.update(case_ids)
        self._wake.set()

    def start(self) -> None:
        if self._thread is None and not self.embedder.disabled:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="heatcases-passage-filler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _scanner(self) -> bool:
        """Whether this process does the full scans (holds the data folder's filler lock)."""
        if self._lock_file is None:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.lock_path.open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._lock_file = handle
        return True

    def _run(self) -> None:
        try:
            self.embedder.load()
        except ModelUnavailable:
            return  # logged by the embedder; search stays lexical
        next_scan = 0.0
        while not self._stop.is_set():
            try:
                with self._wanted_lock:
                    wanted, self._wanted = self._wanted, set()
                if wanted:
                    embed_cases(self.engine, self.embedder, wanted)
                if time.monotonic() >= next_scan and self._scanner():
                    if self.fill_some():
                        continue  # more to do: no pause (wanted cases still go first)
                    next_scan = time.monotonic() + self.idle_scan_seconds
            except Exception:
                log.exception("embedding cases failed; retrying shortly")
                next_scan = time.monotonic() + self.scan_seconds
            self._wake.wait(timeout=self.scan_seconds)
            self._wake.clear()

    def fill_some(self, limit: int = BATCH) -> int:
        """Embed up to ``limit`` of the cases still to do (newest first); returns how many."""
        case_ids = _cases_to_embed(self.engine, self.embedder.name, limit)
        return embed_cases(self.engine, self.embedder, case_ids) if case_ids else 0

    def fill_all(self, on_batch=None) -> int:
        """Embed everything still to do, now (the CLI's ``index embed``)."""
        total = 0
        while True:
            done = self.fill_some(BATCH * 4)
            if not done and not _cases_to_embed(self.engine, self.embedder.name, 1):
                return total
            total += done
            if on_batch:
                on_batch(done)


def _fill_share(settings, share: int, shares: int, queue) -> None:
    """One process of :func:`fill_in_processes`: the cases whose id falls to ``share``."""
    engine = db.make_engine(settings)
    embedder = Embedder(threads=1)
    try:
        while case_ids := _cases_to_embed(engine, embedder.name, BATCH * 2, share=(share, shares)):
            queue.put(embed_cases(engine, embedder, case_ids) or 0)
    finally:
        engine.dispose()


def fill_in_processes(settings, procs: int, on_batch=None) -> int:
    """Embed everything still to do with ``procs`` processes (the model is single-threaded NumPy: one
    process per core is what uses a machine); returns how many cases were embedded."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_fill_share, args=(settings, share, procs, queue)) for share in range(procs)]
    for worker in workers:
        worker.start()
    total = 0
    while any(worker.is_alive() for worker in workers) or not queue.empty():
        try:
            done = queue.get(timeout=0.5)
        except Exception:  # queue.Empty: nobody finished a batch in the last half second
            continue
        total += done
        if on_batch:
            on_batch(done)
    for worker in workers:
        worker.join()
    return total


# --- searching in memory ---------------------------------------------------------------------------


class VectorStore:
    """The current model's whole-case vectors of one process, searchable by meaning (thread-safe).

    One vector per case (the mean of its passages: as good as the best passage on the tuning set, and a
    quarter of the memory), quantised to 8 bits and searched exhaustively with usearch's SIMD kernels:
    ~50 MB and a few milliseconds at 100,000 cases, no graph to build at start. Which passage matched
    is asked of the database for the hits shown only (:meth:`best_passages`).
    """

    def __init__(self, engine: Engine, embedder: Embedder, *, refresh_seconds: float = REFRESH_SECONDS,
                 graph_dir: Path | None = None):  # fmt: skip
        """``graph_dir``: where the HNSW graph is kept between starts (a file per model); None: built each start."""
        self.engine = engine
        self.embedder = embedder
        self.graph_path = graph_dir / f"{embedder.name}.usearch" if graph_dir is not None else None
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._matrix = np.zeros((0, DIMENSIONS), dtype=np.int8)
        self._cases = np.zeros(0, dtype=np.int64)  # row -> case id
        self._rows = np.zeros(0, dtype=np.int64)  # case id -> row (-1: none), an array to look up many at once
        self._hash_of: dict[int, str] = {}  # case id -> the content hash of the vector held
        self._count = 0
        self._graph = None  # the HNSW graph over the cases, once built (see _build_graph)
        self._graph_dirty: set[int] | None = None  # rows changed while it is being built
        self._read_until = None  # embedded_at from which the next refresh reads
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def size(self) -> int:
        return self._count

    @property
    def graph(self) -> bool:
        """Whether searches walk the HNSW graph (else they scan every vector)."""
        return self._graph is not None

    def content_hash_of(self, case_id: int) -> str | None:
        return self._hash_of.get(case_id)

    def start(self) -> None:
        if self._thread is None and not self.embedder.disabled:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="heatcases-vector-store", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        try:
            self.embedder.load()
            self.load()
            self._build_graph()
        except ModelUnavailable as error:
            self.error = str(error)
            return
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"
            log.exception("reading the case vectors failed; search is by words only")
            return
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.refresh()
            except Exception:
                log.exception("reading new case vectors failed; retrying")

    def load(self) -> None:
        """Read every case vector of the current model (at start; searches are by words meanwhile)."""
        started = time.monotonic()
        with self._lock:
            self._matrix = np.zeros((0, DIMENSIONS), dtype=np.int8)
            self._cases = np.zeros(0, dtype=np.int64)
            self._rows, self._hash_of, self._count = np.zeros(0, dtype=np.int64), {}, 0
        read_from, last_id = utcnow(), 0
        while True:
            with db.reader(self.engine).connect() as connection:
                rows = connection.execute(
                    select(*_COLUMNS)
                    .where(
                        CasePassage.model == self.embedder.name,
                        CasePassage.passage_no == WHOLE_CASE,
                        CasePassage.id > last_id,
                    )  # fmt: skip
                    .order_by(CasePassage.id)
                    .limit(20_000)
                ).all()
            if not rows:
                break
            last_id = rows[-1].id
            self._put(rows)
        self._read_until = read_from - LATE_COMMIT
        self._ready.set()
        log.info("%d case vectors ready for search by meaning in %.1f s", self.size, time.monotonic() - started)

    def refresh(self) -> None:
        """Take the case vectors written since the last read (a case's new vector replaces its old one)."""
        if self._read_until is None:
            return
        now = utcnow()
        with db.reader(self.engine).connect() as connection:
            rows = connection.execute(
                select(*_COLUMNS).where(
                    CasePassage.model == self.embedder.name,
                    CasePassage.passage_no == WHOLE_CASE,
                    CasePassage.embedded_at >= self._read_until,
                )
            ).all()
        self._read_until = now - LATE_COMMIT
        fresh = [row for row in rows if self._hash_of.get(row.case_id) != row.content_hash]
        if fresh:  # the rest were read already (the overlap that catches late commits)
            self._put(fresh)

    def _put(self, rows) -> None:
        vectors = np.frombuffer(b"".join(row.vector for row in rows), dtype=np.float16).reshape(len(rows), -1)
        quantised = _quantise(vectors.astype(np.float32))
        with self._lock:
            for row, vector in zip(rows, quantised, strict=True):
                if row.case_id >= len(self._rows):
                    rows = np.full(max(1024, 2 * row.case_id), -1, dtype=np.int64)
                    rows[: len(self._rows)] = self._rows
                    self._rows = rows
                place = int(self._rows[row.case_id])
                if place < 0:
                    if self._count == len(self._cases):
                        self._grow()
                    place = self._count
                    self._count += 1
                    self._rows[row.case_id] = place
                    self._cases[place] = row.case_id
                self._matrix[place] = vector
                self._hash_of[row.case_id] = row.content_hash
                if self._graph is not None:
                    _replace(self._graph, row.case_id, vector)
                elif self._graph_dirty is not None:
                    self._graph_dirty.add(place)

    def _build_graph(self) -> None:
        """An HNSW graph over the cases (usearch, 8-bit cosine, keyed by case id), built beside the exhaustive
        scan, which answers until it is ready: ~15 ms a scan at 100,000 cases here, ~3 ms a graph search.

        Kept in ``graph_path`` for the next start: read back (a second, not the ~40 s of building it) and
        brought up to date with the vectors just loaded (cases changed, added or taken out since it was
        saved); saved again when that took many changes. Any process may save it (a file of its own, then
        renamed over the old one)."""
        if self._count < GRAPH_FROM:
            return
        started = time.monotonic()
        with self._lock:
            count = self._count
            matrix, cases = self._matrix[:count].copy(), self._cases[:count].copy()
            self._graph_dirty = set()
        graph = self._read_graph()
        if graph is not None:
            changed = _bring_up_to_date(graph, cases, matrix)
        else:
            graph = Index(ndim=DIMENSIONS, metric="cos", dtype="i8", connectivity=16, expansion_add=128)
            graph.add(cases, matrix, threads=1)
            changed = count
        graph.expansion_search = GRAPH_EXPANSION
        if changed == count or changed >= GRAPH_RESAVE:
            self._save_graph(graph)
        with self._lock:
            for place in sorted(self._graph_dirty | set(range(count, self._count))):
                _replace(graph, int(self._cases[place]), self._matrix[place])
            self._graph, self._graph_dirty = graph, None
        log.info("search by meaning: graph over %d cases ready in %.1f s (%d added or changed since it was saved)",
                 count, time.monotonic() - started, changed)  # fmt: skip

    def _read_graph(self):
        if self.graph_path is None or not self.graph_path.exists():
            return None
        try:
            graph = Index.restore(str(self.graph_path))
        except Exception as error:  # unreadable (a crash while copying it, another usearch): built anew
            log.warning("the saved graph %s cannot be read (%s); building it again", self.graph_path, error)
            return None
        if graph is None or graph.ndim != DIMENSIONS or graph.dtype != ScalarKind.I8:
            return None
        return graph

    def _save_graph(self, graph) -> None:
        if self.graph_path is None:
            return
        try:
            self.graph_path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.graph_path.with_name(f"{self.graph_path.name}.{os.getpid()}.partial")
            graph.save(str(partial))
            os.replace(partial, self.graph_path)
        except OSError as error:  # a full disk: the next start builds it again
            log.warning("the graph could not be saved for the next start: %s", error)

    def _grow(self) -> None:
        capacity = max(1024, 2 * len(self._cases))
        matrix = np.zeros((capacity, DIMENSIONS), dtype=np.int8)
        matrix[: self._count] = self._matrix[: self._count]
        cases = np.zeros(capacity, dtype=np.int64)
        cases[: self._count] = self._cases[: self._count]
        self._matrix, self._cases = matrix, cases

    def search(self, query_vector: np.ndarray, *, wanted: int = 300) -> Matches:
        """The cases nearest to the query, best first."""
        if not self.ready or self._count == 0:
            return Matches.none()
        query = _quantise(query_vector[None, :])[0]
        with self._lock:
            count = min(wanted, self._count)
            if self._graph is not None:  # keyed by case id
                found = self._graph.search(query, count)
                cases = np.asarray(found.keys, dtype=np.int64)[:count]
            else:  # by row
                found = exhaustive(self._matrix[: self._count], query, count, MetricKind.Cos, exact=True, threads=1)
                cases = self._cases[np.asarray(found.keys, dtype=np.int64)[:count]]
            distances = np.asarray(found.distances, dtype=np.float32)[:count]
        return Matches(cases, 1.0 - distances)

    def rescore(self, query_vector: np.ndarray, case_ids) -> Matches:
        """These cases by their similarity to the query, best first (a few hundred: no search needed)."""
        with self._lock:
            held, rows = self._held(case_ids)
            if not len(held):
                return Matches.none()
            vectors = self._matrix[rows].astype(np.float32)
        similarity = vectors @ query_vector / np.maximum(np.linalg.norm(vectors, axis=1), 1e-9)
        order = np.argsort(-similarity, kind="stable")
        return Matches(held[order], similarity[order].astype(np.float32))

    def _held(self, case_ids) -> tuple[np.ndarray, np.ndarray]:
        """Of these cases, those with a vector here, and their rows (under the lock)."""
        ids = np.asarray(case_ids, dtype=np.int64)
        rows = np.full(len(ids), -1, dtype=np.int64)
        known = (ids >= 0) & (ids < len(self._rows))
        rows[known] = self._rows[ids[known]]
        return ids[rows >= 0], rows[rows >= 0]

    def mean_of(self, case_ids) -> np.ndarray:
        """The normalised mean of these cases' vectors (zeros when none is held)."""
        with self._lock:
            _held, rows = self._held(case_ids)
            if not len(rows):
                return np.zeros(DIMENSIONS, dtype=np.float32)
            mean = self._matrix[rows].astype(np.float32).mean(axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-9)

    def best_passages(self, case_ids: list[int], query_vector: np.ndarray) -> dict[int, tuple[int, int]]:
        """For each of these cases, where in its story the passage nearest to the query is (not the title)."""
        if not case_ids:
            return {}
        with db.reader(self.engine).connect() as connection:
            rows = connection.execute(
                select(CasePassage.case_id, CasePassage.start, CasePassage.end, CasePassage.vector).where(
                    CasePassage.case_id.in_(case_ids),
                    CasePassage.model == self.embedder.name,
                    CasePassage.passage_no > 0,
                )
            ).all()
        best: dict[int, tuple[float, int, int]] = {}
        for row in rows:
            similarity = float(np.frombuffer(row.vector, dtype=np.float16).astype(np.float32) @ query_vector)
            if row.case_id not in best or similarity > best[row.case_id][0]:
                best[row.case_id] = (similarity, row.start, row.end)
        return {case_id: (start, end) for case_id, (_similarity, start, end) in best.items()}


def _replace(graph, case_id: int, vector: np.ndarray) -> None:
    if case_id in graph:
        graph.remove(case_id)
    graph.add(case_id, vector)


def _bring_up_to_date(graph, cases: np.ndarray, matrix: np.ndarray) -> int:
    """Make a graph read back from disk hold exactly these cases' vectors; returns how many it changed."""
    keys = cases.astype(np.uint64)
    held = np.asarray(graph.keys, dtype=np.uint64)
    gone = np.setdiff1d(held, keys)
    if len(gone):
        graph.remove(gone)
    present = np.asarray(graph.contains(keys), dtype=bool)
    stale = np.zeros(len(keys), dtype=bool)
    if present.any():
        stored = np.stack(graph.get(keys[present], dtype=np.int8))
        stale[np.flatnonzero(present)[(stored != matrix[present]).any(axis=1)]] = True
    if stale.any():
        graph.remove(keys[stale])
    fresh = stale | ~present
    if fresh.any():
        graph.add(keys[fresh], matrix[fresh], threads=1)
    return int(len(gone) + fresh.sum())


def _quantise(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors to 8 bits (the cosine does not care about the common scale)."""
    return np.clip(np.rint(vectors * QUANTISE_SCALE), -127, 127).astype(np.int8)
