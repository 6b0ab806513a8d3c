"""What the notification worker finds by looking, not by an event: a review queue waiting too long, and the
weekly digest of newly featured cases. Each is told once per person (its dedupe key), whichever process looks."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from heatcases.db import begin_write
from heatcases.models import Case, Team, User
from heatcases.notifications import service
from heatcases.vocab import REVIEWER_ROLES

DIGEST_MAX_CASES = 30


def queue_alert(session: Session, *, hours: float, now: datetime) -> int:
    """Tell every active supervisor and admin when the oldest pending case has waited more than ``hours``; once
    per oldest case. Returns how many were told."""
    if hours <= 0:
        return 0
    oldest = session.exec(
        select(Case.id, Case.created_at).where(Case.status == "pending").order_by(Case.created_at, Case.id).limit(1)
    ).first()
    if oldest is None or oldest[1] > now - timedelta(hours=hours):
        return 0
    waiting = session.execute(
        select(func.count()).where(Case.status == "pending", Case.created_at <= now - timedelta(hours=hours))
    ).scalar_one()
    reviewers = session.exec(
        select(User.id).where(User.role.in_(sorted(REVIEWER_ROLES)), User.is_active.is_(True))
    ).all()  # fmt: skip
    begin_write(session)
    told = sum(
        service.notify(
            session, user_id, "queue", data={"pending": waiting, "hours": round(hours, 1) if hours % 1 else int(hours)},
            dedupe_key=f"queue-{oldest[0]}",
        )
        for user_id in reviewers
    )  # fmt: skip
    session.commit()
    return told


def week_of(now: datetime, tz: ZoneInfo) -> tuple[str, datetime, datetime]:
    """The digest of the week ``now`` is in: its key and the week before it (UTC bounds), Monday to Monday."""
    local = now.astimezone(tz)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time.min, tzinfo=tz)
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}", monday - timedelta(days=7), monday


def weekly_digest(session: Session, *, tz: ZoneInfo, now: datetime) -> int:
    """Tell every active person of the cases featured last week (still featured, in the library), per team, their
    own team's first; nothing when none was. Returns how many were told (0 when done already this week)."""
    key, start, end = week_of(now, tz)
    featured = session.execute(
        select(Case.id, Case.title, Team.name)
        .outerjoin(Team, Team.id == Case.team_id)
        .where(Case.featured.is_(True), Case.status == "approved", Case.archived.is_(False),
               Case.featured_at >= start, Case.featured_at < end)
        .order_by(Case.featured_at, Case.id).limit(DIGEST_MAX_CASES)
    ).all()  # fmt: skip
    if not featured:
        return 0
    by_team: dict[str | None, list[dict]] = defaultdict(list)
    for case_id, title, team in featured:
        by_team[team].append({"id": case_id, "title": title})
    people = session.execute(
        select(User.id, Team.name).outerjoin(Team, Team.id == User.team_id).where(User.is_active.is_(True))
    ).all()
    begin_write(session)
    told = 0
    for user_id, own_team in people:
        teams = sorted(by_team, key=lambda team: (team != own_team, team is None, team or ""))
        data = {"week": key, "teams": [{"team": team, "cases": by_team[team]} for team in teams]}
        told += service.notify(session, user_id, "digest", data=data, dedupe_key=f"digest-{key}")
    session.commit()
    return told
