"""Cases: submit, edit, review, feature, archive, read (with views), the public shape.

Every status change goes through ``TRANSITIONS`` and is recorded as a CaseEvent. Who may see a case is
decided here (``can_see``, ``visible_clause``); listing the cases one may see is in ``listing``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import and_, or_, true, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from heatcases.cases.schemas import (
    LESSON_FIELDS,
    CaseCreate,
    CaseEventPublic,
    CasePublic,
    CaseUpdate,
    check_behaviors_fit_tags,
    check_lesson_field,
    check_tags_for_kind,
)
from heatcases.db import begin_read, begin_write, insert_ignore, utcnow
from heatcases.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from heatcases.lessons import value as customer_value
from heatcases.models import (
    Case,
    CaseBehavior,
    CaseEvent,
    CaseServqual,
    CaseTag,
    CaseView,
    CaseViewer,
    Impression,
    Team,
    User,
)
from heatcases.notifications import service as notifications
from heatcases.notifications.kinds import MILESTONES
from heatcases.privacy import PII_KINDS, mask_fields
from heatcases.vocab import (
    AUTHOR_ROLES,
    REVIEWER_ROLES,
    VALUE_OF_BEHAVIOR,
    canonical_behaviors,
    canonical_servqual,
    canonical_tags,
)

# A view opens an impression of the case shown to the same reader within this time before it.
IMPRESSION_OPENS_WITHIN = timedelta(hours=24)

# (action, status it is allowed from) -> status it leads to.
TRANSITIONS: dict[tuple[str, str | None], str] = {
    ("submit", None): "pending",
    ("edit", "pending"): "pending",
    ("edit", "rejected"): "pending",
    ("approve", "pending"): "approved",
    ("reject", "pending"): "rejected",
    ("feature", "approved"): "approved",
    ("unfeature", "approved"): "approved",
    ("archive", "approved"): "approved",
    ("unarchive", "approved"): "approved",
}


# The states its author may edit a case in.
EDITABLE = frozenset(current for action, current in TRANSITIONS if action == "edit")


# Cases put in the library by bulk SQL, which no ORM flush sees (the importer's): their ids, in
# ``session.info`` under this key, reach the session's listeners (the search change log) at its commit.
BULK_LISTED = "heatcases.bulk_listed"


def _next_status(action: str, case: Case | None) -> str:
    current = case.status if case else None
    try:
        return TRANSITIONS[(action, current)]
    except KeyError:
        raise InvalidTransition(
            f"cannot {action} a case that is {current}", message_key=f"transition.{action}"
        ) from None


def _record(session: Session, case: Case, actor: User, action: str, to_status: str,
            comment: str | None = None) -> CaseEvent:  # fmt: skip
    event = CaseEvent(
        case_id=case.id,
        actor_id=actor.id,
        action=action,
        from_status=None if action == "submit" else case.status,
        to_status=to_status,
        comment=comment or None,
    )
    session.add(event)
    return event


# --- visibility -------------------------------------------------------------------------------


def is_reviewer(user: User) -> bool:
    return user.role in REVIEWER_ROLES


def is_listed(case: Case) -> bool:
    """In the library: approved and not archived (searchable, listed, readable by everyone)."""
    return case.status == "approved" and not case.archived


def can_see(user: User, case: Case) -> bool:
    """Approved, non-archived cases are for everyone; others for their author and reviewers."""
    if is_reviewer(user) or case.author_id == user.id:
        return True
    return is_listed(case)


def visible_clause(user: User):
    if is_reviewer(user):
        return true()
    return or_(and_(Case.status == "approved", Case.archived.is_(False)), Case.author_id == user.id)


def get_case(session: Session, case_id: int, user: User, *, for_update: bool = False) -> Case:
    """The case if the user may see it; NotFound otherwise (an invisible case does not exist for them)."""
    statement = select(Case).where(Case.id == case_id)
    if for_update:
        # populate_existing: a copy loaded earlier in this session must not hide the locked row's state.
        statement = statement.with_for_update(of=Case).execution_options(populate_existing=True)
    case = session.exec(statement).unique().first()
    if case is None or not can_see(user, case):
        raise NotFound("case not found")
    return case


def get_editable_case(session: Session, case_id: int, user: User) -> Case:
    """The case if ``user`` wrote it and may edit it now (pending or rejected): for the edit forms."""
    case = get_case(session, case_id, user)
    if case.author_id != user.id:
        raise PermissionDenied("only the author can edit a case")
    if case.status not in EDITABLE:
        raise InvalidTransition(f"cannot edit a case that is {case.status}", message_key="transition.edit")
    return case


def _read_back(session: Session, case_id: int, user: User) -> Case:
    """The case as stored, read after the change committed: in a reader transaction, so the write lock is
    not held while the answer is built and sent, and ended at once."""
    if session.in_transaction():  # nothing was changed (featuring a featured case): end the writer anyway
        session.commit()
    begin_read(session)
    case = get_case(session, case_id, user)  # with its tags, behaviours, author and team (eager)
    session.commit()  # the session's next work starts a transaction of its own kind
    return case


# --- the public shape ---------------------------------------------------------------------------


def to_public(case: Case) -> CasePublic:
    return CasePublic(
        id=case.id,
        title=case.title,
        body=case.body,
        tags=canonical_tags(row.tag for row in case.tag_rows),
        behaviors=canonical_behaviors(row.behavior for row in case.behavior_rows),
        business_line=case.business_line,
        channel=case.channel,
        occurred_on=case.occurred_on,
        praise=case.praise,
        status=case.status,
        featured=case.featured,
        archived=case.archived,
        author=case.author.username,
        team=case.team.name if case.team else None,
        views=case.views,
        unique_viewers=case.unique_viewers,
        created_at=case.created_at,
        updated_at=case.updated_at,
        review_comment=case.review_comment,
        masked=list(case.masked or []),
        kind=case.kind,
        **lesson_fields(case),
    )


def lesson_fields(case: Case) -> dict:
    """A lesson's own fields as the API shows them; null on an exemplar."""
    if case.kind != "lesson":
        return dict.fromkeys((*LESSON_FIELDS, "value_at_risk"))
    return {
        "lesson": case.lesson,
        "defect_class": case.defect_class,
        "defect_kind": case.defect_kind,
        "servqual": canonical_servqual(row.element for row in case.servqual_rows),
        "found_by": case.found_by,
        "partner": case.partner,
        "value_at_risk": case.value_at_risk,
    }


def history(session: Session, case: Case) -> list[CaseEventPublic]:
    events = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.created_at, CaseEvent.id)
    ).unique()
    return [
        CaseEventPublic(
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            actor=event.actor.username,
            actor_name=event.actor.display_name,
            comment=event.comment,
            created_at=event.created_at,
        )
        for event in events
    ]


# --- writing ------------------------------------------------------------------------------------


def _set_tags(case: Case, tags: list[str], behaviors: list[str]) -> None:
    # Change only the rows that differ: replacing a row by an equal new one would collide on its key.
    case.tag_rows = [row for row in case.tag_rows if row.tag in tags] + [
        CaseTag(tag=tag) for tag in tags if tag not in {row.tag for row in case.tag_rows}
    ]
    case.behavior_rows = [row for row in case.behavior_rows if row.behavior in behaviors] + [
        CaseBehavior(behavior=code) for code in behaviors if code not in {row.behavior for row in case.behavior_rows}
    ]


def _set_servqual(case: Case, elements: list[str]) -> None:
    current = {row.element for row in case.servqual_rows}
    case.servqual_rows = [row for row in case.servqual_rows if row.element in elements] + [
        CaseServqual(element=code) for code in elements if code not in current
    ]


class MaskedText(NamedTuple):
    title: str
    body: str
    lesson: str | None
    partner: str | None
    masked: list[str]  # the kinds of personal data found, in PII_KINDS order


def mask_text(title: str, body: str, lesson: str | None = None, partner: str | None = None,
              already: list[str] | None = None) -> MaskedText:  # fmt: skip
    """Every text of a case (a lesson's too) with its personal data masked; ``already``: kinds found before."""
    (title, body, lesson, partner), kinds = mask_fields(title, body, lesson or "", partner or "")
    found = set(kinds) | set(already or [])
    return MaskedText(title, body, lesson or None, partner or None, [kind for kind in PII_KINDS if kind in found])


def _mask_case(case: Case, title: str, body: str, lesson: str | None, partner: str | None) -> None:
    case.title, case.body, case.lesson, case.partner, case.masked = mask_text(title, body, lesson, partner, case.masked)


def team_id_of(session: Session, author: User, name: str | None) -> int | None:
    """The team a lesson names (422 if there is none of that name), else the author's."""
    if not name:
        return author.team_id
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        raise InvalidInput("team", f"there is no team named {name!r}", message_key="lesson.invalid.team")
    return team.id


def _apply_lesson(case: Case, fields: dict) -> None:
    """Set a lesson's fields (or clear them on an exemplar); ``fields`` as the schemas give them."""
    is_lesson = case.kind == "lesson"
    case.defect_class = fields.get("defect_class") if is_lesson else None
    case.defect_kind = fields.get("defect_kind") if is_lesson else None
    case.found_by = fields.get("found_by") if is_lesson else None
    _set_servqual(case, (fields.get("servqual") or []) if is_lesson else [])


def submit_case(session: Session, author: User, data: CaseCreate) -> Case:
    """Store a new case, its personal data masked, waiting for review."""
    if author.role not in AUTHOR_ROLES:
        raise PermissionDenied("trainees cannot submit cases", message_key="error.403")
    begin_write(session)
    team_id = team_id_of(session, author, data.team if data.kind == "lesson" else None)
    case = Case(
        kind=data.kind,
        title="",
        body="",
        business_line=data.business_line,
        channel=data.channel,
        occurred_on=data.occurred_on,
        praise=data.praise,
        status=_next_status("submit", None),
        author_id=author.id,
        team_id=team_id,
        masked=[],
    )
    _mask_case(case, data.title, data.body, data.lesson, data.partner)
    _set_tags(case, data.tags, data.behaviors)
    _apply_lesson(case, data.model_dump())
    session.add(case)
    session.flush()
    _record(session, case, author, "submit", case.status)
    session.commit()
    return _read_back(session, case.id, author)


def edit_case(session: Session, case_id: int, author: User, data: CaseUpdate) -> Case:
    """The author changes a pending or rejected case; it goes back to pending review."""
    begin_write(session)
    case = get_case(session, case_id, author, for_update=True)
    if case.author_id != author.id:
        raise PermissionDenied("only the author can edit a case")
    to_status = _next_status("edit", case)
    changes = data.model_dump(exclude_unset=True)
    # Every rule is checked before anything changes: a refused edit leaves the case as it was.
    kind = changes.get("kind") or case.kind
    lesson = _edited_lesson(case, changes, kind)
    team_id = team_id_of(session, author, changes["team"]) if kind == "lesson" and "team" in changes else case.team_id
    tags = changes.pop("tags", None)
    if tags is None:
        tags = canonical_tags(row.tag for row in case.tag_rows)
    try:
        check_tags_for_kind(tags, kind)
    except ValueError as error:
        raise InvalidInput("tags", str(error)) from None
    behaviors = changes.pop("behaviors", None)
    if behaviors is None:
        # Behaviours that no longer fit the new tags are dropped rather than refused.
        current = canonical_behaviors(row.behavior for row in case.behavior_rows)
        behaviors = [code for code in current if VALUE_OF_BEHAVIOR[code] in tags]
    else:
        try:
            check_behaviors_fit_tags(behaviors, tags)
        except ValueError as error:
            raise InvalidInput("behaviors", str(error)) from None
    case.kind, case.team_id = kind, team_id
    for name in ("business_line", "channel"):
        if changes.get(name) is not None:
            setattr(case, name, changes[name])
    for name in ("occurred_on", "praise"):  # these two may be cleared with null
        if name in changes:
            setattr(case, name, changes[name])
    title = changes.get("title") or case.title
    body = changes.get("body") or case.body
    _mask_case(case, title, body, lesson.get("lesson"), lesson.get("partner"))
    _set_tags(case, tags, behaviors)
    _apply_lesson(case, lesson)
    _record(session, case, author, "edit", to_status)
    case.status = to_status
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return _read_back(session, case.id, author)


def _edited_lesson(case: Case, changes: dict, kind: str) -> dict:
    """A lesson's fields after the edit (of a case of ``kind`` now): those changed over those stored, held to
    the submit rules."""
    stored = lesson_fields(case)
    fields = {name: stored[name] for name in LESSON_FIELDS}
    fields.update({name: changes[name] for name in LESSON_FIELDS if name in changes})
    for name in LESSON_FIELDS:
        try:
            fields[name] = check_lesson_field(name, fields[name], kind)
        except ValueError as error:
            raise InvalidInput(name, str(error)) from None
    return fields


def require_reviewer(user: User) -> None:
    if not is_reviewer(user):
        raise PermissionDenied("only supervisors and admins can do this")


def review_case(session: Session, case_id: int, reviewer: User, *, decision: str, comment: str,
                on_decision: Callable[[Session, CaseEvent], None] | None = None) -> Case:  # fmt: skip
    """Approve or reject a pending case; exactly one of two concurrent reviews wins. ``on_decision`` writes what
    belongs with the decision (its checklist marks) in the same transaction."""
    require_reviewer(reviewer)
    begin_write(session)
    case = get_case(session, case_id, reviewer, for_update=True)
    action = "approve" if decision == "approve" else "reject"
    to_status = _next_status(action, case)
    comment = mask_fields(comment)[0][0] if comment else comment  # a reviewer may quote the customer's number
    event = _record(session, case, reviewer, action, to_status, comment)
    if on_decision:
        session.flush()
        on_decision(session, event)
    now = utcnow()
    case.status, case.review_comment, case.reviewed_at, case.updated_at = to_status, comment or None, now, now
    if case.kind == "lesson" and action == "approve":
        # Priced once, with the settings in force now: later changes of the settings do not rewrite it.
        case.value_at_risk = customer_value.value_at_risk(session, case.business_line, case.defect_class)
    session.add(case)
    _tell_author(session, case, reviewer, "approved" if action == "approve" else "rejected", comment=comment or None)
    session.commit()
    return _read_back(session, case.id, reviewer)


def set_featured(session: Session, case_id: int, reviewer: User, featured: bool) -> Case:
    """Feature or unfeature an approved case; doing what is already done changes nothing."""
    require_reviewer(reviewer)
    begin_write(session)
    case = get_case(session, case_id, reviewer, for_update=True)
    action = "feature" if featured else "unfeature"
    to_status = _next_status(action, case)
    if featured and case.archived:
        raise InvalidTransition("an archived case cannot be featured", message_key="transition.feature")
    if case.featured != featured:
        _record(session, case, reviewer, action, to_status)
        now = utcnow()
        case.featured, case.featured_at, case.updated_at = featured, now if featured else None, now
        session.add(case)
        if featured:
            _tell_author(session, case, reviewer, "featured")
        session.commit()
    return _read_back(session, case.id, reviewer)


def _tell_author(session: Session, case: Case, actor: User, kind: str, **data) -> None:
    """Notify the case's author of what a reviewer did (not when they did it to their own case)."""
    if case.author_id != actor.id:
        notifications.notify(session, case.author_id, kind, case_id=case.id, data={"title": case.title, **data})


def set_archived(session: Session, case_id: int, reviewer: User, archived: bool) -> Case:
    """Archive an approved case (out of search and listings, kept for metrics) or bring it back."""
    require_reviewer(reviewer)
    begin_write(session)
    case = get_case(session, case_id, reviewer, for_update=True)
    action = "archive" if archived else "unarchive"
    to_status = _next_status(action, case)
    if case.archived != archived:
        _record(session, case, reviewer, action, to_status)
        case.archived, case.updated_at = archived, utcnow()
        if archived:
            case.featured, case.featured_at = False, None
        session.add(case)
        session.commit()
    return _read_back(session, case.id, reviewer)


# --- reading ------------------------------------------------------------------------------------


def record_view(session: Session, case: Case, viewer: User, *, window_minutes: int) -> bool:
    """Count a view as PRODUCT.md defines it; True when it counted.

    Not the author's, only approved cases, one per reader per window. The window's anchor row is
    claimed with a conditional UPDATE or an INSERT that ignores conflicts, so concurrent requests of
    one reader count once and never twice.
    """
    if case.status != "approved" or case.author_id == viewer.id:
        return False
    begin_write(session)
    now = utcnow()
    renewed = session.execute(
        update(CaseViewer)
        .where(
            CaseViewer.case_id == case.id,
            CaseViewer.user_id == viewer.id,
            CaseViewer.last_counted_at <= now - timedelta(minutes=window_minutes),
        )
        .values(last_counted_at=now)
        .returning(CaseViewer.user_id)
    ).first()
    new_viewer = False
    claimed = renewed is not None
    if not claimed:
        new_viewer = claimed = insert_ignore(
            session,
            CaseViewer.__table__,
            {"case_id": case.id, "user_id": viewer.id, "first_viewed_at": now, "last_counted_at": now},
        )
    if not claimed:  # nothing was written; a commit (not a rollback) keeps the loaded case from expiring
        session.commit()
        return False
    views, unique_viewers = session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(views=Case.views + 1, unique_viewers=Case.unique_viewers + (1 if new_viewer else 0))
        .returning(Case.views, Case.unique_viewers)
    ).one()
    impression_id = _open_impression(session, case, viewer, now)
    session.add(CaseView(case_id=case.id, user_id=viewer.id, viewed_at=now, impression_id=impression_id))
    if new_viewer and unique_viewers in MILESTONES:  # only the view that crosses a milestone does more
        data = {"title": case.title, "readers": unique_viewers}
        key = f"milestone-{case.id}-{unique_viewers}"
        notifications.notify(session, case.author_id, "milestone", case_id=case.id, data=data, dedupe_key=key)
    session.commit()
    # The counts as this transaction left them, without loading the case again.
    set_committed_value(case, "views", views)
    set_committed_value(case, "unique_viewers", unique_viewers)
    return True


def _open_impression(session: Session, case: Case, viewer: User, now) -> int | None:
    """Mark the reader's latest unopened impression of this case as opened: the view came from it."""
    latest = (
        select(Impression.id)
        .where(
            Impression.user_id == viewer.id,
            Impression.case_id == case.id,
            Impression.opened_at.is_(None),
            Impression.shown_at >= now - IMPRESSION_OPENS_WITHIN,
        )
        .order_by(Impression.shown_at.desc(), Impression.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    opened = session.execute(
        update(Impression).where(Impression.id == latest).values(opened_at=now).returning(Impression.id)
    ).first()
    return opened[0] if opened else None


def read_case(session: Session, case_id: int, reader: User, *, window_minutes: int) -> Case:
    """Open a case: check visibility, count the view."""
    case = get_case(session, case_id, reader)
    record_view(session, case, reader, window_minutes=window_minutes)
    return case
