"""Calibration rounds: supervisors score the same cases with the review checklist, each without seeing the
others, then read how far they agreed (``agreement``) and where they did not. A round is ``open`` until every
member has scored (``complete``) or its creator or an admin closes it (``closed``; the results then cover those
who scored). Scores never touch the cases: their review state stays as it was."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from heatcases.cases import service as case_service
from heatcases.db import begin_write, utcnow
from heatcases.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from heatcases.i18n import translate
from heatcases.models import (
    CalibrationCase,
    CalibrationMember,
    CalibrationRound,
    CalibrationScore,
    Case,
    ChecklistItem,
    User,
)
from heatcases.privacy import mask_fields
from heatcases.review import agreement, checklist
from heatcases.review.schemas import (
    AgreementFigure,
    ChecklistItemPublic,
    Disagreement,
    ItemAgreement,
    MemberAgreement,
    RoundCase,
    RoundCreate,
    RoundMember,
    RoundPublic,
    RoundResults,
    ScoreIn,
)
from heatcases.vocab import REVIEWER_ROLES


def _invalid(field: str, key: str) -> InvalidInput:
    return InvalidInput(field, translate(key, "en"), message_key=key)


@dataclass
class RoundView:
    """A round with what the viewer may see of it."""

    round: CalibrationRound
    status: str
    cases: list[Case]
    items: list[ChecklistItem]
    members: list[CalibrationMember]
    my_scores: list[CalibrationScore]
    results: dict | None  # see ``_results``


def create_round(session: Session, creator: User, data: RoundCreate) -> CalibrationRound:
    """Start a round on these cases for these supervisors, with the checklist items in force now."""
    case_service.require_reviewer(creator)
    case_ids = list(dict.fromkeys(data.case_ids))
    usernames = list(dict.fromkeys(name.strip() for name in data.supervisors if name.strip()))
    begin_write(session)
    found = set(session.exec(select(Case.id).where(Case.id.in_(case_ids))))
    if len(case_ids) < 2 or found != set(case_ids):
        raise _invalid("case_ids", "calibration.invalid.cases")
    members = list(session.exec(select(User).where(User.username.in_(usernames), User.is_active.is_(True))))
    if len(usernames) < 2 or len(members) != len(usernames) or any(m.role not in REVIEWER_ROLES for m in members):
        raise _invalid("supervisors", "calibration.invalid.supervisors")
    items = [item.id for item in checklist.items(session)]
    if not items:
        raise _invalid("case_ids", "calibration.invalid.no_items")
    title = mask_fields(data.title.strip())[0][0]
    if not title:
        raise _invalid("title", "calibration.invalid.title")
    round_ = CalibrationRound(title=title, item_ids=items, created_by_id=creator.id)
    session.add(round_)
    session.flush()
    for position, case_id in enumerate(case_ids, start=1):
        session.add(CalibrationCase(round_id=round_.id, case_id=case_id, position=position))
    for member in members:
        session.add(CalibrationMember(round_id=round_.id, user_id=member.id))
    session.commit()
    return round_


def _get(session: Session, round_id: int, user: User, *, for_update: bool = False) -> CalibrationRound:
    case_service.require_reviewer(user)
    statement = select(CalibrationRound).where(CalibrationRound.id == round_id)
    if for_update:
        statement = statement.with_for_update(of=CalibrationRound).execution_options(populate_existing=True)
    found = session.exec(statement).unique().first()
    if found is None:
        raise NotFound("no such calibration round", message_key="calibration.not_found")
    return found


def _members(session: Session, round_id: int) -> list[CalibrationMember]:
    return list(session.exec(select(CalibrationMember).where(CalibrationMember.round_id == round_id)).unique())


def _status(round_: CalibrationRound, members: list[CalibrationMember]) -> str:
    if round_.closed_at:
        return "closed"
    return "complete" if members and all(member.submitted_at for member in members) else "open"


def list_rounds(session: Session, user: User) -> list[tuple[CalibrationRound, str, int, int, int, bool, bool]]:
    """Every round, latest first: (round, status, cases, members, scored, is member, has scored)."""
    case_service.require_reviewer(user)
    rounds = list(session.exec(select(CalibrationRound).order_by(CalibrationRound.created_at.desc())).unique())
    ids = [round_.id for round_ in rounds]
    cases = dict(
        session.exec(
            select(CalibrationCase.round_id, func.count()).where(CalibrationCase.round_id.in_(ids))
            .group_by(CalibrationCase.round_id)
        ).all()
    ) if ids else {}  # fmt: skip
    members: dict[int, list[CalibrationMember]] = {}
    if ids:
        for member in session.exec(select(CalibrationMember).where(CalibrationMember.round_id.in_(ids))).unique():
            members.setdefault(member.round_id, []).append(member)
    result = []
    for round_ in rounds:
        mine = [m for m in members.get(round_.id, []) if m.user_id == user.id]
        result.append((
            round_, _status(round_, members.get(round_.id, [])), cases.get(round_.id, 0),
            len(members.get(round_.id, [])), sum(1 for m in members.get(round_.id, []) if m.submitted_at),
            bool(mine), bool(mine and mine[0].submitted_at),
        ))  # fmt: skip
    return result


def view_round(session: Session, round_id: int, user: User) -> RoundView:
    """The round as ``user`` sees it: their own scores; everyone's agreement once complete or closed."""
    round_ = _get(session, round_id, user)
    members = _members(session, round_id)
    status = _status(round_, members)
    cases = list(
        session.exec(
            select(Case).join(CalibrationCase, CalibrationCase.case_id == Case.id)
            .where(CalibrationCase.round_id == round_id).order_by(CalibrationCase.position)
        ).unique()
    )  # fmt: skip
    by_id = checklist.items_by_id(session, round_.item_ids)
    items = [by_id[item_id] for item_id in round_.item_ids if item_id in by_id]
    scores = list(session.exec(select(CalibrationScore).where(CalibrationScore.round_id == round_id)))
    mine = [score for score in scores if score.user_id == user.id]
    results = _results(scores, members, items) if status != "open" else None
    return RoundView(round_, status, cases, items, members, mine, results)


def _results(scores: list[CalibrationScore], members: list[CalibrationMember], items: list[ChecklistItem]) -> dict:
    """Agreement over the members who scored: per item, per supervisor, overall, and the split subjects."""
    scored = [member for member in members if member.submitted_at]
    raters = [member.user_id for member in scored]
    marks: dict[tuple[int, int], dict[int, bool]] = {}
    notes: dict[tuple[int, int], dict[int, str]] = {}
    for score in scores:
        if score.user_id in raters:
            marks.setdefault((score.case_id, score.item_id), {})[score.user_id] = score.met
            if score.note:
                notes.setdefault((score.case_id, score.item_id), {})[score.user_id] = score.note
    return {
        "raters": scored,
        "overall": agreement.overall(marks),
        "by_item": agreement.by_item(marks, [item.id for item in items]),
        "by_rater": agreement.by_rater(marks, raters),
        "disagreements": [
            (subject, marks[subject], notes.get(subject, {})) for subject in agreement.disagreements(marks)
        ],
    }


def submit_scores(session: Session, round_id: int, user: User, scores: list[ScoreIn]) -> None:
    """A member's marks for every item of every case, at once; they cannot be changed after."""
    begin_write(session)
    round_ = _get(session, round_id, user, for_update=True)
    member = next((m for m in _members(session, round_id) if m.user_id == user.id), None)
    if member is None:
        raise PermissionDenied("only the round's supervisors score it", message_key="calibration.not_member")
    if round_.closed_at or member.submitted_at:
        raise InvalidTransition("this round takes no more scores from you", message_key="calibration.no_more")
    case_ids = set(session.exec(select(CalibrationCase.case_id).where(CalibrationCase.round_id == round_id)))
    wanted = {(case_id, item_id) for case_id in case_ids for item_id in round_.item_ids}
    given = {(score.case_id, score.item_id): score for score in scores}
    if set(given) != wanted or len(given) != len(scores):
        raise _invalid("scores", "calibration.invalid.scores")
    for (case_id, item_id), score in given.items():
        note = (score.note or "").strip()
        session.add(CalibrationScore(round_id=round_id, case_id=case_id, user_id=user.id, item_id=item_id,
                                     met=score.met, note=mask_fields(note)[0][0] if note else None))  # fmt: skip
    member.submitted_at = utcnow()
    session.add(member)
    session.commit()


def close_round(session: Session, round_id: int, user: User) -> None:
    """End a round (its creator or an admin): the results then cover the members who scored."""
    begin_write(session)
    round_ = _get(session, round_id, user, for_update=True)
    if user.id != round_.created_by_id and user.role != "admin":
        raise PermissionDenied("only the round's creator or an admin closes it", message_key="calibration.not_creator")
    if round_.closed_at is None:
        round_.closed_at = utcnow()
        session.add(round_)
    session.commit()


def _figure(figure: agreement.Figure) -> dict:
    return {"share": figure.share, "kappa": figure.kappa, "subjects": figure.subjects}


def to_public(view: RoundView) -> RoundPublic:
    """The round's public shape (GET /api/calibration/rounds/{id})."""
    users = {member.user_id: member.user for member in view.members}
    results = None
    if view.results is not None:
        found = view.results
        results = RoundResults(
            overall=AgreementFigure(**_figure(found["overall"])),
            by_item=[
                ItemAgreement(item_id=item.id, code=item.code, label_zh=item.label_zh, label_en=item.label_en,
                              **_figure(found["by_item"][item.id]))
                for item in view.items
            ],
            by_supervisor=[
                MemberAgreement(username=users[user_id].username, name=users[user_id].display_name,
                                **_figure(figure))
                for user_id, figure in found["by_rater"].items()
            ],
            disagreements=[
                Disagreement(case_id=case_id, item_id=item_id,
                             marks={users[user_id].username: met for user_id, met in marks.items()},
                             notes={users[user_id].username: note for user_id, note in notes.items()})
                for (case_id, item_id), marks, notes in found["disagreements"]
            ],
        )  # fmt: skip
    return RoundPublic(
        id=view.round.id,
        title=view.round.title,
        status=view.status,
        created_by=view.round.created_by.username,
        created_at=view.round.created_at,
        closed_at=view.round.closed_at,
        cases=[RoundCase(id=case.id, title=case.title, status=case.status) for case in view.cases],
        items=[ChecklistItemPublic.model_validate(item, from_attributes=True) for item in view.items],
        members=[
            RoundMember(
                username=member.user.username,
                name=member.user.display_name,
                submitted=member.submitted_at is not None,
                submitted_at=member.submitted_at,
            )
            for member in view.members
        ],  # fmt: skip
        my_scores=[
            ScoreIn(case_id=score.case_id, item_id=score.item_id, met=score.met, note=score.note)
            for score in view.my_scores
        ],
        results=results,
    )


def reviewers(session: Session) -> list[User]:
    """The active supervisors and admins: who can take part in a round."""
    return list(
        session.exec(
            select(User).where(User.role.in_(REVIEWER_ROLES), User.is_active.is_(True)).order_by(User.username)
        ).unique()
    )
