"""Reading assignments: a supervisor's reading list (cases and lessons in order, a note, a due date) given to
people and teams; who has read what, who is late; reminders. Everyone's own lists, soonest due first.

A case of a list counts read for a person once they opened it after it was assigned to them, under the view rules
(``case_viewer.last_counted_at``: a counted view; one within the view window before the assignment is the same
reading). Their own case counts read: an author's views are never counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from heatcases.assignments.schemas import (
    AssignIn,
    ItemPublic,
    MyAssignment,
    MyItem,
    PersonProgress,
    ReadingListIn,
    ReadingListPublic,
    ReadingListSummary,
    TeamProgress,
)
from heatcases.cases.schemas import clean_text
from heatcases.db import begin_write, insert_ignore, utcnow
from heatcases.errors import InvalidInput, NotFound
from heatcases.models import Case, CaseViewer, ReadingAssignment, ReadingList, ReadingListItem, Team, User
from heatcases.notifications import service as notifications
from heatcases.notifications.kinds import ASSIGNABLE_ROLES
from heatcases.privacy import mask_fields


@dataclass
class Reading:
    """How far the people of one list have read it."""

    reading_list: ReadingList
    items: list[tuple[ReadingListItem, Case]]
    members: list[tuple[ReadingAssignment, User, str | None]]  # assignment, person, team name
    read: dict[int, set[int]] = field(default_factory=dict)  # user id -> case ids read

    @property
    def case_ids(self) -> list[int]:
        return [item.case_id for item, _case in self.items]

    def done(self, user_id: int) -> bool:
        return len(self.read.get(user_id, ())) >= len(self.items)

    def late(self, user_id: int, today: date) -> bool:
        return today > self.reading_list.due_on and not self.done(user_id)


def _is_listed(case: Case) -> bool:
    return case.status == "approved" and not case.archived


# --- writing --------------------------------------------------------------------------------------


def create_list(session: Session, actor: User, data: ReadingListIn, *, today: date) -> ReadingList:
    """A new reading list of approved cases and lessons, in the order given; personal data in its text masked."""
    ids = list(dict.fromkeys(data.items))
    if data.due_on < today:
        raise InvalidInput("due_on", "the due date has passed", message_key="reading.past_due")
    begin_write(session)
    found = {case.id: case for case in session.exec(select(Case).where(Case.id.in_(ids))).unique().all()}
    missing = [case_id for case_id in ids if case_id not in found or not _is_listed(found[case_id])]
    if missing:
        detail = f"not approved cases in the library: {', '.join(map(str, missing))}"
        raise InvalidInput("items", detail, message_key="reading.bad_items")
    (title, note), _kinds = mask_fields(data.title.strip(), data.note.strip())
    if not title:
        raise InvalidInput("title", "a title is needed", message_key="reading.no_title")
    reading_list = ReadingList(title=title, note=note, due_on=data.due_on, created_by_id=actor.id)
    session.add(reading_list)
    session.flush()
    for position, case_id in enumerate(ids):
        session.add(ReadingListItem(list_id=reading_list.id, case_id=case_id, position=position))
    session.commit()
    return reading_list


def get_list(session: Session, list_id: int) -> ReadingList:
    reading_list = session.get(ReadingList, list_id)
    if reading_list is None:
        raise NotFound("no such reading list", message_key="reading.not_found")
    return reading_list


def delete_list(session: Session, list_id: int) -> None:
    """Remove a list, its assignments and their notifications."""
    begin_write(session)
    reading_list = get_list(session, list_id)
    session.delete(reading_list)
    session.commit()


def _people(session: Session, data: AssignIn) -> list[tuple[User, int | None]]:
    """The people named and the members of the teams named, each once (with the team they came through)."""
    if not data.usernames and not data.teams:
        raise InvalidInput("usernames", "name people or teams to assign the list to", message_key="reading.nobody")
    chosen: dict[int, tuple[User, int | None]] = {}
    names = list(dict.fromkeys(name.strip() for name in data.usernames if name.strip()))
    users = session.exec(select(User).where(User.username.in_(names))).unique().all() if names else []
    by_name = {user.username: user for user in users}
    unknown = [name for name in names if name not in by_name or not _assignable(by_name[name])]
    if unknown:
        detail = f"not active trainees or agents: {', '.join(unknown)}"
        raise InvalidInput("usernames", detail, message_key="reading.bad_people")
    for user in users:
        chosen[user.id] = (user, None)
    team_names = list(dict.fromkeys(name.strip() for name in data.teams if name.strip()))
    teams = session.exec(select(Team).where(Team.name.in_(team_names))).all() if team_names else []
    if len(teams) != len(team_names):
        known = {team.name for team in teams}
        detail = f"unknown teams: {', '.join(name for name in team_names if name not in known)}"
        raise InvalidInput("teams", detail, message_key="reading.bad_teams")
    for team in teams:
        members = session.exec(
            select(User).where(
                User.team_id == team.id, User.is_active.is_(True), User.role.in_(sorted(ASSIGNABLE_ROLES))
            )
        ).unique().all()  # fmt: skip
        for user in members:
            chosen.setdefault(user.id, (user, team.id))
    if not chosen:
        raise InvalidInput("teams", "no trainee or agent in these teams", message_key="reading.empty_teams")
    return list(chosen.values())


def _assignable(user: User) -> bool:
    return user.is_active and user.role in ASSIGNABLE_ROLES


def assign(session: Session, actor: User, list_id: int, data: AssignIn) -> tuple[int, int]:
    """Give the list to people and teams; those who had it keep their first assignment. Each new one is told.
    Returns (newly assigned, assigned in all)."""
    begin_write(session)
    reading_list = get_list(session, list_id)
    people = _people(session, data)
    count = session.execute(select(func.count()).where(ReadingListItem.list_id == list_id)).scalar_one()
    added = 0
    now = utcnow()
    for user, team_id in people:
        values = {"list_id": list_id, "user_id": user.id, "team_id": team_id, "assigned_by_id": actor.id,
                  "assigned_at": now}  # fmt: skip
        if insert_ignore(session, ReadingAssignment.__table__, values):
            added += 1
            notifications.notify(
                session, user.id, "assignment", list_id=list_id, data=_told(reading_list, count),
                dedupe_key=f"assigned-{list_id}",
            )  # fmt: skip
    session.commit()
    total = session.execute(select(func.count()).where(ReadingAssignment.list_id == list_id)).scalar_one()
    return added, total


def _told(reading_list: ReadingList, count: int, **more) -> dict:
    return {"title": reading_list.title, "due_on": reading_list.due_on.isoformat(), "count": count,
            "note": reading_list.note, **more}  # fmt: skip


def remind(session: Session, list_id: int, usernames: list[str] | None, *, window_minutes: int, today: date) -> int:
    """Remind those who have not finished (all of them, or the ones named): a notification each, at most one a
    day per person and list. Returns how many were reminded."""
    reading = progress(session, list_id, window_minutes=window_minutes)
    wanted = set(usernames) if usernames is not None else None
    begin_write(session)
    reminded = 0
    now = utcnow()
    for _assignment, user, _team in reading.members:
        if reading.done(user.id) or (wanted is not None and user.username not in wanted):
            continue
        left = len(reading.items) - len(reading.read.get(user.id, ()))
        told = notifications.notify(
            session, user.id, "assignment", list_id=list_id, data=_told(reading.reading_list, left, reminder=True),
            dedupe_key=f"remind-{list_id}-{today.isoformat()}",
        )  # fmt: skip
        if told:
            session.execute(
                ReadingAssignment.__table__.update()
                .where(ReadingAssignment.list_id == list_id, ReadingAssignment.user_id == user.id)
                .values(reminded_at=now)
            )
            reminded += 1
    session.commit()
    return reminded


def remind_due_soon(session: Session, *, today: date, window_minutes: int) -> int:
    """The day before a list is due, tell each person who has not finished it (once per list). Returns how many
    were told. Run by the notification worker."""
    due = session.exec(select(ReadingList.id).where(ReadingList.due_on == today + timedelta(days=1))).all()
    told = 0
    for list_id in due:
        reading = progress(session, list_id, window_minutes=window_minutes)
        begin_write(session)
        for _assignment, user, _team in reading.members:
            if not reading.done(user.id):
                left = len(reading.items) - len(reading.read.get(user.id, ()))
                data = _told(reading.reading_list, left, reminder=True, due_soon=True)
                told += notifications.notify(
                    session, user.id, "assignment", list_id=list_id, data=data, dedupe_key=f"due-{list_id}"
                )
        session.commit()
    return told


def unassign(session: Session, list_id: int, username: str) -> None:
    begin_write(session)
    get_list(session, list_id)
    user = session.exec(select(User).where(User.username == clean_text(username))).first()
    removed = 0
    if user is not None:
        removed = session.execute(
            delete(ReadingAssignment).where(ReadingAssignment.list_id == list_id, ReadingAssignment.user_id == user.id)
        ).rowcount
    if not removed:
        raise NotFound("not assigned to this list", message_key="reading.not_assigned")
    session.commit()


# --- reading --------------------------------------------------------------------------------------


def _items(session: Session, list_ids: list[int]) -> dict[int, list[tuple[ReadingListItem, Case]]]:
    rows = session.exec(
        select(ReadingListItem, Case).join(Case, Case.id == ReadingListItem.case_id)
        .where(ReadingListItem.list_id.in_(list_ids)).order_by(ReadingListItem.list_id, ReadingListItem.position)
    ).unique().all()  # fmt: skip
    items: dict[int, list] = defaultdict(list)
    for item, case in rows:
        items[item.list_id].append((item, case))
    return items


def _reads(
    session: Session, assignments: list[ReadingAssignment], items: dict[int, list], window: timedelta
) -> dict[tuple[int, int], set[int]]:
    """(list id, user id) -> the list's case ids the person has read since it was assigned to them."""
    user_ids = {a.user_id for a in assignments}
    case_ids = {item.case_id for rows in items.values() for item, _case in rows}
    if not user_ids or not case_ids:
        return {}
    last_read = {
        (user_id, case_id): counted_at
        for user_id, case_id, counted_at in session.execute(
            select(CaseViewer.user_id, CaseViewer.case_id, CaseViewer.last_counted_at).where(
                CaseViewer.user_id.in_(user_ids), CaseViewer.case_id.in_(case_ids)
            )
        )
    }
    reads: dict[tuple[int, int], set[int]] = {}
    for assignment in assignments:
        since = assignment.assigned_at - window
        reads[(assignment.list_id, assignment.user_id)] = {
            item.case_id
            for item, case in items.get(assignment.list_id, [])
            if case.author_id == assignment.user_id
            or (last_read.get((assignment.user_id, item.case_id)) or datetime.min.replace(tzinfo=since.tzinfo)) >= since
        }
    return reads


def progress(session: Session, list_id: int, *, window_minutes: int) -> Reading:
    """The list, its items, the people it is assigned to and what each has read."""
    reading_list = get_list(session, list_id)
    items = _items(session, [list_id])
    members = session.execute(
        select(ReadingAssignment, User, Team.name)
        .join(User, User.id == ReadingAssignment.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(ReadingAssignment.list_id == list_id)
        .order_by(Team.name, User.username)
    ).unique().all()  # fmt: skip
    reads = _reads(session, [row[0] for row in members], items, timedelta(minutes=window_minutes))
    read = {user_id: case_ids for (_list, user_id), case_ids in reads.items()}
    return Reading(reading_list, items.get(list_id, []), [tuple(row) for row in members], read)


def list_public(reading: Reading, *, today: date) -> ReadingListPublic:
    """A list with its items and completion per person and team."""
    total = len(reading.items)
    people = [
        PersonProgress(
            username=user.username, name=user.display_name, team=team, read=len(reading.read.get(user.id, ())),
            total=total, done=reading.done(user.id), late=reading.late(user.id, today),
            assigned_at=assignment.assigned_at, reminded_at=assignment.reminded_at,
            read_case_ids=sorted(reading.read.get(user.id, ())),
        )
        for assignment, user, team in reading.members
    ]  # fmt: skip
    by_team: dict[str | None, list[PersonProgress]] = defaultdict(list)
    for person in people:
        by_team[person.team].append(person)
    teams = [
        TeamProgress(
            team=team, people=len(rows), done=sum(p.done for p in rows), late=sum(p.late for p in rows),
            read=sum(p.read for p in rows), total=total * len(rows),
            completion=round(sum(p.read for p in rows) / (total * len(rows)), 4) if total and rows else None,
        )
        for team, rows in sorted(by_team.items(), key=lambda pair: (pair[0] is None, pair[0] or ""))
    ]  # fmt: skip
    cases = [
        ItemPublic(case_id=case.id, title=case.title, kind=case.kind, position=item.position,
                   available=_is_listed(case))
        for item, case in reading.items
    ]  # fmt: skip
    summary = _summary(reading.reading_list, total, people)
    return ReadingListPublic(**summary.model_dump(), cases=cases, people=people, teams=teams)


def _summary(reading_list: ReadingList, items: int, people: list[PersonProgress]) -> ReadingListSummary:
    return ReadingListSummary(
        id=reading_list.id, title=reading_list.title, note=reading_list.note, due_on=reading_list.due_on,
        created_by=reading_list.created_by.display_name, created_at=reading_list.created_at, items=items,
        assignees=len(people), done=sum(p.done for p in people), late=sum(p.late for p in people),
    )  # fmt: skip


def all_lists(session: Session, *, window_minutes: int, today: date) -> list[ReadingListSummary]:
    """Every reading list, the latest due first, with how many have it, finished it, are late."""
    lists = session.exec(select(ReadingList).order_by(ReadingList.due_on.desc(), ReadingList.id.desc())).unique().all()
    fields = set(ReadingListSummary.model_fields)
    return [
        ReadingListSummary.model_validate(
            list_public(progress(session, reading_list.id, window_minutes=window_minutes), today=today).model_dump(
                include=fields
            )
        )
        for reading_list in lists
    ]


def my_reading(session: Session, user: User, *, window_minutes: int, today: date) -> list[MyAssignment]:
    """The person's lists: unfinished first, soonest due first; each case read or not."""
    rows = session.execute(
        select(ReadingAssignment, ReadingList)
        .join(ReadingList, ReadingList.id == ReadingAssignment.list_id)
        .where(ReadingAssignment.user_id == user.id)
    ).unique().all()  # fmt: skip
    if not rows:
        return []
    items = _items(session, [reading_list.id for _a, reading_list in rows])
    reads = _reads(session, [assignment for assignment, _l in rows], items, timedelta(minutes=window_minutes))
    mine = []
    for assignment, reading_list in rows:
        read = reads.get((reading_list.id, user.id), set())
        entries = items.get(reading_list.id, [])
        done = len(read) >= len(entries)
        mine.append(
            MyAssignment(
                id=reading_list.id, title=reading_list.title, note=reading_list.note, due_on=reading_list.due_on,
                assigned_by=reading_list.created_by.display_name, assigned_at=assignment.assigned_at,
                read=len(read), total=len(entries), done=done, late=today > reading_list.due_on and not done,
                items=[
                    MyItem(case_id=case.id, title=case.title, kind=case.kind, read=case.id in read,
                           available=_is_listed(case))
                    for _item, case in entries
                ],
            )
        )  # fmt: skip
    mine.sort(key=lambda entry: (entry.done, entry.due_on, entry.id))
    return mine
