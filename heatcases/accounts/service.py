"""Users, teams, passwords and tokens."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, literal_column, text, union_all, update
from sqlmodel import Session, select

from heatcases.config import Settings
from heatcases.db import utcnow
from heatcases.errors import Conflict, HeatcasesError, InvalidInput, NotFound
from heatcases.models import AuthToken, LoginFailure, Team, User
from heatcases.vocab import ROLE_CODES

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{1,39}$")
MIN_PASSWORD_LENGTH = 6

# OWASP's recommended argon2id settings (19 MiB, 2 passes, 1 lane): ~20 ms a password check here, where the
# library's default (64 MiB, 3 passes, 4 lanes) took ~120 ms (bench/load/alone.py) and made the logins at the
# start of a shift queue for the CPU. Hashes made with other settings still verify (the settings are stored in
# each hash) and are redone at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_dummy: tuple[PasswordHasher, str] | None = None


def _dummy_hash() -> str:
    """A hash of a random password made by the current hasher: verified against when the username is
    unknown, so a wrong username costs as long as a wrong password."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[1]


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
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


# --- the login throttle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginPolicy:
    """Failed logins allowed per username and per client address within ``window`` before further
    attempts are refused for ``lockout`` (a limit of 0 is no limit); ``secret`` keys the username HMAC."""

    max_failures: int = 5
    max_failures_per_ip: int = 30
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    secret: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_ip=settings.login_max_failures_per_ip,
            window=timedelta(minutes=settings.login_window_minutes),
            lockout=timedelta(minutes=settings.login_lockout_minutes),
            secret=settings.secret_key,
        )

    @property
    def enabled(self) -> bool:
        return bool(self.max_failures or self.max_failures_per_ip)

    @property
    def memory(self) -> timedelta:
        """How far back a failure can still matter: the oldest of a window's failures, then the lockout."""
        return self.window + self.lockout


class LoginThrottled(HeatcasesError):
    status_code = 429
    message_key = "login.throttled"

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        return math.ceil(self.retry_after / 60)


def log_in(session: Session, *, username: str, password: str, client_ip: str, policy: LoginPolicy) -> User | None:
    """The active user with these credentials, or None; raises LoginThrottled, before the password is
    looked at, while the username or the client address has too many recent failures.

    Unknown usernames are counted and locked exactly like known ones. A success clears the username's
    failures; a failure stays recorded, and rows too old to matter are deleted.
    """
    if not policy.enabled:
        return authenticate(session, username, password)
    key = hmac.new(policy.secret.encode(), username.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    _claim_attempt(session, key, (client_ip or "")[:64], policy)
    user = authenticate(session, username, password)
    if user is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.username_key == key))
    else:
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at < utcnow() - policy.memory))
    session.commit()
    return user


def _claim_attempt(session: Session, key: str, client_ip: str, policy: LoginPolicy) -> None:
    """Record this attempt as a failure and refuse it when the failures before it lock the username or
    the address.

    Recording first, in a transaction that holds the table's write lock while it checks (SQLite's BEGIN
    IMMEDIATE; an EXCLUSIVE table lock on PostgreSQL, held for a millisecond), means parallel attempts
    count each other exactly. The check is one statement: per limit, the newest failures by an index
    range scan.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE login_failure IN EXCLUSIVE MODE"))
    now = utcnow()
    attempt = LoginFailure(username_key=key, client_ip=client_ip, failed_at=now)
    session.add(attempt)
    session.flush()
    limits = {}
    parts = []
    for kind, column, value, limit in (
        (0, LoginFailure.username_key, key, policy.max_failures),
        (1, LoginFailure.client_ip, client_ip, policy.max_failures_per_ip),
    ):
        if limit:
            limits[kind] = limit
            newest = (
                select(literal_column(str(kind)).label("kind"), LoginFailure.failed_at)
                .where(column == value, LoginFailure.failed_at > now - policy.memory, LoginFailure.id < attempt.id)
                .order_by(LoginFailure.failed_at.desc())
                .limit(limit)
                .subquery()
            )
            parts.append(select(newest.c.kind, newest.c.failed_at))
    rows = session.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()
    locks = [_locked_until([at for of, at in rows if of == kind], limit, policy) for kind, limit in limits.items()]
    until = max((lock for lock in locks if lock is not None), default=None)
    if until is not None and until > now:
        session.rollback()  # a refused attempt is not a failure: the lock ends on time
        raise LoginThrottled(max(1, math.ceil((until - now).total_seconds())))
    session.commit()


def _locked_until(failures: list[datetime], limit: int, policy: LoginPolicy) -> datetime | None:
    """The end of the lock that ``limit`` failures within the window started, if the newest ones did."""
    if len(failures) < limit:
        return None
    newest = sorted(failures, reverse=True)[:limit]
    if newest[0] - newest[-1] > policy.window:
        return None
    return newest[0] + policy.lockout


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
