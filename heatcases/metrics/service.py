"""The training metrics of PRODUCT.md, from aggregate queries in the database.

Definitions (all for a period of calendar days in the configured time zone):
- submissions: cases first submitted in the period (``created_at``); praised: those with customer praise;
- approved / rejected: review decisions taken in the period; featured: cases featured in the period;
- views: counted views in the period (the author's own and repeats within the view window never count,
  see ``cases.service.record_view``); unique viewers: distinct users among them;
- impressions: cases shown to someone in a search result or listing in the period;
  open rate = views in the period that came from an impression / impressions in the period.
A case belongs to its author and to the team it was submitted from, for every figure about it.

Every query groups in the database; Python only merges the few grouped rows (per author, team,
value, business line or bucket) into the public shapes. Views and impressions of whole hours come from
the hourly rollup (``rollup.py``), the partial hours at a period's ends from the raw rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, distinct, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session

from heatcases.errors import InvalidInput
from heatcases.metrics import rollup
from heatcases.metrics.periods import Period, local_midnight
from heatcases.metrics.schemas import (
    HEADLINE_KEYS,
    AgentRow,
    CaseReaders,
    Change,
    Figures,
    GroupFigures,
    MetricsSummary,
    Progress,
    QueryRow,
    Reader,
    SearchAnalytics,
    TeamProgress,
    TeamRow,
    TopCase,
    TopCases,
    TraineeRow,
    Trend,
    TrendBucket,
)
from heatcases.models import (
    Case,
    CaseEvent,
    CaseTag,
    CaseView,
    CaseViewer,
    Impression,
    SearchQuery,
    Team,
    User,
    ViewStat,
)
from heatcases.vocab import BUSINESS_LINE_CODES, TAGS

REVIEW_ACTIONS = ("approve", "reject", "feature")
EVENT_FIGURE = {"approve": "approved", "reject": "rejected", "feature": "featured"}
INTERVALS = ("day", "week", "month")


@dataclass(frozen=True)
class Scope:
    """Whose cases a figure covers: everyone's, one team's or one author's."""

    team_id: int | None = None
    author_id: int | None = None

    def case_conditions(self) -> list:
        conditions = []
        if self.team_id is not None:
            conditions.append(Case.team_id == self.team_id)
        if self.author_id is not None:
            conditions.append(Case.author_id == self.author_id)
        return conditions

    def of_case(self, case_id_column) -> list:
        """Conditions on a table that refers to cases: the case is in scope."""
        conditions = self.case_conditions()
        return [case_id_column.in_(select(Case.id).where(*conditions))] if conditions else []


EVERYONE = Scope()


def team_scope(session: Session, team: str | None) -> Scope:
    """The scope of a team given by name; 422 naming ``team`` when there is no such team."""
    if not team:
        return EVERYONE
    team_id = session.execute(select(Team.id).where(Team.name == team)).scalar()
    if team_id is None:
        raise InvalidInput("team", "no team has this name", message_key="metrics.unknown_team")
    return Scope(team_id=team_id)


def team_names(session: Session) -> list[str]:
    return list(session.execute(select(Team.name).order_by(Team.name)).scalars())


def _within(column, bounds: tuple[datetime, datetime]):
    return and_(column >= bounds[0], column < bounds[1])


def percent_change(current: float | None, previous: float | None) -> float | None:
    if current is None or not previous:
        return None
    return round((current - previous) / previous * 100, 1)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- the headline figures -----------------------------------------------------------------------


def figures(session: Session, bounds: tuple[datetime, datetime], scope: Scope = EVERYONE) -> Figures:
    """The headline figures of one period."""
    submitted, praised = session.execute(
        select(func.count(), func.count(Case.praise)).where(_within(Case.created_at, bounds), *scope.case_conditions())
    ).one()
    reviewed = {
        action: (count, cases)
        for action, count, cases in session.execute(
            select(CaseEvent.action, func.count(), func.count(distinct(CaseEvent.case_id)))
            .where(
                CaseEvent.action.in_(REVIEW_ACTIONS),
                _within(CaseEvent.created_at, bounds),
                *scope.of_case(CaseEvent.case_id),
            )
            .group_by(CaseEvent.action)
        )
    }
    views, opened, impressions = _event_totals(session, bounds, scope)
    if scope == EVERYONE:
        # One index probe per person beats collecting the distinct readers of every view in the period.
        read_then = select(CaseView.id).where(CaseView.user_id == User.id, _within(CaseView.viewed_at, bounds))
        viewers = session.execute(select(func.count()).select_from(User).where(read_then.exists())).scalar_one()
    else:
        viewers = session.execute(
            select(func.count(distinct(CaseView.user_id))).where(
                _within(CaseView.viewed_at, bounds), *scope.of_case(CaseView.case_id)
            )
        ).scalar_one()
    return Figures(
        submissions=submitted,
        praised=praised,
        approved=reviewed.get("approve", (0, 0))[0],
        rejected=reviewed.get("reject", (0, 0))[0],
        # Featuring, unfeaturing and featuring again is one featured case.
        featured=reviewed.get("feature", (0, 0))[1],
        views=views,
        unique_viewers=viewers,
        impressions=impressions,
        open_rate=rate(opened, impressions),
    )


def _event_totals(session: Session, bounds, scope: Scope) -> tuple[int, int, int]:
    """Views, views from an impression, and impressions in the period.

    The rollup answers the period's whole hours; the raw rows answer the rest (the partial hours at its
    ends, or everything for one author, and impressions of one team's cases).
    """
    whole, edges = rollup.split(bounds) if scope.author_id is None else (None, [bounds])
    views = opened = impressions = 0
    if whole:
        dimension, key = ("all", "") if scope.team_id is None else ("team", str(scope.team_id))
        rolled = session.execute(
            select(func.sum(ViewStat.views), func.sum(ViewStat.opened), func.sum(ViewStat.impressions)).where(
                _within(ViewStat.hour, whole), ViewStat.dimension == dimension, ViewStat.key == key
            )
        ).one()
        views, opened, impressions = (int(value or 0) for value in rolled)
    for edge in edges:
        more_views, more_opened = session.execute(
            select(func.count(), func.count(CaseView.impression_id)).where(
                _within(CaseView.viewed_at, edge), *scope.of_case(CaseView.case_id)
            )
        ).one()
        views, opened = views + more_views, opened + more_opened
    raw_impressions = edges if scope == EVERYONE else [bounds]
    for edge in raw_impressions:
        impressions += session.execute(
            select(func.count()).where(_within(Impression.shown_at, edge), *scope.of_case(Impression.case_id))
        ).scalar_one()
    return views, opened, impressions


def change(current: Figures, previous: Figures) -> Change:
    return Change(**{key: percent_change(getattr(current, key), getattr(previous, key)) for key in HEADLINE_KEYS})


# --- the breakdowns -------------------------------------------------------------------------------

# Per (author, team, business line): everything a case "belongs to" except its values.
# Views are not broken down per author: that would take every view of the period (see _views_by).
_CASE_GROUP = (Case.author_id, Case.team_id, Case.business_line)


def _grouped(session: Session, bounds, scope: Scope, group: tuple, join_tags: bool) -> dict[tuple, dict[str, int]]:
    """Per group key: submissions, praised, approved, rejected and featured in the period."""
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def joined(statement, case_id_column):
        if join_tags:
            statement = statement.join(CaseTag, CaseTag.case_id == case_id_column)
        return statement

    created = joined(select(*group, func.count(), func.count(Case.praise)).select_from(Case), Case.id).where(
        _within(Case.created_at, bounds), *scope.case_conditions()
    )
    for *key, submitted, praised in session.execute(created.group_by(*group)):
        out[tuple(key)]["submissions"] += submitted
        out[tuple(key)]["praised"] += praised

    events = joined(
        select(*group, CaseEvent.action, func.count(), func.count(distinct(CaseEvent.case_id)))
        .select_from(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id),
        CaseEvent.case_id,
    ).where(CaseEvent.action.in_(REVIEW_ACTIONS), _within(CaseEvent.created_at, bounds), *scope.case_conditions())
    for *key, action, count, cases in session.execute(events.group_by(*group, CaseEvent.action)):
        out[tuple(key)][EVENT_FIGURE[action]] += cases if action == "feature" else count
    return out


def _views_by(session: Session, bounds, scope: Scope) -> dict[str, dict[str, int]]:
    """Views in the period per ``team`` (its id as text, "" for none), ``tag`` and ``line``.

    Everyone's from the hourly rollup (and the raw views of the partial hours at the period's ends);
    one team's or author's from their own (far fewer) views.
    """
    whole, edges = rollup.split(bounds) if scope == EVERYONE else (None, [bounds])
    rows = []
    if whole:
        rows += session.execute(
            select(ViewStat.dimension, ViewStat.key, func.sum(ViewStat.views))
            .where(_within(ViewStat.hour, whole), ViewStat.dimension != "all")
            .group_by(ViewStat.dimension, ViewStat.key)
        ).all()
    for edge in edges:
        per_case = (
            select(CaseView.case_id.label("case_id"), func.count().label("views"))
            .where(_within(CaseView.viewed_at, edge), *scope.of_case(CaseView.case_id))
            .group_by(CaseView.case_id)
            .subquery()
        )
        total = func.sum(per_case.c.views)
        with_case = select().select_from(per_case).join(Case, Case.id == per_case.c.case_id)
        team = func.coalesce(cast(Case.team_id, String), "")
        rows += [
            *session.execute(with_case.add_columns(literal("team"), team, total).group_by(Case.team_id)),
            *session.execute(with_case.add_columns(literal("line"), Case.business_line, total)
                             .group_by(Case.business_line)),
            *session.execute(select(literal("tag"), CaseTag.tag, total).select_from(per_case)
                             .join(CaseTag, CaseTag.case_id == per_case.c.case_id).group_by(CaseTag.tag)),
        ]  # fmt: skip
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for dimension, key, views in rows:
        out[dimension][key] += int(views or 0)
    return out


def _sum_by(rows: dict[tuple, dict[str, int]], position: int) -> dict:
    totals: dict = defaultdict(lambda: defaultdict(int))
    for key, counts in rows.items():
        for name, value in counts.items():
            totals[key[position]][name] += value
    return totals


def _team_rows(session: Session, by_team: dict, views: dict[str, int], scope: Scope) -> list[TeamRow]:
    """Every team, active or not (a team with no activity shows zeros), then cases without a team."""
    teams = session.execute(
        select(Team.id, Team.name).where(*([Team.id == scope.team_id] if scope.team_id is not None else []))
    ).all()
    members = dict(
        session.execute(select(User.team_id, func.count()).where(User.is_active.is_(True)).group_by(User.team_id)).all()
    )
    rows = [
        TeamRow(
            team=name, members=members.get(team_id, 0), views=views.get(str(team_id), 0), **by_team.get(team_id, {})
        )
        for team_id, name in teams
    ]
    if by_team.get(None) or views.get(""):
        rows.append(TeamRow(team=None, views=views.get("", 0), **by_team.get(None, {})))
    return sorted(rows, key=lambda row: (-row.submissions, -row.views, row.team is None, row.team or ""))


_NO_CASES = dict.fromkeys(("submissions", "approved", "rejected", "featured", "praised"), 0)


def _agent_rows(session: Session, by_author: dict, scope: Scope) -> list[AgentRow]:
    """Every active agent in scope (an agent with no activity shows zeros) and anyone else with activity."""
    in_scope = [User.team_id == scope.team_id] if scope.team_id is not None else []
    people = session.execute(
        select(User.id, User.username, User.display_name, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .where(or_(and_(User.role == "agent", User.is_active.is_(True), *in_scope), User.id.in_(list(by_author))))
    ).all()
    # Trusted figures from the database: construct without validating (thousands of rows).
    rows = [
        AgentRow.model_construct(author=username, name=name, team=team, **(_NO_CASES | by_author.get(user_id, {})))
        for user_id, username, name, team in people
    ]
    return sorted(rows, key=lambda row: (-row.submissions, -row.approved, -row.featured, row.author))


@dataclass
class Breakdowns:
    by_tag: dict[str, GroupFigures]
    by_business_line: dict[str, GroupFigures]
    by_team: list[TeamRow]
    by_agent: list[AgentRow]


def breakdowns(session: Session, tz: ZoneInfo, period: Period, scope: Scope = EVERYONE) -> Breakdowns:
    """The period's figures per HEAT value, business line, team (all teams) and agent (all agents)."""
    bounds = period.utc_bounds(tz)
    by_case_group = _grouped(session, bounds, scope, _CASE_GROUP, join_tags=False)
    by_tag = _grouped(session, bounds, scope, (CaseTag.tag,), join_tags=True)
    by_line = _sum_by(by_case_group, 2)
    views = _views_by(session, bounds, scope)
    return Breakdowns(
        by_tag={tag: GroupFigures(views=views["tag"].get(tag, 0), **by_tag.get((tag,), {})) for tag in TAGS},
        by_business_line={
            line: GroupFigures(views=views["line"].get(line, 0), **by_line.get(line, {}))
            for line in BUSINESS_LINE_CODES
        },
        by_team=_team_rows(session, _sum_by(by_case_group, 1), views["team"], scope),
        by_agent=_agent_rows(session, _sum_by(by_case_group, 0), scope),
    )


def summary(
    session: Session, tz: ZoneInfo, period: Period, scope: Scope = EVERYONE, *, team: str | None = None
) -> MetricsSummary:
    """API.md's summary: the period's figures, the previous period's, the change, and the breakdowns."""
    before = period.previous()
    current = figures(session, period.utc_bounds(tz), scope)
    previous = figures(session, before.utc_bounds(tz), scope)
    parts = breakdowns(session, tz, period, scope)
    return MetricsSummary(
        date_from=period.start,
        to=period.end,
        timezone=tz.key,
        team=team,
        previous_period={"from": before.start, "to": before.end},
        current=current,
        previous=previous,
        change_pct=change(current, previous),
        by_tag=parts.by_tag,
        by_business_line=parts.by_business_line,
        by_team=parts.by_team,
        by_agent=parts.by_agent,
    )


# --- over time ------------------------------------------------------------------------------------


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


def _bucket_bounds(period: Period, interval: str, tz: ZoneInfo) -> list[tuple[date, tuple[datetime, datetime]]]:
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
            select(literal(index).label("bucket"), *measures).where(_within(column, bounds), *where)
            for index, (_start, bounds) in enumerate(chunk)
        ]
        rows = sorted(session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all())
        counts.extend(tuple(int(value or 0) for value in row[1:]) for row in rows)
    return counts


def trend(session: Session, tz: ZoneInfo, period: Period, interval: str = "day", scope: Scope = EVERYONE) -> Trend:
    """The figures per day, week (from Monday) or month of the period."""
    if interval not in INTERVALS:
        raise InvalidInput("interval", "must be day, week or month")
    buckets = _bucket_bounds(period, interval, tz)
    figures: list[dict[str, int]] = [{} for _ in buckets]

    def add(names: tuple[str, ...], column, *measures, where=()) -> None:
        for bucket, counts in zip(figures, _per_bucket(session, buckets, column, measures, where), strict=True):
            bucket.update(zip(names, counts, strict=True))

    add(("submissions", "praised"), Case.created_at, func.count(), func.count(Case.praise),
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


# --- search analytics, most viewed cases ------------------------------------------------------------


def _query_rows(session: Session, bounds, *, zero_only: bool, limit: int) -> list[QueryRow]:
    conditions = [_within(SearchQuery.searched_at, bounds), SearchQuery.page == 1, SearchQuery.normalized != ""]
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
            _within(SearchQuery.searched_at, bounds), SearchQuery.page == 1, SearchQuery.normalized != ""
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


def top_cases(session: Session, tz: ZoneInfo, period: Period, scope: Scope = EVERYONE, limit: int = 5) -> TopCases:
    """The most viewed cases of the period per HEAT value and per business line."""
    bounds = period.utc_bounds(tz)
    # Each case's views in the period, counted once and ranked within each value and each business line.
    per_case = (
        select(CaseView.case_id.label("case_id"), func.count().label("views"))
        .where(_within(CaseView.viewed_at, bounds), *scope.of_case(CaseView.case_id))
        .group_by(CaseView.case_id)
        .cte("per_case")
    )

    def ranked(kind: str, key, join):
        rank = func.row_number().over(partition_by=key, order_by=(per_case.c.views.desc(), per_case.c.case_id))
        inner = join(select(literal(kind).label("kind"), key.label("key"), per_case.c.case_id, per_case.c.views,
                            rank.label("rank")).select_from(per_case)).subquery()  # fmt: skip
        return select(inner.c.kind, inner.c.key, inner.c.case_id, inner.c.views).where(inner.c.rank <= limit)

    by_tag = ranked("tag", CaseTag.tag, lambda q: q.join(CaseTag, CaseTag.case_id == per_case.c.case_id))
    by_line = ranked("line", Case.business_line, lambda q: q.join(Case, Case.id == per_case.c.case_id))
    rows = session.execute(union_all(by_tag, by_line)).all()
    ids = {case_id for _kind, _key, case_id, _views in rows}
    cases = {row.id: row for row in session.execute(select(Case.id, Case.title, Case.featured).where(Case.id.in_(ids)))}
    viewers = dict(
        session.execute(
            select(CaseView.case_id, func.count(distinct(CaseView.user_id)))
            .where(CaseView.case_id.in_(ids), _within(CaseView.viewed_at, bounds))
            .group_by(CaseView.case_id)
        ).all()
    )
    out: dict[str, dict[str, list[TopCase]]] = {"tag": defaultdict(list), "line": defaultdict(list)}
    for kind, key, case_id, views in sorted(rows, key=lambda row: (row[0], row[1], -row[3], row[2])):
        case = cases[case_id]
        out[kind][key].append(
            TopCase(id=case_id, title=case.title, featured=case.featured, views=views, unique_viewers=viewers[case_id])
        )
    return TopCases(
        date_from=period.start,
        to=period.end,
        by_tag={tag: out["tag"].get(tag, []) for tag in TAGS},
        by_business_line={line: out["line"].get(line, []) for line in BUSINESS_LINE_CODES},
    )


# --- reading: trainees' progress, who read a case ------------------------------------------------------


def featured_listed():
    """The featured cases trainees are asked to read: featured, approved and not archived.

    The ids come from the featured index first: left to itself, SQLite walks every approved case
    (the status index) to find the few featured ones (65 ms instead of 0.1 ms at 100,000 cases)."""
    featured = aliased(Case)
    few = select(featured.id).where(featured.featured == true()).scalar_subquery()
    # status || '' keeps SQLite off the status index, which it prefers to the few ids (the same case).
    return and_(Case.id.in_(few), Case.featured == true(), Case.status.concat("") == "approved",
                Case.archived == false())  # fmt: skip


def progress(session: Session, scope: Scope = EVERYONE, *, only_user: int | None = None) -> Progress:
    """Per trainee and team: featured cases read (ever) / featured cases now in the library.

    With ``only_user``: that one reader's progress, whatever their role.
    """
    featured = session.execute(select(func.count()).select_from(Case).where(featured_listed())).scalar_one()
    in_scope = [User.team_id == scope.team_id] if scope.team_id is not None else []
    who = [User.id == only_user] if only_user is not None else [User.role == "trainee", User.is_active.is_(True)]
    trainees = session.execute(
        select(User.id, User.username, User.display_name, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .where(*who, *in_scope)
        .order_by(Team.name, User.username)
    ).all()
    read = dict(
        session.execute(
            select(CaseViewer.user_id, func.count())
            .join(Case, Case.id == CaseViewer.case_id)
            .join(User, User.id == CaseViewer.user_id)
            .where(featured_listed(), *who, *in_scope)
            .group_by(CaseViewer.user_id)
        ).all()
    )
    rows = [
        TraineeRow(
            username=username, name=name, team=team, read=read.get(user_id, 0), featured=featured,
            progress=rate(read.get(user_id, 0), featured),
        )
        for user_id, username, name, team in trainees
    ]  # fmt: skip
    teams: dict[str | None, list[TraineeRow]] = defaultdict(list)
    for row in rows:
        teams[row.team].append(row)
    team_rows = [
        TeamProgress(
            team=team, trainees=len(members), read=sum(m.read for m in members), featured=featured,
            progress=rate(sum(m.read for m in members), featured * len(members)),
        )
        for team, members in teams.items()
    ]  # fmt: skip
    return Progress(featured=featured, trainees=rows, teams=team_rows)


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


def featured_reading(session: Session, user: User) -> dict[str, list[tuple[int, str, bool]]]:
    """The featured cases per HEAT value, each with whether ``user`` has read it (newest featured first)."""
    read_by_user = select(CaseViewer.case_id).where(CaseViewer.user_id == user.id)
    rows = session.execute(
        select(CaseTag.tag, Case.id, Case.title, Case.id.in_(read_by_user))
        .join(CaseTag, CaseTag.case_id == Case.id)
        .where(featured_listed())
        .order_by(CaseTag.tag, Case.featured_at.desc(), Case.id.desc())
    ).all()
    out: dict[str, list[tuple[int, str, bool]]] = {tag: [] for tag in TAGS}
    for tag, case_id, title, was_read in rows:
        out[tag].append((case_id, title, bool(was_read)))
    return out


@dataclass(frozen=True)
class Reading:
    """One reader's progress through the featured cases of a HEAT value."""

    read: int
    total: int
    ids: frozenset[int]
    read_ids: frozenset[int]
    next_unread: tuple[int, str] | None  # the newest featured case not read yet: (id, title)


def reading_by_value(session: Session, user: User) -> dict[str, Reading]:
    """Per HEAT value: how many of its featured cases ``user`` has read, and which to read next.

    Ids first, titles only of the cases to read next: every case page and the home page show this, and
    a library features hundreds of cases (reading every title took ~27 ms at 1,000 featured cases)."""
    in_order = session.execute(
        select(CaseTag.tag, Case.id)
        .join(CaseTag, CaseTag.case_id == Case.id)
        .where(featured_listed())
        .order_by(CaseTag.tag, Case.featured_at.desc(), Case.id.desc())
    ).all()
    featured_ids = {case_id for _tag, case_id in in_order}
    read = set(session.scalars(select(CaseViewer.case_id).where(CaseViewer.user_id == user.id))) & featured_ids
    by_tag: dict[str, list[int]] = {tag: [] for tag in TAGS}
    for tag, case_id in in_order:
        by_tag[tag].append(case_id)
    first_unread = {tag: next((case_id for case_id in ids if case_id not in read), None) for tag, ids in by_tag.items()}
    wanted = {case_id for case_id in first_unread.values() if case_id is not None}
    titles = dict(session.execute(select(Case.id, Case.title).where(Case.id.in_(wanted))).all()) if wanted else {}
    reading = {}
    for tag, ids in by_tag.items():
        unread = first_unread[tag]
        read_ids = frozenset(case_id for case_id in ids if case_id in read)
        next_unread = (unread, titles[unread]) if unread is not None else None
        reading[tag] = Reading(len(read_ids), len(ids), frozenset(ids), read_ids, next_unread)
    return reading


def reading_overall(reading: dict[str, Reading]) -> tuple[int, int]:
    """(featured cases read, featured cases), each case once however many values it has."""
    read = frozenset().union(*(value.read_ids for value in reading.values()))
    featured = frozenset().union(*(value.ids for value in reading.values()))
    return len(read), len(featured)


def my_cases(session: Session, user: User, bounds) -> list[dict]:
    """The author's cases with status, featured flag, views of all time and views in the period."""
    in_period = (
        select(CaseView.case_id, func.count().label("views"))
        .join(Case, Case.id == CaseView.case_id)
        .where(Case.author_id == user.id, _within(CaseView.viewed_at, bounds))
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
    "EVERYONE",
    "INTERVALS",
    "Breakdowns",
    "Scope",
    "breakdowns",
    "change",
    "featured_reading",
    "figures",
    "my_cases",
    "reading_by_value",
    "reading_overall",
    "percent_change",
    "progress",
    "readers",
    "search_analytics",
    "summary",
    "team_scope",
    "top_cases",
    "trend",
]
