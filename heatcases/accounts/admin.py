"""User administration at scale: find users page by page, change many at once, teams with their counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, or_
from sqlmodel import Session, select

from heatcases.accounts import service
from heatcases.errors import InvalidInput, PermissionDenied
from heatcases.models import Team, User
from heatcases.vocab import ROLE_CODES

STATUSES = ("active", "disabled")
BULK_ACTIONS = ("team", "role", "disable", "enable")
MAX_BULK = 1000


@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    role: str = ""
    team: str = ""  # a team's name; "-" for users in no team
    status: str = ""
    source: str = ""

    def conditions(self) -> list:
        conditions = []
        if self.q.strip():
            like = "%" + self.q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(
                or_(
                    func.lower(User.username).like(like, escape="\\"),
                    func.lower(User.display_name).like(like, escape="\\"),
                )
            )
        if self.role in ROLE_CODES:
            conditions.append(User.role == self.role)
        if self.team == "-":
            conditions.append(User.team_id.is_(None))
        elif self.team:
            conditions.append(User.team_id.in_(select(Team.id).where(Team.name == self.team)))
        if self.status in STATUSES:
            conditions.append(User.is_active.is_(self.status == "active"))
        if self.source in ("local", "directory"):
            conditions.append(User.source == self.source)
        return conditions


def search_users(session: Session, where: UserFilter, *, page: int = 1, per_page: int = 50) -> tuple[int, list[User]]:
    """(how many users match, the users of this page by username)."""
    conditions = where.conditions()
    total = session.exec(select(func.count()).select_from(User).where(*conditions)).one()
    users = session.exec(
        select(User).where(*conditions).order_by(User.username).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return total, list(users)


def bulk_change(session: Session, actor: User, usernames: list[str], action: str, value: str = "") -> int:
    """Move users to a team, give them a role, disable or enable them: all in one transaction, each change
    recorded. Returns how many users changed. An admin cannot disable themselves or drop their own role."""
    if action not in BULK_ACTIONS:
        raise InvalidInput("action", f"must be one of {', '.join(BULK_ACTIONS)}")
    usernames = sorted(set(usernames))
    if not usernames:
        raise InvalidInput("usernames", "choose at least one user", message_key="admin.users.none_chosen")
    if len(usernames) > MAX_BULK:
        raise InvalidInput("usernames", f"at most {MAX_BULK} at once")
    if action == "role":
        service.check_role(value)
    if actor.username in usernames and (action == "disable" or (action == "role" and value != "admin")):
        raise PermissionDenied(
            "you cannot disable yourself or drop your own admin role", message_key="users.not_yourself"
        )
    users = session.exec(select(User).where(User.username.in_(usernames))).all()
    if len(users) != len(usernames):
        raise InvalidInput("usernames", "unknown user")
    changed = 0
    for user in users:
        changes = service.change_user(
            session, user, actor=actor, action="bulk_" + action,
            team=value if action == "team" else None,
            role=value if action == "role" else None,
            active={"disable": False, "enable": True}.get(action),
        )  # fmt: skip
        changed += bool(changes)
    session.commit()
    return changed


@dataclass(frozen=True)
class TeamRow:
    name: str
    members: int
    active: int
    by_role: dict[str, int]


def team_overview(session: Session) -> tuple[list[TeamRow], int]:
    """Every team with its members (active ones, and per role), and how many users are in no team."""
    columns = [func.count(User.id), func.sum(case((User.is_active.is_(True), 1), else_=0))]
    columns += [func.sum(case((User.role == role, 1), else_=0)) for role in ROLE_CODES]
    rows = session.exec(
        select(Team.name, *columns)
        .join(User, User.team_id == Team.id, isouter=True)
        .group_by(Team.id)
        .order_by(Team.name)
    ).all()
    teams = [
        TeamRow(
            name, members, int(active or 0), {role: int(n or 0) for role, n in zip(ROLE_CODES, counts, strict=True)}
        )
        for name, members, active, *counts in rows
    ]
    no_team = session.exec(select(func.count()).select_from(User).where(User.team_id.is_(None))).one()
    return teams, no_team
