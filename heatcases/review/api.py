"""Review quality API: the review checklist (read by anyone signed in, edited by admins, with its history), a
case's reviews with their checklists, calibration rounds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from heatcases.cases import service as case_service
from heatcases.cases.schemas import CaseId
from heatcases.deps import AdminApiUser, ApiUser, SessionDep
from heatcases.errors import error_responses
from heatcases.review import checklist, service
from heatcases.review.schemas import (
    ChecklistChangePublic,
    ChecklistItemCreate,
    ChecklistItemPublic,
    ChecklistItemUpdate,
    ReviewPublic,
)

router = APIRouter(prefix="/api", tags=["review"])

ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def item_public(item) -> ChecklistItemPublic:
    return ChecklistItemPublic.model_validate(item, from_attributes=True)


@router.get("/review/checklist", response_model=list[ChecklistItemPublic])
def read_checklist(user: ApiUser, session: SessionDep, include_retired: bool = False) -> list[ChecklistItemPublic]:
    """The review checklist in force, in order (the queue's keys 1-9); with `include_retired`, retired items too."""
    return [item_public(item) for item in checklist.items(session, include_retired=include_retired)]


@router.post("/review/checklist", response_model=ChecklistItemPublic, status_code=201, responses=error_responses(403))
def add_checklist_item(payload: ChecklistItemCreate, user: AdminApiUser, session: SessionDep) -> ChecklistItemPublic:
    """Add an item, worded in Chinese and English, at the end of the checklist (admins; at most 9 in force)."""
    return item_public(checklist.add_item(session, user, label_zh=payload.label_zh, label_en=payload.label_en))


@router.patch("/review/checklist/{item_id}", response_model=ChecklistItemPublic, responses=error_responses(403, 404))
def change_checklist_item(
    item_id: ItemId, payload: ChecklistItemUpdate, user: AdminApiUser, session: SessionDep
) -> ChecklistItemPublic:
    """Reword an item, retire or restore it (`active`), or move it (`position`, 1 = first); each change is kept
    in the history (admins)."""
    item = None
    if payload.label_zh is not None or payload.label_en is not None:
        item = checklist.reword_item(session, user, item_id, label_zh=payload.label_zh, label_en=payload.label_en)
    if payload.active is not None:
        item = checklist.set_active(session, user, item_id, payload.active)
    if payload.position is not None:
        item = checklist.move_item(session, user, item_id, payload.position)
    if item is None:  # nothing asked: the item as it is
        item = checklist.reword_item(session, user, item_id, label_zh=None, label_en=None)
    return item_public(item)


@router.get("/review/checklist/history", response_model=list[ChecklistChangePublic], responses=error_responses(403))
def checklist_history(
    user: AdminApiUser, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ChecklistChangePublic]:
    """Every change of the checklist, latest first: who, when, which item, before and after (admins)."""
    return [
        ChecklistChangePublic(
            id=change.id,
            item_id=item.id,
            code=item.code,
            action=change.action,
            actor=change.actor.username if change.actor else None,
            before=change.before,
            after=change.after,
            created_at=change.created_at,
        )
        for change, item in checklist.history(session, limit=limit)
    ]


@router.get("/cases/{case_id}/reviews", response_model=list[ReviewPublic], responses=error_responses(403, 404))
def case_reviews(case_id: CaseId, user: ApiUser, session: SessionDep) -> list[ReviewPublic]:
    """The case's review decisions in order, each with its checklist (met, not met, not assessed, notes) and,
    after a resubmission, each item's result in the review before (the author and reviewers)."""
    return service.reviews(session, case_service.get_case(session, case_id, user), user)
