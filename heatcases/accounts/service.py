"""Users, teams, passwords and tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, update
from sqlmodel import Session, select

from heatcases.db import utcnow
from heatcases.errors import Conflict, InvalidInput, NotFound
from heatcases.models import AuthToken, Team, User
from heatcases.vocab import ROLE_CODES

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{1,39}$")
MIN_PASSWORD_LENGTH = 6

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters", message_key="user.password_short"
        )


def _clean_name(field: str, value: str) -> str:
    """A display or team name: 1-60 printable characters."""
    value = " ".join(value.split())
    if not value or len(value) > 60 or not value.isprintable():
        raise InvalidInput(field, "must be 1-60 printable characters")
    return value


def get_or_create_team(session: Session, name: str) -> Team:
    name = _clean_name("team", name)
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    team: str | None = None,
    display_name: str | None = None,
) -> User:
    """Create a user (and its team when new); raises Conflict if the username is taken."""
    if not USERNAME_RE.match(username):
        raise InvalidInput("username", "2-40 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if role not in ROLE_CODES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLE_CODES)}")
    _check_password_rules(password)
    display_name = _clean_name("display_name", display_name or username)
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        team_id=get_or_create_team(session, team).id if team else None,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def get_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)))


def list_teams(session: Session) -> list[tuple[Team, int]]:
    """Teams with their number of users."""
    rows = session.exec(
        select(Team, func.count(User.id))
        .join(User, User.team_id == Team.id, isouter=True)
        .group_by(Team.id)
        .order_by(Team.name)
    )
    return list(rows)


def update_user(
    session: Session,
    username: str,
    *,
    password: str | None = None,
    role: str | None = None,
    team: str | None = None,
    display_name: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a user; a new password or deactivation also ends their sessions and tokens."""
    user = get_user(session, username)
    end_sessions = False
    if password is not None:
        _check_password_rules(password)
        user.password_hash = hash_password(password)
        end_sessions = True
    if role is not None:
        if role not in ROLE_CODES:
            raise InvalidInput("role", f"must be one of {', '.join(ROLE_CODES)}")
        user.role = role
    if team is not None:
        user.team_id = get_or_create_team(session, team).id if team.strip() else None
    if display_name is not None:
        user.display_name = _clean_name("display_name", display_name)
    if active is not None:
        user.is_active = active
        end_sessions = end_sessions or not active
    user.updated_at = utcnow()
    session.add(user)
    if end_sessions:
        _revoke_all(session, user.id)
    session.commit()
    session.refresh(user)
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None; as slow for unknown users as for known ones."""
    if "\x00" in username or len(username) > 200:
        username = ""  # cannot exist; still verify below so the answer takes as long
    user = session.exec(select(User).where(User.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, kind: str, ttl: timedelta) -> str:
    """A new random token for the user; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(token_hash=_digest(token), user_id=user.id, kind=kind, expires_at=utcnow() + ttl))
    session.commit()
    return token


def user_for_token(session: Session, token: str, *, kind: str) -> User | None:
    """The active user a live (unexpired, unrevoked) token belongs to."""
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == _digest(token), AuthToken.kind == kind)
    ).first()
    if row is None:
        return None
    auth, user = row
    if auth.revoked_at is not None or auth.expires_at <= utcnow() or not user.is_active:
        return None
    return user


def revoke_token(session: Session, token: str) -> None:
    session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == _digest(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()


def _revoke_all(session: Session, user_id: int) -> None:
    session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
