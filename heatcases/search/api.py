"""Search API: full-text search with filters and facets, and related cases."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from heatcases.cases import service as cases
from heatcases.cases.schemas import Behavior, BusinessLine, CaseId, DefectClass, Kind, Servqual, Tag
from heatcases.deps import ApiUser, ReviewerApiUser, SessionDep
from heatcases.errors import InvalidInput, error_responses
from heatcases.search import service
from heatcases.search.query import IndexFilters
from heatcases.search.schemas import IndexStatus, MeaningStatus, RelatedList, SearchResults, SearchStatus

router = APIRouter(prefix="/api", tags=["search"])


async def get_search(request: Request) -> service.SearchService:
    return request.app.state.search


SearchDep = Annotated[service.SearchService, Depends(get_search)]


def check_dates(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("to", "the end date is before the start date")


@router.get("/search", response_model=SearchResults)
def search(
    user: ApiUser,
    session: SessionDep,
    search: SearchDep,
    q: str = "",  # any text is a valid query; only its first 200 characters are used
    tag: Annotated[list[Tag], Query()] = [],
    behavior: Behavior | None = None,
    business_line: BusinessLine | None = None,
    featured: bool | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    kind: Kind | None = None,
    defect_class: DefectClass | None = None,
    servqual: Annotated[list[Servqual], Query()] = [],
    sort: Literal["relevance", "newest", "views"] = "relevance",
    mode: Literal["hybrid", "words", "meaning"] = "hybrid",
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResults:
    """Approved cases matching `q` (words; "a phrase"; -excluded) and the filters; `tag` may repeat.

    `kind` chooses exemplars or lessons (both without it); `defect_class` and `servqual` (may repeat: a hit has
    every element given) filter lessons. An empty `q` lists by the filters, newest first unless `sort` says
    otherwise. `mode` matches by words and meaning together (the default), or by one of them alone. Every hit
    shown counts an impression for the caller.
    """
    check_dates(date_from, date_to)
    if not q.strip() and sort == "relevance":
        sort = "newest"
    filters = IndexFilters(
        tags=list(dict.fromkeys(tag)), behavior=behavior, business_line=business_line, featured=featured,
        date_from=date_from, date_to=date_to, kind=kind, defect_class=defect_class,
        servqual=list(dict.fromkeys(servqual)),
    )  # fmt: skip
    params = service.SearchParams(q=q, filters=filters, sort=sort, mode=mode, page=page, per_page=per_page)
    result = service.search_cases(session, search, user, params)
    return SearchResults(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        hits=result.hits,
        facets=result.facets,
        suggestion=result.suggestion,
        unsearchable=result.unsearchable,
    )


@router.get("/cases/{case_id}/related", response_model=RelatedList, responses=error_responses(404))
def related(
    case_id: CaseId,
    user: ApiUser,
    session: SessionDep,
    search: SearchDep,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> RelatedList:
    """Approved cases most like this one (which the caller must be allowed to see)."""
    case = cases.get_case(session, case_id, user)
    hits = service.related_cases(session, search, user, case, limit=limit)
    return RelatedList(items=hits)


@router.get("/search/status", response_model=SearchStatus, responses=error_responses(403))
def search_status(user: ReviewerApiUser, search: SearchDep) -> SearchStatus:
    """For supervisors and admins: how many cases the word index holds and how far search by meaning has come
    (the model, whether its vectors are loaded, cases embedded of those in the library, and why not)."""
    return SearchStatus(
        index=IndexStatus(
            documents=search.index.doc_count(),
            queued=search.syncer.pending(),
            cache_mb=round(search.engine.cache_bytes / 2**20, 3),
        ),
        meaning=MeaningStatus(**search.meaning_status()),
    )
