"""Who has read a case, with its views, impressions and open rate of all time."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from heatcases.metrics.schemas import CaseReaders, Reader
from heatcases.metrics.scope import rate
from heatcases.models import CaseView, CaseViewer, Impression, Team, User


def readers(session: Session, case_id: int) -> CaseReaders:
    """Who has read a case (counted views), with its views, impressions and open rate of all time."""
    per_reader = (
        select(CaseView.user_id, func.count().label("views"))
        .where(CaseView.case_id == case_id)
        .group_by(CaseView.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User.username, User.display_name, Team.name, User.role, per_reader.c.views,
               CaseViewer.first_viewed_at, CaseViewer.last_counted_at)
        .select_from(CaseViewer)
        .join(User, User.id == CaseViewer.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(per_reader, per_reader.c.user_id == CaseViewer.user_id)
        .where(CaseViewer.case_id == case_id)
        .order_by(CaseViewer.last_counted_at.desc())
    ).all()  # fmt: skip
    views, opened = session.execute(
        select(func.count(), func.count(CaseView.impression_id)).where(CaseView.case_id == case_id)
    ).one()
    impressions = session.execute(select(func.count()).where(Impression.case_id == case_id)).scalar_one()
    return CaseReaders(
        case_id=case_id,
        views=views,
        unique_viewers=len(rows),
        impressions=impressions,
        opened=opened,
        open_rate=rate(opened, impressions),
        readers=[
            Reader(username=u, name=n, team=t, role=r, views=v or 0, first_viewed_at=f, last_viewed_at=last)
            for u, n, t, r, v, f, last in rows
        ],
    )


__all__ = [
    "readers",
]
