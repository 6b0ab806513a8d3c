"""The dashboard's tables as CSV files that open correctly in Excel (UTF-8 with a byte-order mark)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session

from heatcases.errors import NotFound
from heatcases.i18n import translate
from heatcases.metrics import lessons, reading, search_analytics, summary, top_cases, trend, turnaround
from heatcases.metrics.periods import Period
from heatcases.metrics.scope import Scope
from heatcases.vocab import label

# A cell starting with one of these is a formula to a spreadsheet: names typed by users must not run.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list]


def _agents(session, tz, period, scope) -> Table:
    rows = summary.breakdowns(session, tz, period, scope).by_agent
    header = ["author", "name", "team", "submissions", "approved", "rejected", "featured", "praised"]
    return Table(header, [[getattr(row, key) for key in header] for row in rows])


def _teams(session, tz, period, scope) -> Table:
    rows = summary.breakdowns(session, tz, period, scope).by_team
    header = ["team", "members", "submissions", "approved", "rejected", "featured", "praised", "views"]
    return Table(header, [[getattr(row, key) for key in header] for row in rows])


def _groups(attribute: str, key: str) -> Callable:
    def build(session, tz, period, scope) -> Table:
        groups = getattr(summary.breakdowns(session, tz, period, scope), attribute)
        header = [key, "submissions", "approved", "rejected", "featured", "praised", "views"]
        return Table(header, [[name, *(getattr(figures, k) for k in header[1:])] for name, figures in groups.items()])

    return build


def _trend(interval: str) -> Callable:
    def build(session, tz, period, scope) -> Table:
        buckets = trend.trend(session, tz, period, interval, scope).buckets
        header = ["start", "submissions", "approved", "rejected", "featured", "praised", "views", "impressions",
                  "opened"]  # fmt: skip
        return Table(header, [[getattr(bucket, key) for key in header] for bucket in buckets])

    return build


def _queries(attribute: str) -> Callable:
    def build(session, tz, period, scope) -> Table:
        rows = getattr(search_analytics.search_analytics(session, tz, period, limit=200), attribute)
        header = ["query", "searches", "users", "results"]
        return Table(header, [[getattr(row, key) for key in header] for row in rows])

    return build


def _top_cases(session, tz, period, scope) -> Table:
    top = top_cases.top_cases(session, tz, period, scope, limit=20)
    header = ["group", "key", "rank", "case_id", "title", "views", "unique_viewers", "featured"]
    rows = [
        [group, key, rank, case.id, case.title, case.views, case.unique_viewers, case.featured]
        for group, per_key in (("tag", top.by_tag), ("business_line", top.by_business_line))
        for key, cases in per_key.items()
        for rank, case in enumerate(cases, start=1)
    ]
    return Table(header, rows)


def _progress(session, tz, period, scope) -> Table:
    rows = reading.progress(session, scope).trainees
    header = ["username", "name", "team", "read", "featured", "progress"]
    return Table(header, [[getattr(row, key) for key in header] for row in rows])


def _lesson_groups(attribute: str, key: str) -> Callable:
    def build(session, tz, period, scope) -> Table:
        groups = getattr(lessons.lesson_metrics(session, tz, period, scope), attribute)
        header = [key, "lessons", "value_at_risk", "previous_lessons", "previous_value_at_risk", "change_pct"]
        return Table(header, [[getattr(group, name) for name in header] for group in groups])

    return build


TURNAROUND_COLUMNS = ["decisions", "p50_hours", "p90_hours", "previous_decisions", "previous_p50_hours",
                      "previous_p90_hours", "p50_change_pct", "p90_change_pct"]  # fmt: skip


def _turnaround_rows(attribute: str, key: str) -> Callable:
    def build(session, tz, period, scope) -> Table:
        rows = getattr(turnaround.turnaround(session, tz, period, "week", scope), attribute)
        header = [key, "name", *TURNAROUND_COLUMNS] if key == "supervisor" else [key, *TURNAROUND_COLUMNS]
        return Table(header, [[row.key, *([row.name] if key == "supervisor" else []),
                               *(getattr(row, name) for name in TURNAROUND_COLUMNS)] for row in rows])  # fmt: skip

    return build


def _turnaround_trend(interval: str) -> Callable:
    def build(session, tz, period, scope) -> Table:
        buckets = turnaround.turnaround(session, tz, period, interval, scope).buckets
        header = ["start", "decisions", "p50_hours", "p90_hours"]
        return Table(header, [[getattr(bucket, name) for name in header] for bucket in buckets])

    return build


TABLES: dict[str, Callable[[Session, ZoneInfo, Period, Scope], Table]] = {
    "agents": _agents,
    "teams": _teams,
    "values": _groups("by_tag", "tag"),
    "business-lines": _groups("by_business_line", "business_line"),
    "daily": _trend("day"),
    "weekly": _trend("week"),
    "monthly": _trend("month"),
    "queries": _queries("top"),
    "zero-result-queries": _queries("zero_results"),
    "top-cases": _top_cases,
    "progress": _progress,
    "lessons-teams": _lesson_groups("by_team", "team"),
    "lessons-business-lines": _lesson_groups("by_business_line", "business_line"),
    "lessons-servqual": _lesson_groups("by_servqual", "servqual"),
    "lessons-partners": _lesson_groups("by_partner", "partner"),
    "review-teams": _turnaround_rows("by_team", "team"),
    "review-supervisors": _turnaround_rows("by_supervisor", "supervisor"),
    "review-daily": _turnaround_trend("day"),
    "review-weekly": _turnaround_trend("week"),
    "review-monthly": _turnaround_trend("month"),
}


# Columns whose cells are codes: shown as their labels in a file for people (the dashboard's, in its language).
_CODE_COLUMNS = {"tag": "tag", "business_line": "business_line", "servqual": "servqual"}


def for_people(table: Table, lang: str) -> Table:
    """The table with its column names and codes in the page's language (the API's files keep the codes)."""
    kinds = [_CODE_COLUMNS.get(column) for column in table.header]
    group = table.header.index("group") if "group" in table.header else None
    key = table.header.index("key") if group is not None else None
    rows = []
    for row in table.rows:
        cells = [label(kind, value, lang) if kind else value for kind, value in zip(kinds, row, strict=True)]
        if group is not None:  # top cases: each row's key is a tag or a business line, as its group says
            cells[key] = label(row[group], row[key], lang)
            cells[group] = translate(f"csv.group.{row[group]}", lang)
        rows.append(cells)
    return Table([translate(f"csv.{column}", lang) for column in table.header], rows)


def export(session: Session, tz: ZoneInfo, name: str, period: Period, scope: Scope,
           lang: str | None = None) -> tuple[str, str]:  # fmt: skip
    """(file name, CSV text) of one dashboard table; NotFound for a table that does not exist. With ``lang``,
    the columns and codes are in that language (the dashboard's download), else codes (the API)."""
    build = TABLES.get(name)
    if build is None:
        raise NotFound("no such table")
    table = build(session, tz, period, scope)
    if lang:
        table = for_people(table, lang)
    return f"heat-{name}-{period.start}-{period.end}.csv", to_csv(table.header, table.rows)
