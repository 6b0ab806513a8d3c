"""Lessons from complaints in figures (API.md, "Lessons"): lessons by class and kind, value at risk in all and by
team, business line, service-quality element and partner, per period with the change against the previous one;
the most recurring partners and elements come first; trainees' reading of lessons.

A lesson counts in the period in which it was approved (``reviewed_at`` of an approved lesson; an archived one
still counts), with the value at risk it was given then; pending and rejected lessons are not counted. Lessons
are few beside exemplars, so the approved lessons of both periods are read once and counted here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from heatcases.metrics.periods import Period
from heatcases.metrics.schemas import (
    LESSON_KEYS,
    LessonChange,
    LessonFigures,
    LessonGroup,
    LessonMetrics,
    LessonReading,
)
from heatcases.metrics.scope import EVERYONE, Scope, percent_change, within
from heatcases.models import Case, CaseServqual, CaseView, Team, User
from heatcases.vocab import SERVQUAL_CODES


@dataclass(frozen=True)
class _Lesson:
    id: int
    current: bool  # approved in the period (else in the previous one)
    defect_class: str | None
    defect_kind: str | None
    value: int
    team: str | None
    business_line: str
    partner: str | None
    servqual: tuple[str, ...]


def _lessons(session: Session, bounds: tuple[datetime, datetime], previous: tuple[datetime, datetime],
             scope: Scope) -> list[_Lesson]:  # fmt: skip
    rows = session.execute(
        select(
            Case.id,
            Case.reviewed_at,
            Case.defect_class,
            Case.defect_kind,
            Case.value_at_risk,
            Team.name,
            Case.business_line,
            Case.partner,
        )  # fmt: skip
        .outerjoin(Team, Team.id == Case.team_id)
        .where(
            Case.kind == "lesson",
            Case.status == "approved",
            within(Case.reviewed_at, (previous[0], bounds[1])),
            *scope.case_conditions(),
        )
    ).all()
    elements: dict[int, list[str]] = defaultdict(list)
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for case_id, element in session.execute(
            select(CaseServqual.case_id, CaseServqual.element).where(CaseServqual.case_id.in_(chunk))
        ):
            elements[case_id].append(element)
    return [
        _Lesson(
            id=row.id,
            current=row.reviewed_at >= bounds[0],
            defect_class=row.defect_class,
            defect_kind=row.defect_kind,
            value=row.value_at_risk or 0,
            team=row.name,
            business_line=row.business_line,
            partner=row.partner,
            servqual=tuple(code for code in SERVQUAL_CODES if code in elements[row.id]),
        )
        for row in rows
    ]


def _figures(lessons: list[_Lesson]) -> LessonFigures:
    figures = LessonFigures(lessons=len(lessons), value_at_risk=sum(one.value for one in lessons))
    for one in lessons:
        if one.defect_class in ("A", "B", "C"):
            setattr(figures, one.defect_class, getattr(figures, one.defect_class) + 1)
        figures.faults += one.defect_kind == "fault"
        figures.hazards += one.defect_kind == "hazard"
    return figures


def _change(current: LessonFigures, previous: LessonFigures) -> LessonChange:
    return LessonChange(**{key: percent_change(getattr(current, key), getattr(previous, key)) for key in LESSON_KEYS})


def _groups(lessons: list[_Lesson], name: str, keys_of) -> list[LessonGroup]:
    """Per key of ``name`` (``keys_of(lesson)`` gives a lesson's keys): the period's and the previous period's
    lessons and value; the groups with most lessons in the period first (the most recurring), then by value."""
    totals: dict = defaultdict(lambda: [0, 0, 0, 0])  # lessons, value, previous lessons, previous value
    for one in lessons:
        for key in keys_of(one):
            total = totals[key]
            offset = 0 if one.current else 2
            total[offset] += 1
            total[offset + 1] += one.value
    groups = [
        LessonGroup(
            **{name: key},
            lessons=lessons_now,
            value_at_risk=value_now,
            previous_lessons=lessons_before,
            previous_value_at_risk=value_before,
            change_pct=percent_change(value_now, value_before),
        )
        for key, (lessons_now, value_now, lessons_before, value_before) in totals.items()
    ]
    return sorted(groups, key=lambda group: (-group.lessons, -group.value_at_risk, -group.previous_lessons,
                                             str(getattr(group, name) or "")))  # fmt: skip


def _reading(session: Session, bounds, scope: Scope) -> tuple[int, int]:
    """(counted views of lessons by trainees, distinct trainees) in the period."""
    views, readers = session.execute(
        select(func.count(), func.count(func.distinct(CaseView.user_id)))
        .select_from(CaseView)
        .join(Case, Case.id == CaseView.case_id)
        .join(User, User.id == CaseView.user_id)
        .where(
            Case.kind == "lesson", User.role == "trainee", within(CaseView.viewed_at, bounds), *scope.case_conditions()
        )
    ).one()
    return views, readers


def lesson_metrics(session: Session, tz: ZoneInfo, period: Period, scope: Scope = EVERYONE) -> LessonMetrics:
    """The lesson figures of the period and the one before it, with their breakdowns."""
    bounds, previous_bounds = period.utc_bounds(tz), period.previous().utc_bounds(tz)
    lessons = _lessons(session, bounds, previous_bounds, scope)
    current = _figures([one for one in lessons if one.current])
    previous = _figures([one for one in lessons if not one.current])
    views, readers = _reading(session, bounds, scope)
    views_before, readers_before = _reading(session, previous_bounds, scope)
    return LessonMetrics(
        date_from=period.start,
        to=period.end,
        current=current,
        previous=previous,
        change_pct=_change(current, previous),
        by_team=_groups(lessons, "team", lambda one: (one.team,)),
        by_business_line=_groups(lessons, "business_line", lambda one: (one.business_line,)),
        by_servqual=_groups(lessons, "servqual", lambda one: one.servqual),
        by_partner=_groups(lessons, "partner", lambda one: (one.partner,) if one.partner else ()),
        reading=LessonReading(
            views=views,
            readers=readers,
            previous_views=views_before,
            previous_readers=readers_before,
            change_pct=percent_change(views, views_before),
        ),
    )
