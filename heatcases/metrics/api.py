"""Metrics API: the summary of API.md (+ CSV), trend, search analytics, most viewed cases, progress."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from heatcases.cases import service as cases
from heatcases.cases.schemas import CaseId
from heatcases.deps import ApiUser, ReadSessionDep, ReviewerApiUser, SettingsDep
from heatcases.errors import error_responses
from heatcases.metrics import export, periods
from heatcases.metrics import lessons as metrics_lessons
from heatcases.metrics import readers as metrics_readers
from heatcases.metrics import reading as metrics_reading
from heatcases.metrics import search_analytics as metrics_search_analytics
from heatcases.metrics import summary as metrics_summary
from heatcases.metrics import top_cases as metrics_top_cases
from heatcases.metrics import trend as metrics_trend
from heatcases.metrics import turnaround as metrics_turnaround
from heatcases.metrics.schemas import (
    CaseReaders,
    LessonMetrics,
    MetricsSummary,
    Progress,
    SearchAnalytics,
    TopCases,
    Trend,
    Turnaround,
)
from heatcases.metrics.scope import Scope, team_scope

router = APIRouter(prefix="/api", tags=["metrics"])

DateFrom = Annotated[date | None, Query(alias="from", description="first day, YYYY-MM-DD (local time zone)")]
DateTo = Annotated[date | None, Query(alias="to", description="last day, included")]
TeamName = Annotated[str | None, Query(max_length=60, description="only this team's cases")]


async def period_param(settings: SettingsDep, date_from: DateFrom = None, date_to: DateTo = None) -> periods.Period:
    return periods.resolve(date_from, date_to, settings.tz)


PeriodDep = Annotated[periods.Period, Depends(period_param)]


class CsvResponse(Response):
    """A CSV download; its media type is what the OpenAPI document declares for the CSV routes."""

    media_type = "text/csv"
    charset = "utf-8"


def csv_response(filename: str, text: str) -> Response:
    return CsvResponse(text.encode("utf-8"), headers={"Content-Disposition": f'attachment; filename="{filename}"'})


SUPERVISORS = error_responses(403)


@router.get("/metrics/summary", response_model=MetricsSummary, responses=SUPERVISORS)
def summary(
    user: ReviewerApiUser, session: ReadSessionDep, settings: SettingsDep, period: PeriodDep, team: TeamName = None
) -> MetricsSummary:
    """The period's figures, the previous period's, the change in %, and per value, team and agent."""
    scope = team_scope(session, team)
    return metrics_summary.summary(session, settings.tz, period, scope, team=team or None)


@router.get("/metrics/summary.csv", response_class=CsvResponse, responses=SUPERVISORS)
def summary_csv(
    user: ReviewerApiUser, session: ReadSessionDep, settings: SettingsDep, period: PeriodDep, team: TeamName = None
) -> Response:
    """The summary's by-agent table as CSV."""
    return csv_response(*export.export(session, settings.tz, "agents", period, team_scope(session, team)))


@router.get("/metrics/export/{table}.csv", response_class=CsvResponse, responses=SUPERVISORS)
def export_csv(
    table: Literal[tuple(export.TABLES)],  # type: ignore[valid-type]
    user: ReviewerApiUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    period: PeriodDep,
    team: TeamName = None,
) -> Response:
    """Any table of the dashboard as CSV."""
    return csv_response(*export.export(session, settings.tz, table, period, team_scope(session, team)))


@router.get("/metrics/lessons", response_model=LessonMetrics, responses=SUPERVISORS)
def lessons(
    user: ReviewerApiUser, session: ReadSessionDep, settings: SettingsDep, period: PeriodDep, team: TeamName = None
) -> LessonMetrics:
    """Lessons approved in the period by class and kind, value at risk in all and by team, business line,
    service-quality element and partner (most recurring first), trainees' reading of lessons; each with the
    previous period of equal length and the change in %."""
    return metrics_lessons.lesson_metrics(session, settings.tz, period, team_scope(session, team))


@router.get("/metrics/trend", response_model=Trend, responses=SUPERVISORS)
def trend(
    user: ReviewerApiUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    period: PeriodDep,
    interval: Literal["day", "week", "month"] = "day",
    team: TeamName = None,
) -> Trend:
    """The figures per day, week (from Monday) or month of the period."""
    return metrics_trend.trend(session, settings.tz, period, interval, team_scope(session, team))


@router.get("/metrics/reviews", response_model=Turnaround, responses=SUPERVISORS)
def reviews(
    user: ReviewerApiUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    period: PeriodDep,
    interval: Literal["day", "week", "month"] = "week",
    team: TeamName = None,
) -> Turnaround:
    """Review turnaround: time from a case's submission or resubmission to the decision on it, p50 and p90 in
    hours, for the period and the previous one with the change in %, by team, by supervisor and per day, week or
    month; how many cases wait and the one waiting longest."""
    return metrics_turnaround.turnaround(session, settings.tz, period, interval, team_scope(session, team))


@router.get("/metrics/search", response_model=SearchAnalytics, responses=SUPERVISORS)
def search_analytics(
    user: ReviewerApiUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    period: PeriodDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> SearchAnalytics:
    """The period's most frequent queries and the queries that found nothing."""
    return metrics_search_analytics.search_analytics(session, settings.tz, period, limit)


@router.get("/metrics/top-cases", response_model=TopCases, responses=SUPERVISORS)
def top_cases(
    user: ReviewerApiUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    period: PeriodDep,
    team: TeamName = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> TopCases:
    """The period's most viewed cases per HEAT value and business line."""
    return metrics_top_cases.top_cases(session, settings.tz, period, team_scope(session, team), limit)


@router.get("/metrics/progress", response_model=Progress, responses=SUPERVISORS)
def progress(user: ReviewerApiUser, session: ReadSessionDep, team: TeamName = None) -> Progress:
    """Trainees' reading: featured cases read / featured cases, per trainee and team."""
    return metrics_reading.progress(session, team_scope(session, team))


@router.get("/cases/{case_id}/readers", response_model=CaseReaders, responses=error_responses(403, 404))
def case_readers(case_id: CaseId, user: ReviewerApiUser, session: ReadSessionDep) -> CaseReaders:
    """Who has read the case, with its views, impressions and open rate."""
    cases.get_case(session, case_id, user)
    return metrics_readers.readers(session, case_id)


@router.get("/me/progress", response_model=Progress)
def my_progress(user: ApiUser, session: ReadSessionDep) -> Progress:
    """The caller's own reading of the featured cases."""
    return metrics_reading.progress(session, Scope(), only_user=user.id)
