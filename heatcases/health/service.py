"""Whether this server process can serve: its database answers and its search index has caught up.

Cheap by design (a load balancer asks every few seconds): one ``SELECT 1`` and one count of the changes
that have not yet reached the index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from heatcases.search.service import SearchService


@dataclass(frozen=True)
class Readiness:
    ready: bool
    database: bool  # the database answered
    index_current: bool  # the word index exists and was built by this version
    caught_up: bool  # it has caught up with the database since this process started
    documents: int | None  # cases the index holds
    lag_changes: int | None  # changes that have not reached the index yet
    lag_seconds: float | None  # how long the oldest of them has waited
    max_lag_seconds: float  # HEATCASES_READY_MAX_LAG_SECONDS

    def public(self) -> dict:
        return asdict(self)


def readiness(engine, search: SearchService, max_lag_seconds: float) -> Readiness:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = True
    except SQLAlchemyError:
        database = False
    current = search.index.is_current()
    caught_up = search.syncer.caught_up.is_set()
    documents = lag_changes = lag_seconds = None
    if current:
        documents = search.index.doc_count()
    if database:
        try:
            lag_changes, lag_seconds = search.syncer.lag()
        except SQLAlchemyError:
            database = False
    ready = database and current and caught_up and lag_seconds is not None and round(lag_seconds, 3) <= max_lag_seconds
    return Readiness(ready, database, current, caught_up, documents, lag_changes, lag_seconds, max_lag_seconds)
