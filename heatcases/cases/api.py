"""Cases API: submit, list, read, edit, review, feature, archive, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from heatcases.cases import listing, service
from heatcases.cases.schemas import (
    Behavior,
    BusinessLine,
    CaseCreate,
    CaseEventPublic,
    CaseId,
    CaseList,
    CasePublic,
    CaseUpdate,
    DefectClass,
    Kind,
    ReviewIn,
    Servqual,
    Status,
    Tag,
)
from heatcases.deps import ApiUser, AuthorApiUser, ReviewerApiUser, SessionDep, SettingsDep
from heatcases.errors import error_responses
from heatcases.review import service as review_service

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.post("", response_model=CasePublic, status_code=201, responses=error_responses(403))
def submit_case(payload: CaseCreate, user: AuthorApiUser, session: SessionDep) -> CasePublic:
    """Submit a case for review (agents, supervisors, admins); personal data is masked first."""
    return service.to_public(service.submit_case(session, user, payload))


@router.get("", response_model=CaseList)
def list_cases(
    user: ApiUser,
    session: SessionDep,
    status: Status | None = None,
    tag: Annotated[list[Tag], Query()] = [],
    behavior: Behavior | None = None,
    business_line: BusinessLine | None = None,
    featured: bool | None = None,
    archived: bool | None = None,
    mine: bool = False,
    kind: Kind | None = None,
    defect_class: DefectClass | None = None,
    servqual: Annotated[list[Servqual], Query()] = [],
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CaseList:
    """The cases the caller may see, newest first; several `tag`s (or `servqual`s) mean a case has all of them;
    `kind`, `defect_class` and `servqual` pick lessons (API.md, "Lessons")."""
    filters = listing.CaseFilters(
        status=status,
        tags=tag,
        behavior=behavior,
        business_line=business_line,
        featured=featured,
        archived=archived,
        mine=mine,
        kind=kind,
        defect_class=defect_class,
        servqual=list(dict.fromkeys(servqual)),
    )
    total, cases = listing.list_cases(session, user, filters, page=page, per_page=per_page)
    return CaseList(total=total, page=page, per_page=per_page, items=[service.to_public(c) for c in cases])


@router.get("/{case_id}", response_model=CasePublic, responses=error_responses(404))
def read_case(case_id: CaseId, user: ApiUser, session: SessionDep, settings: SettingsDep) -> CasePublic:
    """One case; opening an approved case counts a view (not the author's, once per window)."""
    case = service.read_case(session, case_id, user, window_minutes=settings.view_window_minutes)
    return service.to_public(case)


@router.patch("/{case_id}", response_model=CasePublic, responses=error_responses(403, 404, 409))
def edit_case(case_id: CaseId, payload: CaseUpdate, user: ApiUser, session: SessionDep) -> CasePublic:
    """The author edits a pending or rejected case; it goes back to pending."""
    return service.to_public(service.edit_case(session, case_id, user, payload))


@router.post("/{case_id}/review", response_model=CasePublic, responses=error_responses(403, 404, 409))
def review_case(case_id: CaseId, payload: ReviewIn, user: ReviewerApiUser, session: SessionDep) -> CasePublic:
    """Approve or reject a pending case (supervisors, admins); rejecting needs a comment. `checklist` marks the
    review checklist's items met or not (GET /api/review/checklist); the case's reviews keep it."""
    case = review_service.review_case(
        session, case_id, user, decision=payload.decision, comment=payload.comment, marks=payload.checklist
    )
    return service.to_public(case)


@router.post("/{case_id}/feature", response_model=CasePublic, responses=error_responses(403, 404, 409))
def feature_case(case_id: CaseId, user: ReviewerApiUser, session: SessionDep) -> CasePublic:
    """Feature an approved case (supervisors, admins)."""
    return service.to_public(service.set_featured(session, case_id, user, True))


@router.delete("/{case_id}/feature", response_model=CasePublic, responses=error_responses(403, 404, 409))
def unfeature_case(case_id: CaseId, user: ReviewerApiUser, session: SessionDep) -> CasePublic:
    """Stop featuring a case (supervisors, admins)."""
    return service.to_public(service.set_featured(session, case_id, user, False))


@router.post("/{case_id}/archive", response_model=CasePublic, responses=error_responses(403, 404, 409))
def archive_case(case_id: CaseId, user: ReviewerApiUser, session: SessionDep) -> CasePublic:
    """Archive an approved case: hidden from search and listings, kept for metrics."""
    return service.to_public(service.set_archived(session, case_id, user, True))


@router.delete("/{case_id}/archive", response_model=CasePublic, responses=error_responses(403, 404, 409))
def unarchive_case(case_id: CaseId, user: ReviewerApiUser, session: SessionDep) -> CasePublic:
    """Bring an archived case back into the library."""
    return service.to_public(service.set_archived(session, case_id, user, False))


@router.get("/{case_id}/history", response_model=list[CaseEventPublic], responses=error_responses(404))
def case_history(case_id: CaseId, user: ApiUser, session: SessionDep) -> list[CaseEventPublic]:
    """Every transition of the case: who, when, from, to, comment."""
    return service.history(session, service.get_case(session, case_id, user))
