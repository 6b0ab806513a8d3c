"""Keeping the index in step with the database, through a durable queue in the database.

Any flush that changes a case in the library writes an ``IndexTask`` row in the same transaction; a
case that is not and was not in the library (a submission, an edit of a pending case) needs none, and
neither does reading (the "most viewed" order comes from the database: ``views.py``). After the commit,
the process's one background thread applies the change, and the request waits for it, so an approval
is searchable when it returns (many requests' changes then go into one index commit). A task is
deleted only after the index commit that reflects it, so a failed or interrupted write (an exception,
a busy lock, kill -9) is retried and the index catches up by itself. Tasks are read under the index's
write lock, so two processes never apply an older state over a newer one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import Engine, delete, event, func, insert, inspect, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from heatcases import db
from heatcases.cases import service as case_service
from heatcases.db import utcnow
from heatcases.models import Case, CaseBehavior, CaseServqual, CaseTag, IndexTask
from heatcases.search.index import CaseDocument, IndexBusy, SearchIndex
from heatcases.vocab import canonical_behaviors, canonical_servqual, canonical_tags

log = logging.getLogger("heatcases.search")

BATCH = 500
MAX_ATTEMPTS = 20
SERVER_POOL_MB = 512  # a rebuild inside a running server keeps its memory modest (`heatcases reindex` is faster)
URGENT = "heatcases.index_urgent"
APPLY_WAIT_SECONDS = 5.0  # how long a request waits for its change to reach the index
SYNCER_ATTRIBUTE = "heatcases_index_syncer"


# --- the queue is written by the same transaction that changes a case --------------------------


def _in_library_before_or_after(case: Case) -> bool:
    """Whether the case is listed now or was before this flush (so its index entry may change)."""
    if case_service.is_listed(case):
        return True
    state = inspect(case)
    if state.pending:
        return False
    status, archived = state.attrs.status.history, state.attrs.archived.history
    before_status = status.deleted[0] if status.deleted else case.status
    before_archived = archived.deleted[0] if archived.deleted else case.archived
    return before_status == "approved" and not before_archived


def _changed_case_ids(session: OrmSession) -> set[int]:
    """The cases whose index entry this flush changes."""
    changed: set[int] = set()
    # A case inserted by this flush is not in the identity map until the flush is over.
    flushed = {obj.id: obj for obj in chain(session.new, session.dirty) if isinstance(obj, Case)}
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Case):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if obj in session.deleted or _in_library_before_or_after(obj):
                changed.add(obj.id)
        elif isinstance(obj, (CaseTag, CaseBehavior, CaseServqual)) and obj.case_id is not None:
            case = flushed.get(obj.case_id) or session.identity_map.get(identity_key(Case, obj.case_id))
            if case is None or _in_library_before_or_after(case):
                changed.add(obj.case_id)
    changed.discard(None)
    return changed


@event.listens_for(OrmSession, "after_flush")
def _enqueue(session: OrmSession, _flush_context) -> None:
    changed = _changed_case_ids(session)
    if not changed:
        return
    now = utcnow()
    rows = [{"case_id": case_id, "enqueued_at": now, "attempts": 0} for case_id in changed]
    session.connection().execute(insert(IndexTask.__table__), rows)
    session.info[URGENT] = True


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    urgent = session.info.pop(URGENT, False)
    if urgent and (syncer := getattr(session.bind, SYNCER_ATTRIBUTE, None)) is not None:
        syncer.apply_now()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(URGENT, None)


# --- turning cases into index documents --------------------------------------------------------


_DOCUMENT_COLUMNS = (Case.id, Case.title, Case.body, Case.business_line, Case.featured, Case.created_at,
                     Case.occurred_on, Case.status, Case.archived, Case.kind, Case.lesson,
                     Case.defect_class)  # fmt: skip


def searchable_body(body: str, lesson: str | None) -> str:
    """What a case's words are found in beside its title: the story, and a lesson's lesson after it."""
    return f"{body}\n\n{lesson}" if lesson else body


def _documents(connection, condition) -> tuple[list, list[CaseDocument]]:
    """(the case rows matching ``condition``, the index documents of those in the library).

    Plain rows, not ORM objects: a rebuild is CPU-bound. The condition should use the primary key
    only; with the status in the WHERE clause SQLite walks the status index instead.
    """
    scanned = connection.execute(select(*_DOCUMENT_COLUMNS).where(condition).order_by(Case.id)).all()
    rows = [row for row in scanned if case_service.is_listed(row)]
    if not rows:
        return scanned, []
    ids = [row.id for row in rows]
    tags: dict[int, list[str]] = {}
    for case_id, tag in connection.execute(select(CaseTag.case_id, CaseTag.tag).where(CaseTag.case_id.in_(ids))):
        tags.setdefault(case_id, []).append(tag)
    behaviors: dict[int, list[str]] = {}
    for case_id, code in connection.execute(
        select(CaseBehavior.case_id, CaseBehavior.behavior).where(CaseBehavior.case_id.in_(ids))
    ):
        behaviors.setdefault(case_id, []).append(code)
    elements: dict[int, list[str]] = {}
    for case_id, code in connection.execute(
        select(CaseServqual.case_id, CaseServqual.element).where(CaseServqual.case_id.in_(ids))
    ):
        elements.setdefault(case_id, []).append(code)
    documents = [
        CaseDocument(
            id=row.id,
            title=row.title,
            body=searchable_body(row.body, row.lesson),
            tags=canonical_tags(tags.get(row.id, [])),
            behaviors=canonical_behaviors(behaviors.get(row.id, [])),
            business_line=row.business_line,
            featured=row.featured,
            created_at=row.created_at,
            occurred_on=row.occurred_on,
            kind=row.kind,
            defect_class=row.defect_class,
            servqual=canonical_servqual(elements.get(row.id, [])),
        )  # fmt: skip
        for row in rows
    ]
    return scanned, documents


def documents_for(engine: Engine, case_ids) -> list[CaseDocument]:
    """The index documents of those of ``case_ids`` that are in the library."""
    with db.reader(engine).connect() as connection:
        return _documents(connection, Case.id.in_(list(case_ids)))[1]


def searchable_documents(engine: Engine, *, batch: int = 2000) -> Iterator[list[CaseDocument]]:
    """Every case in the library, in batches by id (keyset pagination: no growing OFFSET)."""
    last_id = 0
    while True:
        with db.reader(engine).connect() as connection:
            scanned, documents = _documents(
                connection, Case.id.in_(select(Case.id).where(Case.id > last_id).order_by(Case.id).limit(batch))
            )
        if not scanned:
            return
        last_id = scanned[-1].id
        if documents:
            yield documents


def count_searchable(engine: Engine) -> int:
    with Session(db.reader(engine)) as session:
        return session.exec(
            select(func.count()).select_from(Case).where(Case.status == "approved", Case.archived.is_(False))
        ).one()


def rebuild(engine: Engine, index: SearchIndex, *, on_batch=None, procs: int = 1, lock_timeout: float = 60.0,
            limitmb: int | None = None) -> int:  # fmt: skip
    """Rebuild the whole index from the database; returns the number of cases indexed.

    Tasks queued before the rebuild began are covered by it and removed; later ones stay queued and
    are applied on top (they are idempotent), so nothing changed during a long rebuild is lost.
    """
    started = utcnow()
    with Session(engine) as session:
        covered = session.exec(select(func.max(IndexTask.id))).one()
    count = index.rebuild(
        searchable_documents(engine), on_batch=on_batch, procs=procs, lock_timeout=lock_timeout, limitmb=limitmb
    )
    if covered is not None:
        with Session(engine) as session:
            session.execute(delete(IndexTask).where(IndexTask.id <= covered, IndexTask.enqueued_at <= started))
            session.commit()
    return count


# --- applying the queue -----------------------------------------------------------------------


@dataclass
class DrainReport:
    tasks: int = 0
    written: int = 0
    removed: int = 0


class IndexSyncer:
    """Applies queued tasks to one index; one per server process (and per CLI run).

    In a server its thread does all the index writing: a request whose change must be searchable when it
    returns wakes the thread and waits (``apply_now``), so concurrent approvals share one index commit
    and no request thread queues for the index's write lock.
    """

    def __init__(self, engine: Engine, index: SearchIndex, *, lock_timeout: float = 2.0, poll_seconds: float = 2.0,
                 on_written: Callable[[list[int]], None] | None = None):  # fmt: skip
        """``on_written(case_ids)`` hears of the cases being written to the index (before its commit, which
        a segment merge can make take most of a second: what it starts need not wait for that)."""
        self.engine = engine
        self.on_written = on_written
        self.index = index
        self.lock_timeout = lock_timeout
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._passes = threading.Condition()
        self._passes_started = 0
        self._passes_done = 0
        self.caught_up = threading.Event()  # set once the index has caught up with the database since start

    def drain(self, *, limit: int | None = None) -> DrainReport:
        """Apply queued tasks in batches until none is left (or ``limit`` tasks are done)."""
        report = DrainReport()
        while limit is None or report.tasks < limit:
            try:
                done = self._drain_batch(report)
            except IndexBusy:
                raise
            except Exception as error:
                self._record_failure(error)
                raise
            if done < BATCH:
                break
        return report

    @staticmethod
    def _queued():
        return select(IndexTask.id).where(IndexTask.attempts < MAX_ATTEMPTS)

    def _drain_batch(self, report: DrainReport) -> int:
        if not self.pending():  # the common case for the poller: no need to open a writer
            return 0
        with self.index.updating(timeout=self.lock_timeout) as update:
            read_at = utcnow()
            with Session(db.reader(self.engine)) as session:
                tasks = list(
                    session.exec(
                        select(IndexTask.id, IndexTask.case_id)
                        .where(IndexTask.id.in_(self._queued().order_by(IndexTask.id).limit(BATCH)))
                        .order_by(IndexTask.id)
                    )
                )
                if not tasks:
                    return 0
            case_ids = {case_id for _task_id, case_id in tasks}
            documents = documents_for(self.engine, case_ids)
            if documents and self.on_written is not None:  # embedding goes on while the index commits
                self.on_written([document.id for document in documents])
            task_ids = [task_id for task_id, _case_id in tasks]
            for document in documents:
                update.put(document)
            for case_id in case_ids - {document.id for document in documents}:
                update.remove(case_id)
        # The index has committed: only now may the tasks go. Not a task queued since: another process may
        # have applied this batch too and deleted it already, and SQLite reuses the ids of deleted rows.
        with Session(self.engine) as session:
            session.execute(delete(IndexTask).where(IndexTask.id.in_(task_ids), IndexTask.enqueued_at <= read_at))
            session.commit()
        report.tasks += len(task_ids)
        report.written += len(documents)
        report.removed += len(case_ids) - len(documents)
        return len(task_ids)

    def _record_failure(self, error: Exception) -> None:
        """Count the failed attempt on the batch that was being applied (for the operator to see)."""
        with Session(self.engine) as session:
            batch = self._queued().order_by(IndexTask.id).limit(BATCH)
            session.execute(
                update(IndexTask)
                .where(IndexTask.id.in_(batch.scalar_subquery()))
                .values(attempts=IndexTask.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:500])
            )
            session.commit()

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
        """How many tasks wait (and may still be retried)."""
        with Session(db.reader(self.engine)) as session:
            return session.exec(select(func.count()).select_from(self._queued().subquery())).one()

    def lag(self) -> tuple[int, float]:
        """(changes waiting to reach the index, seconds the oldest of them has waited)."""
        with Session(db.reader(self.engine)) as session:
            waiting, oldest = session.exec(
                select(func.count(), func.min(IndexTask.enqueued_at)).where(IndexTask.attempts < MAX_ATTEMPTS)
            ).one()
        if not waiting or oldest is None:
            return 0, 0.0
        return waiting, max(0.0, (utcnow() - oldest).total_seconds())

    # --- the background thread --------------------------------------------------------------------

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
        """At start: rebuild an index that is missing or disagrees with the database, else drain."""
        if not self.index.is_current():
            if self.index.exists():
                log.warning("search index built by another version: rebuilding it")
            else:
                log.info("no search index yet: building it")
            rebuild(self.engine, self.index, lock_timeout=self.lock_timeout * 5, limitmb=SERVER_POOL_MB)
        elif self.pending() == 0 and self.index.doc_count() != count_searchable(self.engine):
            log.warning("search index out of step with the database: rebuilding it")
            rebuild(self.engine, self.index, lock_timeout=self.lock_timeout * 5, limitmb=SERVER_POOL_MB)
        self.drain()
        self.caught_up.set()

    def _run(self) -> None:
        try:
            self.catch_up()
        except IndexBusy:
            pass
        except Exception:
            log.exception("search index catch-up failed; it will be retried")
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            self._one_pass()

    def _one_pass(self) -> None:
        """Drain once, then tell the requests waiting in ``apply_now`` that a pass has ended."""
        with self._passes:
            self._passes_started += 1
            number = self._passes_started
        try:
            self.drain()
            if self.index.is_current():  # (another process may have rebuilt it while this one waited)
                self.caught_up.set()
        except IndexBusy:
            self._wake.set()  # try again soon, not at the next poll
            self._stop.wait(0.2)
        except Exception:
            log.exception("search index update failed; it will be retried")
        finally:
            with self._passes:
                self._passes_done = number
                self._passes.notify_all()
