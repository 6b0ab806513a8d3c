"""Review turnaround (issue 22): how long cases wait for a decision.

A wait starts when a case enters the review queue (its submission, or its author's edit after a rejection: a
resubmission; an edit while pending does not restart it, ``cases.listing.enters_review``) and ends at the
decision on it (approve or reject). A decision counts in the period in which it was taken; its turnaround is
the time since its case last entered the queue. p50 and p90 are percentiles of those times in hours,
interpolated linearly between the closest ranks (NumPy's default: of 1, 2, 3, 4 hours p50 is 2.5 and p90 3.7).
Figures per team (the case's team), per supervisor (who decided) and per day, week or month, each with the
period of equal length before and the change in %; and the case waiting longest now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from heatcases.cases.listing import enters_review, waiting_since
from heatcases.db import utcnow
from heatcases.metrics.periods import Period
from heatcases.metrics.schemas import (
    Turnaround,
    TurnaroundBucket,
    TurnaroundChange,
    TurnaroundFigures,
    TurnaroundRow,
    WaitingCase,
)
from heatcases.metrics.scope import EVERYONE, Scope, percent_change, within
from heatcases.metrics.trend import bucket_bounds
from heatcases.models import Case, CaseEvent, Team, User

DECISIONS = ("approve", "reject")


@dataclass(frozen=True)
class _Decision:
    decided_at: datetime
    hours: float
    team: str | None
    supervisor: str
    supervisor_name: str


def _decisions(session: Session, bounds: tuple[datetime, datetime], scope: Scope) -> list[_Decision]:
    """The decisions taken within ``bounds``, each with the time its case had waited."""
    entered = aliased(CaseEvent)
    # The last time the case entered the queue before this decision (events of a case are numbered in order).
    started = (
        select(entered.created_at)
        .where(entered.case_id == CaseEvent.case_id, entered.id < CaseEvent.id, enters_review(entered))
        .order_by(entered.id.desc())
        .limit(1)
        .correlate(CaseEvent)
        .scalar_subquery()
    )
    rows = session.execute(
        select(CaseEvent.created_at, started, Team.name, User.username, User.display_name)
        .join(Case, Case.id == CaseEvent.case_id)
        .outerjoin(Team, Team.id == Case.team_id)
        .join(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.action.in_(DECISIONS), within(CaseEvent.created_at, bounds), *scope.case_conditions())
    ).all()
    return [
        _Decision(decided_at, max(0.0, (decided_at - start).total_seconds() / 3600), team, username, name)
        for decided_at, start, team, username, name in rows
        if start is not None
    ]


def figures(hours: list[float]) -> TurnaroundFigures:
    """Count, p50 and p90 (hours, two decimals) of these waits."""
    if not hours:
        return TurnaroundFigures()
    p50, p90 = np.percentile(np.asarray(hours, dtype=float), [50, 90])
    return TurnaroundFigures(decisions=len(hours), p50_hours=round(float(p50), 2), p90_hours=round(float(p90), 2))


def _change(current: TurnaroundFigures, previous: TurnaroundFigures) -> TurnaroundChange:
    return TurnaroundChange(
        **{key: percent_change(getattr(current, key), getattr(previous, key)) for key in TurnaroundChange.model_fields}
    )


def _rows(current: list[_Decision], previous: list[_Decision], key_of, name_of) -> list[TurnaroundRow]:
    """Per key: the period's and the previous period's figures; the slowest p90 first."""
    now: dict = defaultdict(list)
    before: dict = defaultdict(list)
    names: dict = {}
    for group, decisions in ((now, current), (before, previous)):
        for one in decisions:
            group[key_of(one)].append(one.hours)
            names[key_of(one)] = name_of(one)
    rows = []
    for key in set(now) | set(before):
        this, last = figures(now[key]), figures(before[key])
        rows.append(
            TurnaroundRow(
                key=key,
                name=names[key],
                decisions=this.decisions,
                p50_hours=this.p50_hours,
                p90_hours=this.p90_hours,
                previous_decisions=last.decisions,
                previous_p50_hours=last.p50_hours,
                previous_p90_hours=last.p90_hours,
                p50_change_pct=percent_change(this.p50_hours, last.p50_hours),
                p90_change_pct=percent_change(this.p90_hours, last.p90_hours),
            )
        )
    return sorted(rows, key=lambda row: (row.p90_hours is None, -(row.p90_hours or 0), str(row.key or "")))


def oldest_waiting(session: Session, scope: Scope = EVERYONE) -> tuple[int, WaitingCase | None]:
    """How many cases wait for a decision, and the one waiting longest."""
    pending = [Case.status == "pending", *scope.case_conditions()]
    count = session.execute(select(func.count()).select_from(Case).where(*pending)).scalar_one()
    if not count:
        return 0, None
    since = waiting_since()
    row = session.execute(
        select(Case.id, Case.title, User.username, Team.name, since)
        .join(User, User.id == Case.author_id)
        .outerjoin(Team, Team.id == Case.team_id)
        .where(*pending)
        .order_by(since, Case.id)
        .limit(1)
    ).first()
    if row is None or row[4] is None:
        return count, None
    case_id, title, author, team, started = row
    hours = round((utcnow() - started).total_seconds() / 3600, 2)
    return count, WaitingCase(id=case_id, title=title, author=author, team=team, waiting_since=started,
                              waited_hours=hours)  # fmt: skip


def turnaround(session: Session, tz: ZoneInfo, period: Period, interval: str, scope: Scope = EVERYONE) -> Turnaround:
    """The period's review turnaround, the previous period's, by team, supervisor and interval; the oldest wait."""
    bounds, previous_bounds = period.utc_bounds(tz), period.previous().utc_bounds(tz)
    decisions = _decisions(session, (previous_bounds[0], bounds[1]), scope)
    current = [one for one in decisions if one.decided_at >= bounds[0]]
    previous = [one for one in decisions if one.decided_at < bounds[0]]
    this, last = figures([one.hours for one in current]), figures([one.hours for one in previous])
    buckets = [
        TurnaroundBucket(start=start, **figures([one.hours for one in current if _within(one, edges)]).model_dump())
        for start, edges in bucket_bounds(period, interval, tz)
    ]
    pending, oldest = oldest_waiting(session, scope)
    before = period.previous()
    return Turnaround(
        date_from=period.start,
        to=period.end,
        timezone=tz.key,
        interval=interval,
        previous_period={"from": before.start, "to": before.end},
        current=this,
        previous=last,
        change_pct=_change(this, last),
        by_team=_rows(current, previous, lambda one: one.team, lambda one: one.team),
        by_supervisor=_rows(current, previous, lambda one: one.supervisor, lambda one: one.supervisor_name),
        buckets=buckets,
        pending=pending,
        oldest_waiting=oldest,
    )


def _within(decision: _Decision, bounds: tuple[datetime, datetime]) -> bool:
    return bounds[0] <= decision.decided_at < bounds[1]
