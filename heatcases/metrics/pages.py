"""Metrics pages: the supervisor dashboard (+ CSV of each table), who read a case, my impact, my progress."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from heatcases.cases import service as cases
from heatcases.cases.schemas import CaseId
from heatcases.deps import AuthorPageUser, PageUser, ReadSessionDep, ReviewerPageUser, SettingsDep
from heatcases.errors import HeatcasesError, InvalidInput
from heatcases.i18n import translate
from heatcases.metrics import export, periods
from heatcases.metrics import impact as metrics_impact
from heatcases.metrics import lessons as metrics_lessons
from heatcases.metrics import readers as metrics_readers
from heatcases.metrics import reading as metrics_reading
from heatcases.metrics import search_analytics as metrics_search_analytics
from heatcases.metrics import summary as metrics_summary
from heatcases.metrics import top_cases as metrics_top_cases
from heatcases.metrics import trend as metrics_trend
from heatcases.metrics import turnaround as metrics_turnaround
from heatcases.metrics.api import csv_response
from heatcases.metrics.schemas import HEADLINE_KEYS
from heatcases.metrics.scope import EVERYONE, Scope, team_names, team_scope
from heatcases.templating import render, request_language
from heatcases.vocab import TAGS, label

router = APIRouter(include_in_schema=False)

AGENT_ROWS = 50  # the page shows the most active agents; the CSV has every one
TRAINEE_ROWS = 50


def _date(value: str, field: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput(field, "not a date (YYYY-MM-DD)", message_key="metrics.bad_date") from None


def _period(settings, preset: str, date_from: str, date_to: str) -> periods.Period:
    if preset in periods.PRESETS:
        return periods.preset(preset, settings.tz)
    return periods.resolve(_date(date_from, "from"), _date(date_to, "to"), settings.tz)


def _preset_of(period: periods.Period, tz) -> str:
    """The preset that names this period ("30d" for the default), or "" for other dates."""
    return next((name for name in periods.PRESETS if periods.preset(name, tz) == period), "")


def default_interval(period: periods.Period) -> str:
    return "day" if period.days <= 45 else "week" if period.days <= 200 else "month"


def _choices(settings, session, preset: str, date_from: str, date_to: str, team: str):
    """Period and team from the query; a bad value shows the default with a message (and 422), never a crash."""
    error = None
    try:
        period = _period(settings, preset, date_from, date_to)
    except HeatcasesError as problem:
        error, period = problem.message_key, periods.resolve(None, None, settings.tz)
    try:
        scope = team_scope(session, team)
    except HeatcasesError as problem:
        error, scope, team = problem.message_key, EVERYONE, ""
    return period, scope, team, error


@router.get("/dashboard")
def dashboard(
    request: Request,
    user: ReviewerPageUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    preset: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    team: str = "",
    interval: str = "",
):
    """The supervisor dashboard: headline figures with change, charts, tables and search analytics."""
    period, scope, team, error = _choices(settings, session, preset, date_from, date_to, team)
    if interval not in metrics_trend.INTERVALS:
        interval = default_interval(period)
    tz = settings.tz
    summary = metrics_summary.summary(session, tz, period, scope, team=team or None)
    trend = metrics_trend.trend(session, tz, period, interval, scope)
    progress = metrics_reading.progress(session, scope)
    lessons = metrics_lessons.lesson_metrics(session, tz, period, scope)
    turnaround = metrics_turnaround.turnaround(session, tz, period, interval, scope)
    context = {
        "period": period,
        "preset": _preset_of(period, settings.tz),
        "presets": periods.PRESETS,
        "team": team,
        "teams": team_names(session),
        "interval": interval,
        "error": error,
        "summary": summary,
        "headline_keys": HEADLINE_KEYS,
        "agents": summary.by_agent[:AGENT_ROWS],
        # (first cell, figures) pairs for the tables
        "rows": {
            "trend": [(bucket.start, bucket) for bucket in trend.buckets],
            "teams": [(row.team, row) for row in summary.by_team],
            "agents": [(row, row) for row in summary.by_agent[:AGENT_ROWS]],
        },
        "trend": trend,
        "search": metrics_search_analytics.search_analytics(session, tz, period, limit=10),
        "top": metrics_top_cases.top_cases(session, tz, period, scope, limit=3),
        "progress": progress,
        "trainees": sorted(progress.trainees, key=lambda row: (row.progress or 0, row.username))[:TRAINEE_ROWS],
        "export_query": {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            **({"team": team} if team else {}),
        },
        "lessons": lessons,
        "turnaround": turnaround,
        "chart": {
            **_chart_data(request, summary, trend),
            "lessons": _lesson_chart_data(request, lessons),
            "turnaround": _turnaround_chart_data(request, turnaround),
        },
    }
    return render(request, "metrics/dashboard.html", context, status_code=422 if error else 200)


def _chart_data(request: Request, summary, trend) -> dict:
    """What static/js/dashboard.js draws; labels in the page's language."""
    lang = request_language(request)
    teams = [row for row in summary.by_team if row.submissions or row.views][:12]
    return {
        "trend": {
            "labels": [bucket.start.isoformat() for bucket in trend.buckets],
            "series": {
                key: [getattr(bucket, key) for bucket in trend.buckets]
                for key in ("submissions", "approved", "featured", "views", "impressions", "opened")
            },
        },  # fmt: skip
        "values": {
            "codes": list(TAGS),
            "labels": [label("tag", tag, lang) for tag in TAGS],
            "submissions": [summary.by_tag[tag].submissions for tag in TAGS],
            "approved": [summary.by_tag[tag].approved for tag in TAGS],
        },
        "teams": {
            "labels": [row.team or translate("metrics.no_team", lang) for row in teams],
            "submissions": [row.submissions for row in teams],
            "approved": [row.approved for row in teams],
        },
        "names": {key: translate(f"metrics.{key}", lang) for key in (*HEADLINE_KEYS, "opened")},
    }


def _turnaround_chart_data(request: Request, turnaround) -> dict:
    """p50 and p90 of the review turnaround per bucket, in hours."""
    lang = request_language(request)
    return {
        "labels": [bucket.start.isoformat() for bucket in turnaround.buckets],
        "p50": [bucket.p50_hours for bucket in turnaround.buckets],
        "p90": [bucket.p90_hours for bucket in turnaround.buckets],
        "names": {key: translate(f"turnaround.{key}", lang) for key in ("p50", "p90", "hours")},
    }


def _lesson_chart_data(request: Request, lessons) -> dict:
    """Value at risk by team and by service-quality element, this period and the previous one."""
    lang = request_language(request)
    teams = lessons.by_team[:12]
    return {
        "team": {
            "labels": [row.team or translate("metrics.no_team", lang) for row in teams],
            "current": [row.value_at_risk for row in teams],
            "previous": [row.previous_value_at_risk for row in teams],
        },
        "servqual": {
            "labels": [label("servqual", row.servqual, lang) for row in lessons.by_servqual],
            "current": [row.value_at_risk for row in lessons.by_servqual],
            "previous": [row.previous_value_at_risk for row in lessons.by_servqual],
        },
        "names": {
            "current": translate("lesson.metrics.value_at_risk", lang),
            "previous": translate("lesson.metrics.previous_value", lang),
        },
    }


@router.get("/dashboard/export/{table}.csv")
def dashboard_csv(
    request: Request,
    table: str,
    user: ReviewerPageUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    team: str = "",
) -> Response:
    """One table of the dashboard as CSV, for the period and team shown."""
    period = _period(settings, "", date_from, date_to)
    scope = team_scope(session, team)
    return csv_response(*export.export(session, settings.tz, table, period, scope, lang=request_language(request)))


@router.get("/cases/{case_id}/readers")
def readers_page(request: Request, case_id: CaseId, user: ReviewerPageUser, session: ReadSessionDep):
    """Who has read a case, when and how often (supervisors)."""
    case = cases.get_case(session, case_id, user)
    return render(request, "metrics/readers.html", {"case": case, "readers": metrics_readers.readers(session, case_id)})


@router.get("/me/impact")
def my_impact(
    request: Request,
    user: AuthorPageUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    preset: str = "90d",
):
    """An author's impact: views and featured status of my cases, my submissions over time."""
    if preset not in periods.PRESETS:
        preset = "90d"
    period = periods.preset(preset, settings.tz)
    mine = Scope(author_id=user.id)
    current = metrics_summary.figures(session, period.utc_bounds(settings.tz), mine)
    previous = metrics_summary.figures(session, period.previous().utc_bounds(settings.tz), mine)
    interval = default_interval(period)
    buckets = metrics_trend.trend(session, settings.tz, period, interval, mine).buckets
    context = {
        "period": period,
        "preset": preset,
        "presets": periods.PRESETS,
        "current": current,
        "previous": previous,
        "change": metrics_summary.change(current, previous),
        "cases": metrics_impact.my_cases(session, user, period.utc_bounds(settings.tz)),
        "interval": interval,
        "buckets": [(bucket.start.isoformat(), bucket) for bucket in buckets],
        "chart": {
            "mine": {
                "labels": [bucket.start.isoformat() for bucket in buckets],
                "submissions": [bucket.submissions for bucket in buckets],
                "views": [bucket.views for bucket in buckets],
            },
            "names": {key: translate(f"metrics.{key}", request_language(request)) for key in ("submissions", "views")},
        },
    }
    return render(request, "metrics/impact.html", context)


@router.get("/me/progress")
def my_progress(request: Request, user: PageUser, session: ReadSessionDep):
    """A reader's progress through the featured cases, per HEAT value, read or not."""
    reading = metrics_reading.featured_reading(session, user)
    per_value = {tag: (sum(1 for _, _, read in rows if read), len(rows)) for tag, rows in reading.items()}
    overall = metrics_reading.progress(session, only_user=user.id)
    return render(
        request,
        "metrics/progress.html",
        {"reading": reading, "per_value": per_value, "overall": overall.trainees[0] if overall.trainees else None},
    )
