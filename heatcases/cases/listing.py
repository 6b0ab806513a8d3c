"""Case listings: which cases a user may see, filtered, paged and counted (the library, one's own cases,
the review queue and its head). The library (approved, not archived) is for everyone, other cases only for
their author and reviewers; for anyone but a reviewer the visible cases are asked for as two parts without
overlap, the library and one's own cases outside it, each answered by an index, because as one OR SQLite
reads every case of the library to count or sort them (half a second at 100,000 cases)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, not_, or_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from heatcases.cases.service import is_reviewer, require_reviewer, visible_clause
from heatcases.models import Case, CaseBehavior, CaseEvent, CaseServqual, CaseTag, User
from heatcases.vocab import TAGS


def enters_review(event):
    """An event that puts a case in the review queue: its submission, or its author's edit of it once rejected
    (a resubmission); an edit while pending does not restart the wait. ``event``: CaseEvent or an alias of it."""
    return or_(event.action == "submit", and_(event.action == "edit", event.from_status == "rejected"))


def waiting_since():
    """Per case (correlated): when it last entered the review queue."""
    entered = aliased(CaseEvent)
    return (
        select(func.max(entered.created_at))
        .where(entered.case_id == Case.id, enters_review(entered))
        .correlate(Case)
        .scalar_subquery()
    )


@dataclass
class CaseFilters:
    status: str | None = None
    tags: list[str] = field(default_factory=list)
    behavior: str | None = None
    business_line: str | None = None
    featured: bool | None = None
    archived: bool | None = None
    mine: bool = False
    oldest_first: bool = False
    # The review queue: the case waiting longest first (since its submission or resubmission), or the latest.
    by_waiting: str | None = None  # "oldest" | "newest"
    kind: str | None = None
    defect_class: str | None = None
    servqual: list[str] = field(default_factory=list)


def _filter_conditions(filters: CaseFilters) -> list:
    conditions = []
    if filters.status:
        conditions.append(Case.status == filters.status)
    for tag in filters.tags:
        conditions.append(exists().where(CaseTag.case_id == Case.id, CaseTag.tag == tag))
    if filters.behavior:
        conditions.append(exists().where(CaseBehavior.case_id == Case.id, CaseBehavior.behavior == filters.behavior))
    if filters.business_line:
        conditions.append(Case.business_line == filters.business_line)
    if filters.featured is not None:
        conditions.append(Case.featured.is_(filters.featured))
    if filters.archived is not None:
        conditions.append(Case.archived.is_(filters.archived))
    if filters.kind:
        conditions.append(Case.kind == filters.kind)
    if filters.defect_class:
        conditions.append(Case.defect_class == filters.defect_class)
    for element in filters.servqual:
        conditions.append(exists().where(CaseServqual.case_id == Case.id, CaseServqual.element == element))
    return conditions


def _visible_parts(user: User, filters: CaseFilters) -> list[list]:
    """The cases the user may see that match the filters, as parts without overlap, each answered by an
    index: a reviewer's one part; anyone else's the library and their own cases outside it. (As one OR,
    SQLite reads every case of the library to count or sort them: half a second at 100,000 cases.)"""
    rest = _filter_conditions(filters)
    if filters.mine:
        return [[Case.author_id == user.id, *rest]]
    if is_reviewer(user):
        return [rest]
    listed = [Case.status == "approved", Case.archived.is_(False)]
    return [[*listed, *rest], [Case.author_id == user.id, not_(and_(*listed)), *rest]]


def find_cases(session: Session, user: User, filters: CaseFilters, *, limit: int, offset: int = 0) -> list[Case]:
    """The visible cases matching the filters, newest (or oldest) first, without counting them all."""
    order = (Case.created_at, Case.id) if filters.oldest_first else (Case.created_at.desc(), Case.id.desc())
    if filters.by_waiting:
        since = waiting_since()
        order = (since, Case.id) if filters.by_waiting == "oldest" else (since.desc(), Case.id.desc())
    parts = _visible_parts(user, filters)
    if len(parts) == 1:
        wanted = parts[0]
    else:  # the first offset + limit of each part, in order, then the page of those
        firsts = [select(Case.id).where(*part).order_by(*order).limit(offset + limit).subquery() for part in parts]
        wanted = [Case.id.in_(union_all(*(select(first.c.id) for first in firsts)))]
    statement = select(Case).where(*wanted).order_by(*order).offset(offset).limit(limit)
    return list(session.exec(statement).unique())


def list_cases(session: Session, user: User, filters: CaseFilters, *, page: int, per_page: int):
    """One page of the cases the user may see, with the total; returns (total, cases)."""
    total = sum(
        session.exec(select(func.count()).select_from(Case).where(*part)).one()
        for part in _visible_parts(user, filters)
    )
    return total, find_cases(session, user, filters, limit=per_page, offset=(page - 1) * per_page)


def status_counts(session: Session, user: User, *, mine: bool = False) -> dict[str, int]:
    """How many visible cases are in each status (for queue and "my cases" headers)."""
    conditions = [visible_clause(user)]
    if mine:
        conditions.append(Case.author_id == user.id)
    rows = session.exec(select(Case.status, func.count()).where(*conditions).group_by(Case.status))
    return {status: count for status, count in rows}


@dataclass(frozen=True)
class QueueOverview:
    """What waits for review: how many cases, how many per HEAT value, since when."""

    total: int
    by_tag: dict[str, int]
    oldest_at: datetime | None


def waiting_since_of(session: Session, case_ids: list[int]) -> dict[int, datetime]:
    """When each of these cases last entered the review queue."""
    if not case_ids:
        return {}
    rows = session.exec(select(Case.id, waiting_since()).where(Case.id.in_(case_ids)))
    return {case_id: since for case_id, since in rows if since is not None}


def review_overview(session: Session, reviewer: User) -> QueueOverview:
    """The counts at the head of the review queue; ``oldest_at``: since when the longest-waiting case waits."""
    require_reviewer(reviewer)
    pending = Case.status == "pending"
    total = session.exec(select(func.count()).where(pending)).one()
    oldest_at = session.exec(select(func.min(waiting_since())).where(pending)).one() if total else None
    rows = session.exec(
        select(CaseTag.tag, func.count()).join(Case, Case.id == CaseTag.case_id).where(pending).group_by(CaseTag.tag)
    )
    counts = dict(rows.all())
    return QueueOverview(total, {tag: counts.get(tag, 0) for tag in TAGS}, oldest_at)
