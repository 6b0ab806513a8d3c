"""The figures over time: per day, week (from Monday) or month of a period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, literal, select, union_all
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


def _per_bucket(session: Session, buckets, column, measures: tuple, where=()) -> list[tuple[int, ...]]:
    """The measures over the rows whose ``column`` falls in each bucket: one index range count per bucket."""
    counts: list[tuple[int, ...]] = []
    for first in range(0, len(buckets), _BUCKETS_PER_STATEMENT):
        chunk = buckets[first : first + _BUCKETS_PER_STATEMENT]
        parts = [
            select(literal(index).label("bucket"), *measures).where(within(column, bounds), *where)
            for index, (_start, bounds) in enumerate(chunk)
        ]
        rows = sorted(session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all())
        counts.extend(tuple(int(value or 0) for value in row[1:]) for row in rows)
    return counts


def trend(session: Session, tz: ZoneInfo, period: Period, interval: str = "day", scope: Scope = EVERYONE) -> Trend:
    """The figures per day, week (from Monday) or month of the period."""
    if interval not in INTERVALS:
        raise InvalidInput("interval", "must be day, week or month")
    buckets = bucket_bounds(period, interval, tz)
    figures: list[dict[str, int]] = [{} for _ in buckets]

    def add(names: tuple[str, ...], column, *measures, where=()) -> None:
        for bucket, counts in zip(figures, _per_bucket(session, buckets, column, measures, where), strict=True):
            bucket.update(zip(names, counts, strict=True))

    add(("submissions", "praised"), Case.created_at, func.count(), praised_count(),
        where=scope.case_conditions())  # fmt: skip
    for action in REVIEW_ACTIONS:
        counted = func.count(distinct(CaseEvent.case_id)) if action == "feature" else func.count()
        add((EVENT_FIGURE[action],), CaseEvent.created_at, counted,
            where=(CaseEvent.action == action, *scope.of_case(CaseEvent.case_id)))  # fmt: skip
    add(("views", "opened"), CaseView.viewed_at, func.count(), func.count(CaseView.impression_id),
        where=scope.of_case(CaseView.case_id))  # fmt: skip
    add(("impressions",), Impression.shown_at, func.count(), where=scope.of_case(Impression.case_id))
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
