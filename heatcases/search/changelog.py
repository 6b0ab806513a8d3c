"""The change log of the search index: written with every change to the library, read by every replica.

Any flush that changes a case in the library appends a ``SearchChange`` row in the same transaction (a
case that is not and was not in the library needs none, and neither does reading: the "most viewed"
order comes from the database, ``views.py``, so view counts need no entry). Readers never delete rows;
each index replica reads on from its own cursor (``Position``) and the log is pruned once every live
replica has passed a row.

Reading in order is the subtle part. On SQLite one writer at a time holds the database, so ids commit
in the order they were taken: a cursor of "the last id applied" is exact. On PostgreSQL ids from a
sequence commit out of order (a transaction that took id 10 may commit after the one that took 11), so
a reader that had moved past 11 would skip 10 for good. Each row therefore also records its writing
transaction's id (``tx``), and a reader orders the log by ``(tx, id)`` and asks PostgreSQL for the
*horizon*: the oldest transaction still running (``pg_snapshot_xmin``). Every row below the horizon is
final — its transaction has committed or rolled back — so the cursor may move past it; rows at or above
the horizon may still be joined by rows of a transaction yet to commit, so they are applied as they
appear and remembered one by one (``Position.seen``) until the horizon passes them.

On PostgreSQL the writing transaction also sends a ``NOTIFY`` (delivered when it commits) that wakes
the followers on every machine at once (``listener.py``); polling remains the fallback.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Connection, and_, delete, event, func, insert, inspect, literal_column, or_, select, tuple_
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.util import identity_key

from heatcases.cases import service as case_service
from heatcases.db import utcnow
from heatcases.models import Case, CaseBehavior, CaseServqual, CaseTag, SearchChange, SearchLogState, SearchReplica

CHANNEL = "heatcases_search"  # the PostgreSQL NOTIFY channel
URGENT = "heatcases.index_urgent"
SYNCER_ATTRIBUTE = "heatcases_index_syncer"
_TX = literal_column("pg_current_xact_id()::text::bigint")


def _postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


# --- writing: in the same transaction as the change ---------------------------------------------


def record(connection: Connection, case_ids: Iterable[int]) -> None:
    """Append one change per case to the log, in the caller's transaction (and, on PostgreSQL, wake the
    followers when it commits)."""
    rows = [{"case_id": case_id, "changed_at": utcnow()} for case_id in sorted(set(case_ids))]
    if not rows:
        return
    statement = insert(SearchChange.__table__)
    if _postgres(connection):
        statement = statement.values(tx=_TX)
        connection.execute(statement, rows)
        connection.execute(select(func.pg_notify(CHANNEL, "")))
    else:
        connection.execute(statement, rows)


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
    flushed = {obj.id: obj for obj in (*session.new, *session.dirty) if isinstance(obj, Case)}
    for obj in (*session.new, *session.dirty, *session.deleted):
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
def _log_changes(session: OrmSession, _flush_context) -> None:
    changed = _changed_case_ids(session)
    if changed:
        record(session.connection(), changed)
        session.info[URGENT] = True


@event.listens_for(OrmSession, "before_commit")
def _log_bulk_changes(session: OrmSession) -> None:
    listed = session.info.pop(case_service.BULK_LISTED, None)
    if listed:
        record(session.connection(), listed)
        session.info[URGENT] = True


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    urgent = session.info.pop(URGENT, False)
    if urgent and (syncer := getattr(session.bind, SYNCER_ATTRIBUTE, None)) is not None:
        syncer.apply_now()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(URGENT, None)
    session.info.pop(case_service.BULK_LISTED, None)


# --- reading: from a cursor, in commit-safe order -----------------------------------------------


@dataclass
class Position:
    """How far a replica has applied the log.

    Every row at or before ``(tx, id)`` in the log's order is applied and final; ``seen`` holds the
    ``(tx, id)`` of rows after it that are applied already (rows of transactions at or above the horizon
    when they were read). On SQLite ``tx`` is always None and ``seen`` stays empty.
    """

    tx: int | None = None
    id: int = 0
    seen: list[tuple[int, int]] = field(default_factory=list)

    def public(self) -> dict:
        return {"tx": self.tx, "id": self.id, "seen": [list(pair) for pair in self.seen]}

    @classmethod
    def from_public(cls, data: dict) -> Position:
        return cls(data.get("tx"), int(data.get("id") or 0), [tuple(pair) for pair in data.get("seen") or []])


@dataclass
class Batch:
    """Changes to apply, and the position once they are."""

    case_ids: set[int]
    rows: int
    position: Position
    more: bool  # the batch was full: read again at once


def horizon(connection: Connection) -> int | None:
    """The oldest transaction still running on PostgreSQL: every row below it is final. None on SQLite."""
    if not _postgres(connection):
        return None
    return connection.execute(select(literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))).scalar()


def _after(position: Position, postgres: bool):
    if postgres:
        if position.tx is None:
            return SearchChange.tx.is_not(None)
        return tuple_(SearchChange.tx, SearchChange.id) > tuple_(position.tx, position.id)
    return SearchChange.id > position.id


def read(connection: Connection, position: Position, *, limit: int) -> Batch:
    """The changes after ``position`` that are committed now, and where the reader stands after them."""
    postgres = _postgres(connection)
    below = horizon(connection)  # first: what is below it now is visible to the reads that follow
    order = (SearchChange.tx, SearchChange.id) if postgres else (SearchChange.id,)
    columns = (SearchChange.tx, SearchChange.id, SearchChange.case_id)
    final_zone = _after(position, postgres)
    if below is not None:
        final_zone = and_(final_zone, SearchChange.tx < below)
    final = connection.execute(select(*columns).where(final_zone).order_by(*order).limit(limit)).all()
    more = len(final) == limit
    seen = set(position.seen)
    fresh = [row for row in final if (row.tx, row.id) not in seen]
    new = Position(final[-1].tx, final[-1].id) if final else Position(position.tx, position.id)
    if new.tx is not None:
        seen = {pair for pair in seen if pair > (new.tx, new.id)}  # passed by the cursor now
    if below is not None and not more:
        # Rows of transactions at or above the horizon: committed, but a lower one may still come.
        recent = connection.execute(select(*columns).where(SearchChange.tx >= below).order_by(*order)).all()
        fresh += [row for row in recent if (row.tx, row.id) not in seen]
        seen.update((row.tx, row.id) for row in recent)
    new.seen = sorted(seen)
    return Batch({row.case_id for row in fresh}, len(fresh), new, more)


def end(connection: Connection) -> Position:
    """The position after every row that is final now (where a rebuild that starts now may begin), and
    never below where the log has been pruned to."""
    postgres = _postgres(connection)
    below = horizon(connection)
    query = select(SearchChange.tx, SearchChange.id)
    if below is not None:
        query = query.where(SearchChange.tx < below)
    order = (SearchChange.tx.desc(), SearchChange.id.desc()) if postgres else (SearchChange.id.desc(),)
    last = connection.execute(query.order_by(*order).limit(1)).first()
    pruned = connection.execute(select(SearchLogState.pruned_tx, SearchLogState.pruned_id)).first()
    candidates = [Position(*last)] if last else []
    if pruned:  # rows up to there are gone: a rebuild that begins now has no use for them
        candidates.append(Position(*pruned))
    if not candidates:
        return Position(None, 0)
    return max(candidates, key=lambda position: _key(connection, position.tx, position.id))


def waiting(connection: Connection, position: Position) -> tuple[int, float]:
    """(changes after ``position`` not yet applied, seconds the oldest of them has waited)."""
    postgres = _postgres(connection)
    query = select(func.count(), func.min(SearchChange.changed_at)).where(_after(position, postgres))
    if position.seen:
        query = query.where(tuple_(SearchChange.tx, SearchChange.id).not_in(position.seen))
    count, oldest = connection.execute(query).one()
    if not count or oldest is None:
        return 0, 0.0
    return count, max(0.0, (utcnow() - oldest).total_seconds())


# --- replicas: who reads the log, and pruning it --------------------------------------------------


def this_host() -> str:
    return socket.gethostname()


def report(connection: Connection, replica_id: str, folder: str, position: Position, *, documents: int,
           lag: tuple[int, float], error: str | None = None) -> None:  # fmt: skip
    """Record where this replica stands (its heartbeat): insert its row or update it."""
    values = {"host": this_host(), "folder": folder, "cursor_tx": position.tx, "cursor_id": position.id,
              "documents": documents, "lag_changes": lag[0], "lag_seconds": lag[1],
              "last_error": error[:500] if error else None, "seen_at": utcnow()}  # fmt: skip
    updated = connection.execute(
        SearchReplica.__table__.update().where(SearchReplica.id == replica_id).values(**values)
    ).rowcount
    if not updated:
        connection.execute(insert(SearchReplica.__table__).values(id=replica_id, started_at=utcnow(), **values))


def replicas(connection: Connection) -> list[SearchReplica]:
    return [SearchReplica(**row._mapping) for row in connection.execute(
        select(SearchReplica.__table__).order_by(SearchReplica.host, SearchReplica.folder))]  # fmt: skip


def _key(connection: Connection, tx: int | None, id_: int) -> tuple[int, int]:
    """A position as a comparable pair in the log's order."""
    return (tx if tx is not None else -1, id_) if _postgres(connection) else (0, id_)


def missed(connection: Connection, position: Position) -> bool:
    """Whether the log has been pruned past ``position`` (its reader has lost changes: it must rebuild)."""
    state = connection.execute(select(SearchLogState.pruned_tx, SearchLogState.pruned_id)).first()
    if state is None or (state.pruned_tx is None and not state.pruned_id):
        return False
    return _key(connection, position.tx, position.id) < _key(connection, state.pruned_tx, state.pruned_id)


def prune(connection: Connection, *, away_after: timedelta) -> int:
    """Forget replicas not seen for ``away_after`` (the log no longer waits for them), then delete the rows
    every remaining replica has passed and remember how far. Returns the rows deleted."""
    connection.execute(delete(SearchReplica).where(SearchReplica.seen_at < utcnow() - away_after))
    cursors = connection.execute(select(SearchReplica.cursor_tx, SearchReplica.cursor_id)).all()
    if not cursors:
        return 0
    postgres = _postgres(connection)
    if postgres and any(tx is None for tx, _id in cursors):
        return 0  # a replica that has not passed a row yet
    lowest = min(cursors, key=lambda cursor: _key(connection, *cursor))
    if postgres:
        passed = or_(SearchChange.tx < lowest.cursor_tx,
                     and_(SearchChange.tx == lowest.cursor_tx, SearchChange.id <= lowest.cursor_id))  # fmt: skip
    else:
        passed = SearchChange.id <= lowest.cursor_id
    deleted = connection.execute(delete(SearchChange).where(passed)).rowcount
    if deleted:
        values = {"pruned_tx": lowest.cursor_tx, "pruned_id": lowest.cursor_id, "pruned_at": utcnow()}
        state = connection.execute(select(SearchLogState.pruned_tx, SearchLogState.pruned_id)).first()
        if state is None:
            connection.execute(insert(SearchLogState.__table__).values(id=1, **values))
        elif _key(connection, state.pruned_tx, state.pruned_id) < _key(connection, *lowest):
            connection.execute(SearchLogState.__table__.update().values(**values))
    return deleted
