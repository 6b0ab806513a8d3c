"""Search as the library's users meet it: results from the index, truth from the database.

The index says which cases match and in which order; the database decides what is shown (only
approved, non-archived cases, with their current title, views and featured flag). Every search is
logged with its result count, and every case shown counts an impression for the person shown it.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy import Row, insert
from sqlmodel import Session, select

from heatcases import db
from heatcases.cases import service as case_service
from heatcases.config import Settings
from heatcases.models import Case, CaseTag, Impression, SearchQuery, User
from heatcases.privacy import mask_personal_data
from heatcases.search import crosslingual, text
from heatcases.search.documents import searchable_body
from heatcases.search.embedding import Embedder, Matches
from heatcases.search.engine import Engine, EngineResult
from heatcases.search.index import SearchIndex
from heatcases.search.listener import ChangeListener
from heatcases.search.query import IndexFilters, ParsedQuery, parse_query
from heatcases.search.schemas import SearchHitPublic
from heatcases.search.snippets import make_snippet
from heatcases.search.sync import IndexSyncer
from heatcases.search.vectors import PassageFiller, ProgressMeter, VectorStore
from heatcases.search.views import ViewCounts
from heatcases.vocab import canonical_tags

log = logging.getLogger("heatcases.search")

SORTS = ("relevance", "newest", "views")
FEEDBACK_WEIGHT = 0.5  # how far a query's vector moves towards its first best cases' (Engine._fuse)
MAX_RANKED = 2000  # deeper pages than this show no hits (the total is still exact)


class SearchTuning(Protocol):
    """What supervisors change in search while it runs (heatcases.synonyms): synonym groups and pinned cases."""

    def refresh(self, session: Session) -> None:
        """Bring the synonyms up to date (cheap: looks at the database at most every few seconds)."""

    def pinned(self, query: str) -> tuple[int, ...]:
        """The cases pinned to this normalised query, in their order."""


class SearchService:
    """One per process: the index, its engine and the syncer that keeps it up to date."""

    def __init__(self, settings: Settings, engine, *, index_path: Path | None = None):
        self.db_engine = engine
        self.index = SearchIndex(index_path or settings.data_dir / "index")
        self.view_counts = ViewCounts(engine, every=settings.views_refresh_seconds)
        self.embedder = Embedder(disabled=not settings.semantic_search)
        self.vectors = VectorStore(engine, self.embedder, graph_dir=self.index.path.parent / "vectors")
        self.filler = PassageFiller(engine, self.embedder, lock_path=self.index.path.parent / "embedding.lock")
        self.embedding_meter = ProgressMeter(engine, self.embedder.name)
        self.engine = Engine(self.index, views_of=self.view_counts.of, meaning=self.by_meaning)
        self.syncer = IndexSyncer(engine, self.index, on_written=self.filler.want)
        self.syncer.attach()
        self.listener = ChangeListener(engine.url, self.syncer.wake) if engine.dialect.name == "postgresql" else None
        self.tuning: SearchTuning | None = None  # installed by heatcases.synonyms.service.install
        self._users = 0

    def start(self) -> None:
        """Start the background catch-up (also applying whatever was queued while we were down), the
        embedding of cases and the reading of their vectors."""
        self._users += 1
        self.syncer.start()
        if self.listener is not None:
            self.listener.start()
        self.filler.start()
        self.vectors.start()
        threading.Thread(target=self._warm_up, name="heatcases-search-warm-up", daemon=True).start()

    def by_meaning(self, typed: str, like: tuple[int, ...] = (), among: np.ndarray | None = None) -> Matches:
        """The cases nearest in meaning to what was typed, and to the cases ``like`` when given, among the
        cases ``among`` when given (see :meth:`Engine._fuse`); with nothing typed, to the cases ``like``
        alone (related cases). None found while the vectors load, or without a model."""
        if not (typed or like) or not self.vectors.ready:
            return Matches.none()
        try:
            if not typed:
                query = self.vectors.mean_of(list(like))
                return self.vectors.search(query) if query.any() else Matches.none()
            query = _query_vector(self.embedder, typed)
            if like:
                query = query + FEEDBACK_WEIGHT * self.vectors.mean_of(list(like))
                query = query / max(float(np.linalg.norm(query)), 1e-9)
            return self.vectors.search(query) if among is None else self.vectors.rescore(query, among)
        except Exception:  # search by words still answers
            log.exception("search by meaning failed; answering by words only")
            return Matches.none()

    def best_passages(self, case_ids: list[int], typed: str) -> dict[int, tuple[int, int]]:
        """Where in each story the passage nearest to what was typed is (for the snippets shown)."""
        try:
            return self.vectors.best_passages(case_ids, _query_vector(self.embedder, typed))
        except Exception:  # the snippet falls back to the words
            log.exception("finding the passages that matched failed")
            return {}

    def meaning_status(self) -> dict:
        """For the operator: is search by meaning on, and how far has the embedding of cases come."""
        status = {"model": self.embedder.name, "enabled": not self.embedder.disabled, "ready": self.vectors.ready,
                  "vectors": self.vectors.size, "graph": self.vectors.graph,
                  "error": self.embedder.error or self.vectors.error}  # fmt: skip
        if status["enabled"]:
            progress = self.embedding_meter.progress()
            status.update(embedded_cases=progress.embedded, listed_cases=progress.listed)
        return status

    def _warm_up(self) -> None:
        """Read the index's lengths, columns and filter postings, the view counts and the English-Chinese
        dictionary, once, so the first user waits less."""
        try:
            self.view_counts.refresh_when_due()
            for words in ("客人", "航斑"):  # the second one builds the spelling index
                self.engine.search(parse_query(words), IndexFilters(), sort="relevance", offset=0, limit=10)
            crosslingual.warm_up()
        except Exception:  # an index being rebuilt or not there yet: the first search will do it
            log.debug("search warm-up skipped", exc_info=True)

    def stop(self) -> None:
        self._users -= 1
        if self._users <= 0:
            if self.listener is not None:
                self.listener.stop()
            self.syncer.stop()
            self.filler.stop()
            self.vectors.stop()


@functools.lru_cache(maxsize=2048)
def _query_vector_cached(embedder: Embedder, typed: str):
    return embedder.encode([typed])[0]


def _query_vector(embedder: Embedder, typed: str):
    """The query's vector, in Simplified script like nearly all of the library (the model places a Traditional
    query further from the same words in Simplified than a Simplified one); kept: trainees search the same few
    hundred things all day."""
    return _query_vector_cached(embedder, text.simplified(typed[:200]))


@dataclass
class SearchParams:
    q: str = ""
    filters: IndexFilters = field(default_factory=IndexFilters)
    sort: str = "relevance"
    mode: str = "hybrid"  # or "words", "meaning": one way of matching alone
    page: int = 1
    per_page: int = 10

    def logged_filters(self) -> dict:
        chosen = self.filters
        logged = {
            "tag": chosen.tags,
            "behavior": chosen.behavior,
            "business_line": chosen.business_line,
            "featured": chosen.featured,
            "from": chosen.date_from.isoformat() if chosen.date_from else None,
            "to": chosen.date_to.isoformat() if chosen.date_to else None,
            "kind": chosen.kind,
            "defect_class": chosen.defect_class,
            "servqual": chosen.servqual,
        }
        return {name: value for name, value in logged.items() if value not in (None, [])}


@dataclass
class SearchPage:
    total: int
    page: int
    per_page: int
    hits: list[SearchHitPublic]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    query_id: int | None = None
    unsearchable: bool = False  # something was typed, but nothing in it could be searched


@dataclass(frozen=True)
class _Shown:
    """What a hit shows of a case: plain columns, not an ORM object (a search loads ten at a time)."""

    row: Row
    tags: list[str]
    score: float

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def author_id(self) -> int:
        return self.row.author_id


_HIT_COLUMNS = (Case.id, Case.title, Case.body, Case.business_line, Case.featured, Case.views, Case.occurred_on,
                Case.created_at, Case.status, Case.archived, Case.author_id, User.username.label("author"), Case.kind,
                Case.lesson, Case.defect_class)  # fmt: skip


def _load_shown(session: Session, ranked: list[tuple[int, float]]) -> list[_Shown]:
    """The ranked cases that the database says may be shown, in rank order."""
    if not ranked:
        return []
    ids = [case_id for case_id, _score in ranked]
    # By primary key only (a status condition makes SQLite walk the status index), then filtered.
    rows = session.execute(select(*_HIT_COLUMNS).join(User, User.id == Case.author_id).where(Case.id.in_(ids))).all()
    found = {row.id: row for row in rows if case_service.is_listed(row)}
    if not found:
        return []
    tags: dict[int, list[str]] = {}
    for case_id, tag in session.execute(select(CaseTag.case_id, CaseTag.tag).where(CaseTag.case_id.in_(list(found)))):
        tags.setdefault(case_id, []).append(tag)
    return [
        _Shown(found[case_id], canonical_tags(tags.get(case_id, [])), score)
        for case_id, score in ranked
        if case_id in found
    ]


@functools.lru_cache(maxsize=4096)
def _snippet(body: str, terms: tuple[str, ...], passage: tuple[int, int] | None = None) -> str:
    """A hit's snippet, kept: the same queries return the same cases all day (the key is the text itself,
    so an edited case gets a new one)."""
    return str(make_snippet(body, list(terms), passage=passage))


def _hit(shown: _Shown, terms: list[str], passage: tuple[int, int] | None = None, *,
         pinned: bool = False) -> SearchHitPublic:  # fmt: skip
    case = shown.row
    return SearchHitPublic(
        id=case.id,
        title=case.title,
        snippet=_snippet(searchable_body(case.body, case.lesson), tuple(terms), passage),
        tags=shown.tags,
        business_line=case.business_line,
        featured=case.featured,
        views=case.views,
        score=round(shown.score, 4),
        author=case.author,
        occurred_on=case.occurred_on,
        created_at=case.created_at,
        pinned=pinned,
        kind=case.kind,
        defect_class=case.defect_class,
    )


def record_impressions(session: Session, user: User, case_ids: list[int], *, source: str,
                       query_id: int | None = None, authors: dict[int, int] | None = None) -> None:  # fmt: skip
    """Count that ``user`` was shown these cases (not their own: authors do not count as readers)."""
    now = db.utcnow()
    rows = [
        {
            "user_id": user.id,
            "case_id": case_id,
            "query_id": query_id,
            "source": source,
            "position": position,
            "shown_at": now,
            "opened_at": None,
        }  # fmt: skip
        for position, case_id in enumerate(case_ids, start=1)
        if authors is None or authors.get(case_id) != user.id
    ]
    if rows:
        session.execute(insert(Impression.__table__), rows)


def normalized_query(typed: str) -> str:
    """A query as it is logged (``search_query.normalized``) and pinned: normalised, spaces collapsed."""
    return " ".join(text.normalize(typed).split())[:200]


def _pinned(search: SearchService, params: SearchParams, normalized: str) -> list[int]:
    """The cases supervisors pinned to this query that pass the filters (relevance order only)."""
    if search.tuning is None or params.sort != "relevance" or not normalized:
        return []
    pinned = search.tuning.pinned(normalized)
    return search.engine.filter_cases(list(pinned), params.filters) if pinned else []


def _search_with_pins(search: SearchService, parsed: ParsedQuery, params: SearchParams, pinned: list[int], *,
                      offset: int, limit: int) -> EngineResult:  # fmt: skip
    """The engine's results with the pinned cases in front: the pages before are ranked too, so a pinned case
    the query also finds is shown once, and no other case is skipped."""
    wanted = offset + limit + len(pinned)
    result = search.engine.search(parsed, params.filters, sort=params.sort, offset=0, limit=wanted)
    organic = [hit for hit in result.hits if hit[0] not in pinned]
    top = organic[0][1] if organic else 0.0
    result.total += len(set(pinned) - {case_id for case_id, _score in result.hits})
    result.hits = ([(case_id, top) for case_id in pinned] + organic)[offset : offset + limit]
    return result


def search_cases(session: Session, search: SearchService, user: User, params: SearchParams) -> SearchPage:
    """One page of search results, logged as a query with its impressions."""
    if search.tuning is not None:
        search.tuning.refresh(session)  # supervisors' synonyms, before the query is read
    parsed = parse_query(params.q)
    typed = mask_personal_data(parsed.raw).text  # someone may search for a phone number: never store it
    normalized = normalized_query(typed)
    offset = (params.page - 1) * params.per_page
    limit = params.per_page if offset < MAX_RANKED else 0
    pinned = _pinned(search, params, normalized) if limit else []
    if pinned:
        result = _search_with_pins(search, parsed, params, pinned, offset=offset, limit=limit)
    else:
        result = search.engine.search(
            parsed, params.filters, sort=params.sort, offset=offset, limit=limit, mode=params.mode
        )
    shown = _load_shown(session, result.hits)
    passages = search.best_passages([one.id for one in shown], parsed.meant) if result.meant else {}
    hits = [_hit(one, result.terms, passages.get(one.id), pinned=one.id in pinned) for one in shown]

    db.begin_write(session)
    query_id = None
    if parsed.raw or params.logged_filters():
        logged = SearchQuery(
            user_id=user.id,
            text=typed[:200],
            normalized=normalized,
            filters=params.logged_filters(),
            results=result.total,
            page=params.page,
        )
        session.add(logged)
        session.flush()
        query_id = logged.id
    record_impressions(
        session, user, [hit.id for hit in hits], source="search", query_id=query_id,
        authors={one.id: one.author_id for one in shown},
    )  # fmt: skip
    session.commit()
    return SearchPage(
        total=result.total,
        page=params.page,
        per_page=params.per_page,
        hits=hits,
        facets=result.facets,
        suggestion=result.suggestion,
        query_id=query_id,
        unsearchable=parsed.unsearchable,
    )


def related_cases(
    session: Session, search: SearchService, user: User, case: Case, *, limit: int = 5
) -> list[SearchHitPublic]:
    """Approved cases most like ``case``, each counted as shown to ``user``."""
    tags = canonical_tags(row.tag for row in case.tag_rows)
    ranked = search.engine.related(case.id, case.title, case.body, tags, case.business_line, limit + 3)
    shown = _load_shown(session, [(case_id, score) for case_id, score in ranked if case_id != case.id])[:limit]
    terms = []  # a related case is shown by its opening lines, nothing to mark
    hits = [_hit(other, terms) for other in shown]
    if not hits:  # nothing shown, nothing to count: no writer transaction
        return hits
    db.begin_write(session)
    record_impressions(
        session, user, [hit.id for hit in hits], source="related",
        authors={other.id: other.author_id for other in shown},
    )  # fmt: skip
    session.commit()
    return hits


def record_listing(session: Session, user: User, cases: list[Case], *, source: str) -> None:
    """Count the approved cases of a listing page as shown to ``user``."""
    shown = list({case.id: case for case in cases if case_service.is_listed(case)}.values())
    if not shown:
        return
    db.begin_write(session)
    record_impressions(
        session, user, [case.id for case in shown], source=source,
        authors={case.id: case.author_id for case in shown},
    )  # fmt: skip
    session.commit()
