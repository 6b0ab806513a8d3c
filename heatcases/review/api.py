"""Review quality API: the review checklist (read by anyone signed in, edited by admins, with its history), a
case's reviews with their checklists, calibration rounds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from heatcases.cases import service as case_service
from heatcases.cases.schemas import CaseId
from heatcases.deps import AdminApiUser, ApiUser, ReviewerApiUser, SessionDep
from heatcases.errors import error_responses
from heatcases.review import calibration, checklist, service
from heatcases.review.schemas import (
    ChecklistChangePublic,
    ChecklistItemCreate,
    ChecklistItemPublic,
    ChecklistItemUpdate,
    ReviewPublic,
    RoundCreate,
    RoundPublic,
    RoundSummary,
    ScoresIn,
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


# --- calibration rounds ---------------------------------------------------------------------------

RoundId = Annotated[int, Path(ge=1, le=2**31 - 1)]
REVIEWERS = error_responses(403, 404)


@router.post("/calibration/rounds", response_model=RoundPublic, status_code=201, responses=error_responses(403))
def create_round(payload: RoundCreate, user: ReviewerApiUser, session: SessionDep) -> RoundPublic:
    """Start a calibration round: 2-20 cases scored with the checklist in force by 2-20 supervisors (supervisors,
    admins). Scores do not change the cases' review state."""
    round_ = calibration.create_round(session, user, payload)
    return calibration.to_public(calibration.view_round(session, round_.id, user))


@router.get("/calibration/rounds", response_model=list[RoundSummary], responses=error_responses(403))
def list_rounds(user: ReviewerApiUser, session: SessionDep) -> list[RoundSummary]:
    """Every calibration round, latest first, with how many members have scored."""
    return [
        RoundSummary(id=round_.id, title=round_.title, status=status, created_by=round_.created_by.username,
                     created_at=round_.created_at, cases=cases, members=members, submitted=submitted,
                     is_member=is_member, scored=scored)
        for round_, status, cases, members, submitted, is_member, scored in calibration.list_rounds(session, user)
    ]  # fmt: skip


@router.get("/calibration/rounds/{round_id}", response_model=RoundPublic, responses=REVIEWERS)
def read_round(round_id: RoundId, user: ReviewerApiUser, session: SessionDep) -> RoundPublic:
    """A round: its cases, items and members, the caller's own scores, and once every member has scored (or the
    round is closed) the agreement per item and per supervisor and where they disagreed."""
    return calibration.to_public(calibration.view_round(session, round_id, user))


@router.put(
    "/calibration/rounds/{round_id}/scores", response_model=RoundPublic, responses=error_responses(403, 404, 409)
)
def submit_scores(round_id: RoundId, payload: ScoresIn, user: ReviewerApiUser, session: SessionDep) -> RoundPublic:
    """A member's marks, met or not for every item of every case, at once (422 when one is missing); 409 once
    given or after the round closed."""
    calibration.submit_scores(session, round_id, user, payload.scores)
    return calibration.to_public(calibration.view_round(session, round_id, user))


@router.post("/calibration/rounds/{round_id}/close", response_model=RoundPublic, responses=REVIEWERS)
def close_round(round_id: RoundId, user: ReviewerApiUser, session: SessionDep) -> RoundPublic:
    """Close a round (its creator or an admin): the results then cover the members who have scored."""
    calibration.close_round(session, round_id, user)
    return calibration.to_public(calibration.view_round(session, round_id, user))
