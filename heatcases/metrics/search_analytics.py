"""What people searched for: the most frequent queries and those that found nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlmodel import Session

from heatcases.metrics.periods import Period
from heatcases.metrics.schemas import QueryRow, SearchAnalytics
from heatcases.metrics.scope import within
from heatcases.models import SearchQuery


def _query_rows(session: Session, bounds, *, zero_only: bool, limit: int) -> list[QueryRow]:
    conditions = [within(SearchQuery.searched_at, bounds), SearchQuery.page == 1, SearchQuery.normalized != ""]
    if zero_only:
        conditions.append(SearchQuery.results == 0)
    searches = func.count().label("searches")
    grouped = session.execute(
        select(SearchQuery.normalized, searches, func.count(distinct(SearchQuery.user_id)), func.max(SearchQuery.id))
        .where(*conditions)
        .group_by(SearchQuery.normalized)
        .order_by(searches.desc(), SearchQuery.normalized)
        .limit(limit)
    ).all()
    latest = dict(
        session.execute(
            select(SearchQuery.id, SearchQuery.results).where(SearchQuery.id.in_([row[3] for row in grouped]))
        ).all()
    )
    return [
        QueryRow(query=text, searches=count, users=users, results=latest.get(last_id, 0))
        for text, count, users, last_id in grouped
    ]


def search_analytics(session: Session, tz: ZoneInfo, period: Period, limit: int = 20) -> SearchAnalytics:
    """The most frequent queries and the queries that found nothing (first pages only, typed text only)."""
    bounds = period.utc_bounds(tz)
    searches, zero = session.execute(
        select(func.count(), func.count().filter(SearchQuery.results == 0)).where(
            within(SearchQuery.searched_at, bounds), SearchQuery.page == 1, SearchQuery.normalized != ""
        )
    ).one()
    return SearchAnalytics(
        date_from=period.start,
        to=period.end,
        searches=searches,
        zero_result_searches=zero,
        top=_query_rows(session, bounds, zero_only=False, limit=limit),
        zero_results=_query_rows(session, bounds, zero_only=True, limit=limit),
    )


__all__ = [
    "search_analytics",
]
