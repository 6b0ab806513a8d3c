"""The figures over time: per day, week (from Monday) or month of a period."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, distinct, func, literal, select, union_all
from sqlmodel import Session

from heatcases.errors import InvalidInput
from heatcases.metrics.periods import Period, local_midnight
from heatcases.metrics.schemas import Trend, TrendBucket
from heatcases.metrics.scope import EVENT_FIGURE, EVERYONE, REVIEW_ACTIONS, Scope, praised_count, within
from heatcases.models import Case, CaseEvent, CaseView, Impression

INTERVALS = ("day", "week", "month")


def bucket_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def bucket_starts(period: Period, interval: str) -> list[date]:
    starts, day = [], bucket_start(period.start, interval)
    while day <= period.end:
        starts.append(day)
        step = {"day": 1, "week": 7, "month": 32}[interval]
        day = bucket_start(day + timedelta(days=step), interval)
    return starts


def bucket_bounds(period: Period, interval: str, tz: ZoneInfo) -> list[tuple[date, tuple[datetime, datetime]]]:
    """Each bucket's start and its instants, clipped to the period: exact local days in any time zone."""
    starts = bucket_starts(period, interval)
    ends = [*starts[1:], period.end + timedelta(days=1)]
    return [
        (start, (local_midnight(max(start, period.start), tz), local_midnight(end, tz)))
        for start, end in zip(starts, ends, strict=True)
    ]


# SQLite answers at most 500 SELECTs joined by UNION ALL.
_BUCKETS_PER_STATEMENT = 200


def _figures(scope: Scope) -> list[tuple[tuple[str, ...], object, tuple, list]]:
    """Each group of figures the trend counts: (names, the instant column, the measures, the conditions)."""
    groups = [(("submissions", "praised"), Case.created_at, (func.count(), praised_count()), scope.case_conditions())]
    for action in REVIEW_ACTIONS:
        counted = func.count(distinct(CaseEvent.case_id)) if action == "feature" else func.count()
        groups.append(((EVENT_FIGURE[action],), CaseEvent.created_at, (counted,),
                       (CaseEvent.action == action, *scope.of_case(CaseEvent.case_id))))  # fmt: skip
    groups.append((("views", "opened"), CaseView.viewed_at, (func.count(), func.count(CaseView.impression_id)),
                   scope.of_case(CaseView.case_id)))  # fmt: skip
    groups.append((("impressions",), Impression.shown_at, (func.count(),), scope.of_case(Impression.case_id)))
    return groups


_TEAM, _AUTHOR = "scope_team_id", "scope_author_id"  # the scope's ids, bound like the bounds


@functools.lru_cache(maxsize=32)
def _statements(by_team: bool, by_author: bool, buckets: int) -> list[tuple[tuple[str, ...], object]]:
    """Per group of figures, one statement counting ``buckets`` ranges (bound as ``low<i>``, ``high<i>``): an index
    range count per bucket. Built once per kind of scope and bucket count (the team's or author's id is bound too,
    so a thousand agents' own trends share one): a month of days is some 200 SELECTs, and building them was a
    quarter of the dashboard's time."""
    # The scope's conditions with bound parameters in place of its ids.
    shape = Scope(team_id=bindparam(_TEAM) if by_team else None, author_id=bindparam(_AUTHOR) if by_author else None)
    statements = []
    for names, column, measures, where in _figures(shape):
        parts = [
            select(literal(index).label("bucket"), *measures).where(
                within(column, (bindparam(f"low{index}"), bindparam(f"high{index}"))), *where
            )
            for index in range(buckets)
        ]
        statements.append((names, union_all(*parts) if len(parts) > 1 else parts[0]))
    return statements


def trend(session: Session, tz: ZoneInfo, period: Period, interval: str = "day", scope: Scope = EVERYONE) -> Trend:
    """The figures per day, week (from Monday) or month of the period."""
    if interval not in INTERVALS:
        raise InvalidInput("interval", "must be day, week or month")
    buckets = bucket_bounds(period, interval, tz)
    figures: list[dict[str, int]] = [{} for _ in buckets]
    for first in range(0, len(buckets), _BUCKETS_PER_STATEMENT):
        chunk = buckets[first : first + _BUCKETS_PER_STATEMENT]
        params = {_TEAM: scope.team_id, _AUTHOR: scope.author_id}
        for index, (_start, (low, high)) in enumerate(chunk):
            params[f"low{index}"], params[f"high{index}"] = low, high
        statements = _statements(scope.team_id is not None, scope.author_id is not None, len(chunk))
        for names, statement in statements:
            for bucket, *counts in session.execute(statement, params).all():
                figures[first + bucket].update(zip(names, (int(value or 0) for value in counts), strict=True))
    return Trend(
        date_from=period.start,
        to=period.end,
        interval=interval,
        buckets=[TrendBucket(start=start, **counts) for (start, _bounds), counts in zip(buckets, figures, strict=True)],
    )


__all__ = [
    "INTERVALS",
    "bucket_start",
    "bucket_starts",
    "trend",
]
