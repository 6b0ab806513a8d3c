"""Reviews with the checklist: a decision records every item in force as met, not met or not assessed, with
the reviewer's notes, beside the case's event (``ReviewMark``); the author reads the case's reviews as
structured feedback, and after a resubmission each item's result beside the one of the review before."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, select

from heatcases.cases import service as case_service
from heatcases.cases.schemas import ChecklistMarkIn
from heatcases.errors import InvalidInput, PermissionDenied
from heatcases.i18n import translate
from heatcases.models import Case, CaseEvent, ReviewMark, User
from heatcases.privacy import mask_fields
from heatcases.review import checklist
from heatcases.review.schemas import MarkPublic, ReviewPublic

DECISIONS = ("approve", "reject")


def checked_marks(session: Session, marks: list[ChecklistMarkIn]) -> dict[int, tuple[bool, str | None]]:
    """{item id: (met, masked note)} of the marks given; 422 naming ``checklist`` for an item not in force or
    given twice."""
    in_force = {item.id for item in checklist.items(session)}
    result: dict[int, tuple[bool, str | None]] = {}
    for mark in marks:
        if mark.item_id not in in_force or mark.item_id in result:
            key = "checklist.invalid.item"
            raise InvalidInput("checklist", translate(key, "en"), message_key=key)
        note = (mark.note or "").strip()
        result[mark.item_id] = (mark.met, mask_fields(note)[0][0] if note else None)
    return result


def review_case(session: Session, case_id: int, reviewer: User, *, decision: str, comment: str,
                marks: list[ChecklistMarkIn]) -> Case:  # fmt: skip
    """Approve or reject a pending case with its checklist: every item in force is recorded (those not marked as
    not assessed) in the decision's transaction. Approving with items not met is allowed."""
    case_service.require_reviewer(reviewer)
    given = checked_marks(session, marks)
    in_force = [item.id for item in checklist.items(session)]

    def write_marks(session: Session, event: CaseEvent) -> None:
        for item_id in in_force:
            met, note = given.get(item_id, (None, None))
            session.add(ReviewMark(event_id=event.id, item_id=item_id, met=met, note=note))

    return case_service.review_case(
        session, case_id, reviewer, decision=decision, comment=comment, on_decision=write_marks
    )


def can_read_reviews(user: User, case: Case) -> bool:
    """A case's reviews are for its author and the reviewers."""
    return case_service.is_reviewer(user) or case.author_id == user.id


def reviews(session: Session, case: Case, user: User) -> list[ReviewPublic]:
    """The case's review decisions in order, each with its checklist; 403 for anyone but the author and
    reviewers."""
    if not can_read_reviews(user, case):
        raise PermissionDenied("only the author and reviewers read a case's reviews")
    events = list(
        session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.action.in_(("approve", "reject", "edit")))
            .order_by(CaseEvent.created_at, CaseEvent.id)
        ).unique()
    )
    decisions = [event for event in events if event.action in DECISIONS]
    marks: dict[int, list[ReviewMark]] = defaultdict(list)
    if decisions:
        rows = session.exec(select(ReviewMark).where(ReviewMark.event_id.in_([event.id for event in decisions])))
        for mark in rows:
            marks[mark.event_id].append(mark)
    items = checklist.items_by_id(session, {mark.item_id for rows in marks.values() for mark in rows})
    result: list[ReviewPublic] = []
    previous: dict[int, bool | None] | None = None
    edited_since = False
    for event in events:
        if event.action == "edit":
            edited_since = previous is not None
            continue
        ordered = sorted(marks[event.id], key=lambda mark: (items[mark.item_id].position, mark.item_id))
        after_resubmission = edited_since and previous is not None
        shown = [
            MarkPublic(
                item_id=mark.item_id,
                code=items[mark.item_id].code,
                label_zh=items[mark.item_id].label_zh,
                label_en=items[mark.item_id].label_en,
                met=mark.met,
                note=mark.note,
                previous_met=previous.get(mark.item_id) if after_resubmission else None,
                changed=after_resubmission and mark.item_id in previous and previous[mark.item_id] != mark.met,
            )
            for mark in ordered
        ]
        result.append(
            ReviewPublic(
                id=event.id,
                decision=event.action,
                reviewer=event.actor.username,
                reviewer_name=event.actor.display_name,
                comment=event.comment,
                created_at=event.created_at,
                checklist=shown,
                met=sum(1 for mark in shown if mark.met is True),
                not_met=sum(1 for mark in shown if mark.met is False),
                after_resubmission=after_resubmission,
            )
        )
        previous = {mark.item_id: mark.met for mark in ordered}
        edited_since = False
    return result
