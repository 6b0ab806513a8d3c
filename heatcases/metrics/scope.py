"""What every metrics question shares: whose cases a figure covers (``Scope``), the instants of a period
(``within``) and the rates. The training metrics of PRODUCT.md come from aggregate queries in the database,
one module per question (summary, trend, search_analytics, top_cases, reading, readers, impact).

Definitions (all for a period of calendar days in the configured time zone):
- submissions: cases first submitted in the period (``created_at``); praised: those with customer praise (named, or
  attached as approved evidence: ``praised_count``);
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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from heatcases.errors import InvalidInput
from heatcases.models import Case, CaseAttachment, Team

REVIEW_ACTIONS = ("approve", "reject", "feature")
EVENT_FIGURE = {"approve": "approved", "reject": "rejected", "feature": "featured"}


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


def within(column, bounds: tuple[datetime, datetime]):
    return and_(column >= bounds[0], column < bounds[1])


def percent_change(current: float | None, previous: float | None) -> float | None:
    if current is None or not previous:
        return None
    return round((current - previous) / previous * 100, 1)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


__all__ = [
    "EVENT_FIGURE",
    "EVERYONE",
    "REVIEW_ACTIONS",
    "Scope",
    "percent_change",
    "rate",
    "team_names",
    "team_scope",
    "within",
]


def praised_count():
    """Cases with customer praise: named by their author when submitting (``praise``), or attached as evidence
    (a letter, photo, PDF or video) that a supervisor approved. Counted among the cases of the period."""
    evidenced = select(CaseAttachment.id).where(CaseAttachment.case_id == Case.id, CaseAttachment.status == "approved")
    return func.count(case((or_(Case.praise.is_not(None), evidenced.exists()), 1)))
