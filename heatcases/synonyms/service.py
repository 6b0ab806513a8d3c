"""Supervisors' synonyms: groups of words and query pins kept in the database, applied without a restart.

The shipped file (``heatcases/search/data/synonyms.txt``) stays the default; the database adds groups to it
and pins cases to queries. Every change is one transaction that also writes its history row and raises the
one-row counter ``synonym_version``; each process's :class:`SynonymCache` reads that counter at most every
``HEATCASES_SYNONYMS_REFRESH_SECONDS`` (2 s) during a search and reloads the groups and pins when it moved,
and the process that made a change reloads at once. The groups reach search through
:func:`heatcases.search.text.set_extra_synonym_groups` (query time only: the index is not rebuilt), the pins
through the search service's ``tuning`` hook.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from heatcases import db
from heatcases.cases import service as case_service
from heatcases.db import utcnow
from heatcases.errors import Conflict, InvalidInput, NotFound
from heatcases.i18n import translate
from heatcases.models import Case, Impression, SearchPin, SearchQuery, SynonymChange, SynonymGroup, SynonymVersion, User
from heatcases.search import text
from heatcases.search.service import SearchService, normalized_query
from heatcases.synonyms.schemas import (
    Attention,
    AttentionQuery,
    ChangePublic,
    PinPublic,
    SynonymGroupPublic,
)

MIN_WORDS, MAX_WORDS = 2, 20
MAX_WORD_CHARS = 20
MAX_QUERY_CHARS = 200
MAX_PINS_PER_QUERY = 5
SHOWN_USERNAMES = 5


def _invalid(field: str, key: str) -> InvalidInput:
    """A field's problem: the API says it in English, a page in the reader's language (the catalogs' key)."""
    return InvalidInput(field, translate(key, "en"), message_key=key)


# --- validation -----------------------------------------------------------------------------------


def clean_words(words: list[str]) -> list[str]:
    """A group's words, normalised as search reads them (Simplified, lower case), distinct, in order."""
    cleaned: dict[str, None] = {}
    for raw in words:
        word = text.normalize(raw.strip())
        if not word:
            continue
        if any(char.isspace() for char in word):
            raise _invalid("words", "tuning.error.space")
        if len(word) > MAX_WORD_CHARS:
            raise _invalid("words", "tuning.error.length")
        if not any(True for _ in text.tokens(word, for_index=False)):
            raise _invalid("words", "tuning.error.no_meaning")
        cleaned.setdefault(word, None)
    if len(cleaned) < MIN_WORDS:
        raise _invalid("words", "tuning.error.too_few")
    if len(cleaned) > MAX_WORDS:
        raise _invalid("words", "tuning.error.too_many")
    return list(cleaned)


def clean_query(raw: str) -> str:
    """A query to pin, as search logs and looks it up (``search.service.normalized_query``)."""
    if len(raw.strip()) > MAX_QUERY_CHARS:
        raise _invalid("query", "pins.error.query_length")
    query = normalized_query(raw)
    if not query:
        raise _invalid("query", "pins.error.query_empty")
    return query


# --- the version every process watches -----------------------------------------------------------


def _bump_version(session: Session) -> None:
    """Raise the counter first in the transaction, before reading what the change depends on: its row lock
    makes concurrent changes wait for each other (PostgreSQL; SQLite has one writer anyway), so two
    supervisors pinning the same case get 201 and 409, never a failed unique constraint."""
    table = SynonymVersion.__table__
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    statement = module.insert(table).values(id=1, version=1, changed_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id], set_={"version": table.c.version + 1, "changed_at": now}
    )
    session.execute(statement)


def read_version(session: Session) -> tuple[int, object]:
    row = session.execute(
        select(SynonymVersion.version, SynonymVersion.changed_at).where(SynonymVersion.id == 1)
    ).first()
    return (row.version, row.changed_at) if row else (0, None)


def _record(session: Session, actor: User, action: str, **fields) -> None:
    session.add(SynonymChange(actor_id=actor.id, action=action, **fields))


# --- groups ---------------------------------------------------------------------------------------


def shipped_groups() -> list[list[str]]:
    """The shipped file's groups (read-only here: the team edits the file)."""
    return [list(group) for group in text.synonym_groups()]


def list_groups(session: Session) -> list[SynonymGroup]:
    """The supervisors' groups in use, oldest first."""
    return list(session.scalars(select(SynonymGroup).where(SynonymGroup.active).order_by(SynonymGroup.id)).unique())


def _active_group(session: Session, group_id: int) -> SynonymGroup:
    group = session.get(SynonymGroup, group_id)
    if group is None or not group.active:
        raise NotFound("no such synonym group", message_key="tuning.error.not_found")
    return group


def _check_not_a_copy(session: Session, words: list[str], *, besides: int | None = None) -> None:
    wanted = frozenset(words)
    if any(frozenset(group) == wanted for group in text.synonym_groups()):
        raise Conflict(translate("tuning.error.duplicate", "en"), message_key="tuning.error.duplicate")
    for group in list_groups(session):
        if group.id != besides and frozenset(group.words) == wanted:
            raise Conflict(translate("tuning.error.duplicate", "en"), message_key="tuning.error.duplicate")


def add_group(session: Session, actor: User, words: list[str], *, cache: SynonymCache | None = None) -> SynonymGroup:
    """Add a group of synonyms; searches use it at once in this process, within seconds in the others."""
    cleaned = clean_words(words)
    _bump_version(session)
    _check_not_a_copy(session, cleaned)
    now = utcnow()
    group = SynonymGroup(words=cleaned, created_by_id=actor.id, created_at=now, updated_by_id=actor.id, updated_at=now)
    session.add(group)
    session.flush()
    _record(session, actor, "group_added", group_id=group.id, after={"words": cleaned})
    session.commit()
    _applied(session, cache)
    return _reload_group(session, group.id)


def edit_group(
    session: Session, actor: User, group_id: int, words: list[str], *, cache: SynonymCache | None = None
) -> SynonymGroup:
    """Replace a group's words."""
    cleaned = clean_words(words)
    _bump_version(session)
    group = _active_group(session, group_id)
    if group.words == cleaned:
        session.rollback()
        return group
    _check_not_a_copy(session, cleaned, besides=group.id)
    before = list(group.words)
    group.words, group.updated_by_id, group.updated_at = cleaned, actor.id, utcnow()
    session.add(group)
    _record(session, actor, "group_edited", group_id=group.id, before={"words": before}, after={"words": cleaned})
    session.commit()
    _applied(session, cache)
    return _reload_group(session, group.id)


def remove_group(session: Session, actor: User, group_id: int, *, cache: SynonymCache | None = None) -> None:
    """Stop using a group (kept, inactive, for the history)."""
    _bump_version(session)
    group = _active_group(session, group_id)
    group.active, group.updated_by_id, group.updated_at = False, actor.id, utcnow()
    session.add(group)
    _record(session, actor, "group_removed", group_id=group.id, before={"words": list(group.words)})
    session.commit()
    _applied(session, cache)


def _reload_group(session: Session, group_id: int) -> SynonymGroup:
    session.expire_all()
    return session.get(SynonymGroup, group_id)


def group_public(group: SynonymGroup) -> SynonymGroupPublic:
    return SynonymGroupPublic(
        id=group.id,
        words=list(group.words),
        created_by=group.created_by.username,
        created_at=group.created_at,
        updated_by=group.updated_by.username,
        updated_at=group.updated_at,
    )


# --- pins -----------------------------------------------------------------------------------------


def list_pins(session: Session) -> list[PinPublic]:
    """Every pin, by query, then in the order they were pinned."""
    rows = session.execute(
        select(SearchPin, Case.title, Case.status, Case.archived, User.username)
        .join(Case, Case.id == SearchPin.case_id)
        .join(User, User.id == SearchPin.created_by_id)
        .order_by(SearchPin.query, SearchPin.id)
    ).all()
    return [
        PinPublic(
            id=pin.id,
            query=pin.query,
            case_id=pin.case_id,
            case_title=title,
            in_library=status == "approved" and not archived,
            created_by=username,
            created_at=pin.created_at,
        )
        for pin, title, status, archived, username in rows
    ]


def add_pin(session: Session, actor: User, query: str, case_id: int, *, cache: SynonymCache | None = None) -> PinPublic:
    """Pin an approved case to a query: it comes first on the query's first page of results."""
    normalized = clean_query(query)
    _bump_version(session)
    case = session.get(Case, case_id)
    if case is None or not case_service.is_listed(case):
        raise _invalid("case_id", "pins.error.case")
    pinned = session.scalars(select(SearchPin.case_id).where(SearchPin.query == normalized)).all()
    if case_id in pinned:
        raise Conflict(translate("pins.error.duplicate", "en"), message_key="pins.error.duplicate")
    if len(pinned) >= MAX_PINS_PER_QUERY:
        raise _invalid("query", "pins.error.too_many")
    pin = SearchPin(query=normalized, case_id=case_id, created_by_id=actor.id)
    session.add(pin)
    session.flush()
    _record(
        session, actor, "pin_added", pin_query=normalized, case_id=case_id,
        after={"query": normalized, "case_id": case_id, "title": case.title},
    )  # fmt: skip
    session.commit()
    _applied(session, cache)
    return next(item for item in list_pins(session) if item.id == pin.id)


def remove_pin(session: Session, actor: User, pin_id: int, *, cache: SynonymCache | None = None) -> None:
    """Unpin: the case goes back to wherever the query ranks it."""
    _bump_version(session)
    pin = session.get(SearchPin, pin_id)
    if pin is None:
        raise NotFound("no such pin", message_key="pins.error.not_found")
    title = session.scalar(select(Case.title).where(Case.id == pin.case_id))
    before = {"query": pin.query, "case_id": pin.case_id, "title": title}
    _record(session, actor, "pin_removed", pin_query=pin.query, case_id=pin.case_id, before=before)
    session.delete(pin)
    session.commit()
    _applied(session, cache)


# --- history --------------------------------------------------------------------------------------


def history(session: Session, *, limit: int = 100) -> list[ChangePublic]:
    """The latest changes first: who added, edited or removed which group or pin, and what it was."""
    rows = session.execute(
        select(SynonymChange, User.username)
        .join(User, User.id == SynonymChange.actor_id)
        .order_by(SynonymChange.id.desc())
        .limit(limit)
    ).all()
    return [
        ChangePublic(
            id=change.id,
            actor=username,
            action=change.action,
            group_id=change.group_id,
            query=change.pin_query,
            case_id=change.case_id,
            before=change.before,
            after=change.after,
            created_at=change.created_at,
        )  # fmt: skip
        for change, username in rows
    ]


# --- the queries that need attention --------------------------------------------------------------


def attention(session: Session, *, days: int = 30, limit: int = 50) -> Attention:
    """Queries of the last ``days`` days that found nothing, and those whose shown results nobody opened
    (first pages, typed text only), the most frequent first."""
    since = utcnow() - timedelta(days=days)
    period = [SearchQuery.searched_at >= since, SearchQuery.normalized != ""]
    zero = func.count().label("zero")
    zero_rows = session.execute(
        select(SearchQuery.normalized, zero, func.max(SearchQuery.searched_at), func.max(SearchQuery.id))
        .where(*period, SearchQuery.page == 1, SearchQuery.results == 0)
        .group_by(SearchQuery.normalized)
        .order_by(zero.desc(), SearchQuery.normalized)
        .limit(limit)
    ).all()
    # Shown but never opened: every search of the query (any page) showed cases, and none was opened.
    searches = func.count(distinct(SearchQuery.id)).filter(SearchQuery.page == 1).label("searches")
    unopened_rows = session.execute(
        select(SearchQuery.normalized, searches, func.max(SearchQuery.searched_at), func.max(SearchQuery.id))
        .join(Impression, Impression.query_id == SearchQuery.id)
        .where(*period, SearchQuery.results > 0)
        .group_by(SearchQuery.normalized)
        .having(func.count(Impression.opened_at) == 0)
        .order_by(searches.desc(), SearchQuery.normalized)
        .limit(limit)
    ).all()
    unopened_rows = [row for row in unopened_rows if row[1] > 0]
    queries = {row[0] for row in zero_rows} | {row[0] for row in unopened_rows}
    people: dict[str, list[str]] = {}
    latest: dict[str, int] = {}
    pins: dict[str, int] = {}
    if queries:
        for query, username in session.execute(
            select(SearchQuery.normalized, User.username)
            .join(User, User.id == SearchQuery.user_id)
            .where(*period, SearchQuery.normalized.in_(queries))
            .distinct()
            .order_by(SearchQuery.normalized, User.username)
        ):
            people.setdefault(query, []).append(username)
        last_ids = select(func.max(SearchQuery.id)).where(
            *period, SearchQuery.normalized.in_(queries), SearchQuery.page == 1
        )
        latest = dict(
            session.execute(
                select(SearchQuery.normalized, SearchQuery.results).where(
                    SearchQuery.id.in_(last_ids.group_by(SearchQuery.normalized))
                )
            ).all()
        )
        pins = dict(
            session.execute(
                select(SearchPin.query, func.count()).where(SearchPin.query.in_(queries)).group_by(SearchPin.query)
            ).all()
        )

    def row(query: str, count: int, last_at) -> AttentionQuery:
        who = people.get(query, [])
        return AttentionQuery(
            query=query, searches=count, users=len(who), usernames=who[:SHOWN_USERNAMES], last_searched_at=last_at,
            latest_results=latest.get(query, 0), pins=pins.get(query, 0),
        )  # fmt: skip

    return Attention(
        days=days,
        since=since,
        zero_results=[row(query, count, last_at) for query, count, last_at, _ in zero_rows],
        not_opened=[row(query, count, last_at) for query, count, last_at, _ in unopened_rows],
    )


# --- this process's copy --------------------------------------------------------------------------


class SynonymCache:
    """The supervisors' groups and pins as this process uses them: the search service's ``tuning``.

    ``refresh`` costs nothing between checks and one primary-key read at a check; it reloads only when the
    version moved. Groups and pins are replaced whole, so a search reads either the old or the new set."""

    def __init__(self, every: float = 2.0):
        self.every = every
        self.version: tuple | None = None
        self.groups: tuple[tuple[str, ...], ...] = ()
        self._pins: dict[str, tuple[int, ...]] = {}
        self._checked = -math.inf
        self._lock = threading.Lock()

    def refresh(self, session: Session, *, force: bool = False) -> None:
        """Reload from the database if the version moved; looks at most every ``every`` seconds unless forced."""
        now = time.monotonic()
        if not force and now - self._checked < self.every:
            return
        if not self._lock.acquire(blocking=force):
            return  # another thread of this process is reloading: this search uses what is there
        try:
            self._checked = now
            version = read_version(session)
            if force or version != self.version:
                groups = tuple(tuple(group.words) for group in list_groups(session))
                pins: dict[str, list[int]] = {}
                for query, case_id in session.execute(
                    select(SearchPin.query, SearchPin.case_id).order_by(SearchPin.query, SearchPin.id)
                ):
                    pins.setdefault(query, []).append(case_id)
                text.set_extra_synonym_groups(groups)
                self.groups, self._pins = groups, {query: tuple(ids) for query, ids in pins.items()}
                self.version = version
        finally:
            self._lock.release()

    def pinned(self, query: str) -> tuple[int, ...]:
        return self._pins.get(query, ())


def _applied(session: Session, cache: SynonymCache | None) -> None:
    """After a change committed: this process uses it from the next search on."""
    if cache is not None:
        db.begin_read(session)
        cache.refresh(session, force=True)
        session.commit()  # end the reading transaction


def install(search: SearchService, *, every: float) -> SynonymCache:
    """Plug the supervisors' synonyms and pins into a search service.

    The process starts from the shipped groups alone (its first search loads the database's), so nothing
    is left over from an app made before in the same process (the tests make one per test)."""
    text.set_extra_synonym_groups(())
    cache = SynonymCache(every=every)
    search.tuning = cache
    return cache


def cache_of(search: SearchService) -> SynonymCache | None:
    tuning = search.tuning
    return tuning if isinstance(tuning, SynonymCache) else None
