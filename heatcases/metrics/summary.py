"""The summary of a period: its headline figures, the previous period's, the change, and the breakdowns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, distinct, func, literal, or_, select
from sqlmodel import Session

from heatcases.metrics import praise, rollup
from heatcases.metrics.periods import Period
from heatcases.metrics.schemas import HEADLINE_KEYS, AgentRow, Change, Figures, GroupFigures, MetricsSummary, TeamRow
from heatcases.metrics.scope import (
    EVENT_FIGURE,
    EVERYONE,
    REVIEW_ACTIONS,
    Scope,
    percent_change,
    praised_count,
    rate,
    within,
)
from heatcases.models import Case, CaseEvent, CaseTag, CaseView, Impression, Team, User, ViewStat
from heatcases.vocab import BUSINESS_LINE_CODES, TAGS

# --- the headline figures -----------------------------------------------------------------------


def figures(session: Session, bounds: tuple[datetime, datetime], scope: Scope = EVERYONE) -> Figures:
    """The headline figures of one period."""
    submitted, praised = session.execute(
        select(func.count(), praised_count()).where(within(Case.created_at, bounds), *scope.case_conditions())
    ).one()
    reviewed = {
        action: (count, cases)
        for action, count, cases in session.execute(
            select(CaseEvent.action, func.count(), func.count(distinct(CaseEvent.case_id)))
            .where(
                CaseEvent.action.in_(REVIEW_ACTIONS),
                within(CaseEvent.created_at, bounds),
                *scope.of_case(CaseEvent.case_id),
            )
            .group_by(CaseEvent.action)
        )
    }
    views, opened, impressions = _event_totals(session, bounds, scope)
    if scope == EVERYONE:
        # One index probe per person beats collecting the distinct readers of every view in the period.
        read_then = select(CaseView.id).where(CaseView.user_id == User.id, within(CaseView.viewed_at, bounds))
        viewers = session.execute(select(func.count()).select_from(User).where(read_then.exists())).scalar_one()
    else:
        viewers = session.execute(
            select(func.count(distinct(CaseView.user_id))).where(
                within(CaseView.viewed_at, bounds), *scope.of_case(CaseView.case_id)
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
                within(ViewStat.hour, whole), ViewStat.dimension == dimension, ViewStat.key == key
            )
        ).one()
        views, opened, impressions = (int(value or 0) for value in rolled)
    for edge in edges:
        more_views, more_opened = session.execute(
            select(func.count(), func.count(CaseView.impression_id)).where(
                within(CaseView.viewed_at, edge), *scope.of_case(CaseView.case_id)
            )
        ).one()
        views, opened = views + more_views, opened + more_opened
    raw_impressions = edges if scope == EVERYONE else [bounds]
    for edge in raw_impressions:
        impressions += session.execute(
            select(func.count()).where(within(Impression.shown_at, edge), *scope.of_case(Impression.case_id))
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

    created = joined(select(*group, func.count(), praised_count()).select_from(Case), Case.id).where(
        within(Case.created_at, bounds), *scope.case_conditions()
    )
    for *key, submitted, praised in session.execute(created.group_by(*group)):
        out[tuple(key)]["submissions"] += submitted
        out[tuple(key)]["praised"] += praised

    events = joined(
        select(*group, CaseEvent.action, func.count(), func.count(distinct(CaseEvent.case_id)))
        .select_from(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id),
        CaseEvent.case_id,
    ).where(CaseEvent.action.in_(REVIEW_ACTIONS), within(CaseEvent.created_at, bounds), *scope.case_conditions())
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
            .where(within(ViewStat.hour, whole), ViewStat.dimension != "all")
            .group_by(ViewStat.dimension, ViewStat.key)
        ).all()
    for edge in edges:
        per_case = (
            select(CaseView.case_id.label("case_id"), func.count().label("views"))
            .where(within(CaseView.viewed_at, edge), *scope.of_case(CaseView.case_id))
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
        praise_evidence=praise.praise_evidence(session, period.utc_bounds(tz), before.utc_bounds(tz), scope),
    )


__all__ = [
    "Breakdowns",
    "breakdowns",
    "change",
    "figures",
    "summary",
]
