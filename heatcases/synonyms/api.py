"""Synonyms API (supervisors and admins): synonym groups, query pins, their history, queries needing attention."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from heatcases.deps import ReadSessionDep, ReviewerApiUser, SessionDep
from heatcases.errors import error_responses
from heatcases.synonyms import service
from heatcases.synonyms.schemas import (
    Attention,
    ChangeList,
    PinIn,
    PinList,
    PinPublic,
    RowId,
    SynonymGroupIn,
    SynonymGroupPublic,
    Synonyms,
)

router = APIRouter(prefix="/api/search", tags=["synonyms"])


def get_cache(request: Request) -> service.SynonymCache | None:
    """This process's copy of the groups and pins, reloaded right after a change made here."""
    return service.cache_of(request.app.state.search)


CacheDep = Annotated[service.SynonymCache | None, Depends(get_cache)]


@router.get("/synonyms", response_model=Synonyms, responses=error_responses(403))
def list_synonyms(user: ReviewerApiUser, session: ReadSessionDep) -> Synonyms:
    """Every synonym group search uses: the shipped file's (read-only) and the supervisors' (editable)."""
    groups = [service.group_public(group) for group in service.list_groups(session)]
    return Synonyms(shipped=service.shipped_groups(), groups=groups)


@router.post("/synonyms", status_code=201, response_model=SynonymGroupPublic, responses=error_responses(403, 409))
def add_synonyms(user: ReviewerApiUser, session: SessionDep, cache: CacheDep, body: SynonymGroupIn):
    """Add a group of interchangeable words; the next search uses it (other server processes within seconds)."""
    return service.group_public(service.add_group(session, user, body.words, cache=cache))


@router.put("/synonyms/{group_id}", response_model=SynonymGroupPublic, responses=error_responses(403, 404, 409))
def edit_synonyms(group_id: RowId, user: ReviewerApiUser, session: SessionDep, cache: CacheDep, body: SynonymGroupIn):
    """Replace the words of a supervisors' group."""
    return service.group_public(service.edit_group(session, user, group_id, body.words, cache=cache))


@router.delete("/synonyms/{group_id}", status_code=204, responses=error_responses(403, 404))
def remove_synonyms(group_id: RowId, user: ReviewerApiUser, session: SessionDep, cache: CacheDep) -> Response:
    """Stop using a supervisors' group (the history keeps its words)."""
    service.remove_group(session, user, group_id, cache=cache)
    return Response(status_code=204)


@router.get("/pins", response_model=PinList, responses=error_responses(403))
def list_pins(user: ReviewerApiUser, session: ReadSessionDep) -> PinList:
    """Every pinned case, by query."""
    return PinList(items=service.list_pins(session))


@router.post("/pins", status_code=201, response_model=PinPublic, responses=error_responses(403, 409))
def add_pin(user: ReviewerApiUser, session: SessionDep, cache: CacheDep, body: PinIn) -> PinPublic:
    """Pin an approved case to a query: it comes first on the query's first page (sorted by relevance)."""
    return service.add_pin(session, user, body.query, body.case_id, cache=cache)


@router.delete("/pins/{pin_id}", status_code=204, responses=error_responses(403, 404))
def remove_pin(pin_id: RowId, user: ReviewerApiUser, session: SessionDep, cache: CacheDep) -> Response:
    """Unpin a case from a query."""
    service.remove_pin(session, user, pin_id, cache=cache)
    return Response(status_code=204)


@router.get("/synonyms/history", response_model=ChangeList, responses=error_responses(403))
def synonym_history(
    user: ReviewerApiUser, session: ReadSessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> ChangeList:
    """Who added, edited or removed which synonym group or pin, when, with what it was before and after."""
    return ChangeList(items=service.history(session, limit=limit))


@router.get("/attention", response_model=Attention, responses=error_responses(403))
def queries_needing_attention(
    user: ReviewerApiUser,
    session: ReadSessionDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Attention:
    """Queries of the last `days` days that found nothing, and those whose results nobody opened; most
    frequent first, with how many people searched them."""
    return service.attention(session, days=days, limit=limit)
