"""An author's impact: their cases, each with its views of all time and in a period."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from heatcases.metrics.scope import within
from heatcases.models import Case, CaseView, User


def my_cases(session: Session, user: User, bounds) -> list[dict]:
    """The author's cases with status, featured flag, views of all time and views in the period."""
    in_period = (
        select(CaseView.case_id, func.count().label("views"))
        .join(Case, Case.id == CaseView.case_id)
        .where(Case.author_id == user.id, within(CaseView.viewed_at, bounds))
        .group_by(CaseView.case_id)
        .subquery()
    )
    rows = session.execute(
        select(Case.id, Case.title, Case.status, Case.featured, Case.archived, Case.views, Case.unique_viewers,
               func.coalesce(in_period.c.views, 0), Case.created_at)
        .outerjoin(in_period, in_period.c.case_id == Case.id)
        .where(Case.author_id == user.id)
        .order_by(Case.created_at.desc())
    ).all()  # fmt: skip
    keys = ("id", "title", "status", "featured", "archived", "views", "unique_viewers", "period_views", "created_at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


__all__ = [
    "my_cases",
]
