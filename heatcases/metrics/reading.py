"""Reading the featured cases: each trainee's and team's progress, and one reader's per HEAT value."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, false, func, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from heatcases.metrics.schemas import Progress, TeamProgress, TraineeRow
from heatcases.metrics.scope import EVERYONE, Scope, rate
from heatcases.models import Case, CaseTag, CaseViewer, Team, User
from heatcases.vocab import TAGS


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


class _FeaturedOrder:
    """The featured cases' (value, id) in reading order, kept per database while they do not change.

    Every case page and the home page ask for it, and the whole list (~1,700 rows at 1,000 featured cases)
    took ~14 ms to read each time, 6 % of the workers' CPU under the shift load (bench/load/run.py --profile).
    Whether it changed is asked of the (featured, updated_at) index alone: a case featured, unfeatured,
    archived, edited or reviewed changes the count of featured cases or their latest ``updated_at``."""

    def __init__(self):
        self._kept: dict[str, tuple[tuple, list[tuple[str, int]]]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session) -> list[tuple[str, int]]:
        version = tuple(
            session.execute(select(func.count(), func.max(Case.updated_at)).where(Case.featured == true())).one()
        )
        database = str(session.get_bind().url)
        with self._lock:
            kept = self._kept.get(database)
        if kept is not None and kept[0] == version:
            return kept[1]
        in_order = [
            (tag, case_id)
            for tag, case_id in session.execute(
                select(CaseTag.tag, Case.id)
                .join(CaseTag, CaseTag.case_id == Case.id)
                .where(featured_listed())
                .order_by(CaseTag.tag, Case.featured_at.desc(), Case.id.desc())
            )
        ]
        with self._lock:
            self._kept[database] = (version, in_order)
        return in_order


_featured_order = _FeaturedOrder()


def reading_by_value(session: Session, user: User) -> dict[str, Reading]:
    """Per HEAT value: how many of its featured cases ``user`` has read, and which to read next.

    Ids first (kept while the featured cases do not change), titles only of the cases to read next: every
    case page and the home page show this."""
    in_order = _featured_order.get(session)
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


__all__ = [
    "Reading",
    "featured_listed",
    "featured_reading",
    "progress",
    "reading_by_value",
    "reading_overall",
]
