"""Keeping this machine's index replica in step with the database, by reading the change log.

Every change to the library appends to the change log in its own transaction (``changelog.py``). Each
data folder's index is a replica that reads the log on from its own cursor, kept in the note committed
with the index (``SearchIndex.note``), so the documents and the cursor never disagree: a write that
fails or is interrupted (an exception, a busy lock, kill -9) is read again and nothing is applied
twice. In a server, one background thread per process applies the log; a request that changed the
library waits for it (so an approval is searchable when it returns) and many requests' changes go into
one index commit. Other machines are woken by PostgreSQL's NOTIFY (``listener.py``) or their polling.

A replica with no index, an index of another version, or a cursor the pruned log no longer reaches
rebuilds itself from the database, then follows the log from where the rebuild began.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from heatcases import db
from heatcases.search import changelog
from heatcases.search.changelog import SYNCER_ATTRIBUTE, Position
from heatcases.search.documents import count_searchable, documents_for, searchable_documents
from heatcases.search.index import IndexBusy, SearchIndex

log = logging.getLogger("heatcases.search")

BATCH = 500
SERVER_POOL_MB = 512  # a rebuild inside a running server keeps its memory modest (`heatcases reindex` is faster)
APPLY_WAIT_SECONDS = 5.0  # how long a request waits for its change to reach the index
REPORT_SECONDS = 30.0  # how often an idle replica reports itself (its heartbeat) and prunes the log
AWAY_AFTER = timedelta(hours=24)  # the log stops waiting for a replica not seen for this long


# --- the replica's note: its identity and cursor, committed with the index -------------------------


def _note(replica: str, folder: str, position: Position) -> dict:
    return {"replica": replica, "host": changelog.this_host(), "folder": folder, "position": position.public()}


def replica_of(index: SearchIndex) -> str | None:
    """This folder's replica id, if its index was written by this machine in this folder."""
    note = index.note()
    if note and note.get("host") == changelog.this_host() and note.get("folder") == str(index.path.resolve()):
        return note.get("replica")
    return None


def position_of(index: SearchIndex) -> Position | None:
    note = index.note()
    return Position.from_public(note["position"]) if note and "position" in note else None


def rebuild(engine: Engine, index: SearchIndex, *, on_batch=None, procs: int = 1, lock_timeout: float = 60.0,
            limitmb: int | None = None) -> int:  # fmt: skip
    """Rebuild the whole index from the database; returns the number of cases indexed.

    The new index's cursor is the end of the log as it stands when the rebuild begins: the log's later
    changes are applied on top (they are idempotent), so nothing changed during a long rebuild is lost.
    The replica reports that cursor before it reads a case, so no other machine prunes what it needs.
    """
    replica = replica_of(index) or str(uuid.uuid4())
    folder = str(index.path.resolve())

    def starting_note() -> dict:
        with db.reader(engine).connect() as connection:
            position = changelog.end(connection)
        with engine.begin() as connection:
            changelog.report(connection, replica, folder, position, documents=0, lag=(0, 0.0))
        return _note(replica, folder, position)

    return index.rebuild(searchable_documents(engine), on_batch=on_batch, procs=procs, lock_timeout=lock_timeout,
                         limitmb=limitmb, note=starting_note)  # fmt: skip


def _progress_logger(total: int, every_seconds: float = 5.0) -> Callable[[int], None]:
    """An ``on_batch`` that logs how far a rebuild has come, every few seconds."""
    done, last = 0, monotonic()

    def advance(count: int) -> None:
        nonlocal done, last
        done += count
        if monotonic() - last >= every_seconds:
            last = monotonic()
            log.warning("search index: %d of %d cases (%.0f%%)", done, total, 100 * done / max(total, 1))

    return advance


# --- following the log ---------------------------------------------------------------------------


@dataclass
class DrainReport:
    changes: int = 0
    written: int = 0
    removed: int = 0


class IndexSyncer:
    """Applies the change log to one index replica; one per server process (and per CLI run).

    In a server its thread does all the index writing: a request whose change must be searchable when it
    returns wakes the thread and waits (``apply_now``), so concurrent approvals share one index commit
    and no request thread queues for the index's write lock. Several processes sharing a data folder
    share its replica: they take turns under the index's write lock.
    """

    def __init__(self, engine: Engine, index: SearchIndex, *, lock_timeout: float = 2.0, poll_seconds: float = 2.0,
                 on_written: Callable[[list[int]], None] | None = None,
                 away_after: timedelta = AWAY_AFTER):  # fmt: skip
        """``on_written(case_ids)`` hears of the cases being written to the index (before its commit, which
        a segment merge can make take most of a second: what it starts need not wait for that)."""
        self.engine = engine
        self.on_written = on_written
        self.index = index
        self.lock_timeout = lock_timeout
        self.poll_seconds = poll_seconds
        self.away_after = away_after
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._passes = threading.Condition()
        self._passes_started = 0
        self._passes_done = 0
        self._reported_at = 0.0
        self._error: str | None = None
        self._announced: str | None = None  # the rebuild this process said it starts (retried while another builds)
        self.caught_up = threading.Event()  # set once the index has caught up with the database since start

    @property
    def folder(self) -> str:
        return str(self.index.path.resolve())

    def needs_rebuild(self) -> str | None:
        """Why the replica must be rebuilt from the database, or None when it can follow the log."""
        if not self.index.is_current():
            return "built by another version" if self.index.exists() else "no index yet"
        position = position_of(self.index)
        if position is None:
            return "no cursor for this folder"
        with db.reader(self.engine).connect() as connection:
            if changelog.missed(connection, position):
                return "away longer than the change log keeps"
        return None

    def drain(self, *, limit: int | None = None) -> DrainReport:
        """Apply the log in batches until it has been read to the end (or ``limit`` changes are done)."""
        report = DrainReport()
        try:
            while limit is None or report.changes < limit:
                if not self._drain_batch(report):
                    break
        except IndexBusy:
            raise
        except Exception as error:
            self._error = f"{type(error).__name__}: {error}"
            self._report(force=True)
            raise
        recovered, self._error = self._error is not None, None
        self._report(force=recovered)
        return report

    def _drain_batch(self, report: DrainReport) -> bool:
        """Apply one batch; whether there is more to read at once."""
        if not self.pending():  # the common case for the poller: no need to open a writer
            return False
        with self.index.updating(timeout=self.lock_timeout) as update:
            if not update.note or "position" not in update.note:
                raise RuntimeError("the search index has no cursor: it must be rebuilt")
            position = Position.from_public(update.note["position"])
            with db.reader(self.engine).connect() as connection:
                batch = changelog.read(connection, position, limit=BATCH)
            documents = documents_for(self.engine, batch.case_ids) if batch.case_ids else []
            if documents and self.on_written is not None:  # embedding goes on while the index commits
                self.on_written([document.id for document in documents])
            for document in documents:
                update.put(document)
            for case_id in batch.case_ids - {document.id for document in documents}:
                update.remove(case_id)
            update.note = {**update.note, "position": batch.position.public()}
        report.changes += batch.rows
        report.written += len(documents)
        report.removed += len(batch.case_ids) - len(documents)
        return batch.more

    def _report(self, *, force: bool = False) -> None:
        """Tell the database where this replica stands (at most every REPORT_SECONDS unless forced) and
        prune the log of what every replica has passed. Best effort: the next report corrects it."""
        if not force and monotonic() - self._reported_at < REPORT_SECONDS:
            return
        note = self.index.note()
        if not note or "replica" not in note:
            return
        self._reported_at = monotonic()
        position = Position.from_public(note["position"])
        try:
            with self.engine.begin() as connection:
                lag = changelog.waiting(connection, position)
                changelog.report(connection, note["replica"], self.folder, position,
                                 documents=self.index.doc_count(), lag=lag, error=self._error)  # fmt: skip
            with self.engine.begin() as connection:
                changelog.prune(connection, away_after=self.away_after)
        except (IntegrityError, SQLAlchemyError):
            log.debug("reporting the index replica failed; it is retried", exc_info=True)

    def apply_now(self) -> None:
        """Bring the index up to date right after a commit, before the request answers.

        With the thread running: wake it and wait (at most APPLY_WAIT_SECONDS) for a pass that began after
        this call. Without it (a command, a test without the server's start-up): apply here. A failure is
        left to the thread's retries either way.
        """
        if self._thread is None:
            try:
                self.drain(limit=BATCH)
            except IndexBusy:
                pass
            except Exception:
                log.exception("search index update failed; it will be retried")
            return
        with self._passes:
            wanted = self._passes_started + 1
            self._wake.set()
            self._passes.wait_for(lambda: self._passes_done >= wanted or self._thread is None, APPLY_WAIT_SECONDS)

    def pending(self) -> int:
        """How many changes of the log this replica has not applied yet."""
        return self.lag()[0]

    def lag(self) -> tuple[int, float]:
        """(changes waiting to reach the index, seconds the oldest of them has waited)."""
        position = position_of(self.index) or Position()
        with db.reader(self.engine).connect() as connection:
            return changelog.waiting(connection, position)

    # --- the background thread --------------------------------------------------------------------

    def wake(self) -> None:
        """Read the log now (another machine has changed it), without waiting for the next poll."""
        self._wake.set()

    def attach(self) -> None:
        """Apply urgent changes committed through this syncer's engine right after their commit."""
        setattr(self.engine, SYNCER_ATTRIBUTE, self)

    def start(self) -> None:
        self._stop.clear()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="heatcases-index-sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)
        with self._passes:
            self._passes.notify_all()

    def catch_up(self) -> None:
        """At start: rebuild a replica that cannot follow the log (or disagrees with the database), then
        read the log to its end."""
        if self.index.is_current() and position_of(self.index) is not None and replica_of(self.index) is None:
            self._adopt()  # (registered first: then no one prunes what it still needs, or it sees it was)
        reason = self.needs_rebuild()
        if reason is None and self.pending() == 0 and self.index.doc_count() != count_searchable(self.engine):
            reason = "out of step with the database"
        if reason is not None:
            total = count_searchable(self.engine)
            if reason != self._announced:  # once: another process of this folder may be building it, and we retry
                log.warning("search index in %s: %s; building it from the database (%d cases)", self.folder, reason,
                            total)  # fmt: skip
                self._announced = reason
            started = monotonic()
            count = rebuild(self.engine, self.index, lock_timeout=self.lock_timeout * 5, limitmb=SERVER_POOL_MB,
                            on_batch=_progress_logger(total))  # fmt: skip
            elapsed = monotonic() - started
            log.warning("search index built: %d cases in %.1f s; following the change log", count, elapsed)
        self.drain()
        self._report(force=True)
        self.caught_up.set()

    def _adopt(self) -> None:
        """An index copied from another folder or machine (to join faster than a rebuild): it reads on from
        the copy's cursor as a replica of its own."""
        with self.index.updating(timeout=self.lock_timeout * 5) as update:
            if update.note and replica_of(self.index) is None:
                position = Position.from_public(update.note["position"])
                update.note = _note(str(uuid.uuid4()), self.folder, position)
                log.warning("search index in %s copied from elsewhere: following the log from its cursor", self.folder)
        self._report(force=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._one_pass()
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _one_pass(self) -> None:
        """Drain once, then tell the requests waiting in ``apply_now`` that a pass has ended."""
        with self._passes:
            self._passes_started += 1
            number = self._passes_started
        try:
            if not self.caught_up.is_set():
                self.catch_up()
            else:
                self.drain()
        except IndexBusy:
            self._wake.set()  # try again soon, not at the next poll
            self._stop.wait(0.2)
        except Exception:
            log.exception("search index update failed; it will be retried")
            if self.needs_rebuild() is not None:  # (another process's rebuild replaced it meanwhile)
                self.caught_up.clear()
        finally:
            with self._passes:
                self._passes_done = number
                self._passes.notify_all()
