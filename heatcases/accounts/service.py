"""Users, teams, passwords and tokens."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, literal_column, text, union_all, update
from sqlmodel import Session, select

from heatcases.accounts import audit, passwords
from heatcases.config import Settings
from heatcases.db import utcnow
from heatcases.errors import Conflict, HeatcasesError, InvalidInput, NotFound, PermissionDenied
from heatcases.i18n import LANGUAGES
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
    actor: User | str | None = None,
    commit: bool = True,
    password_hash: str | None = None,
    must_change_password: bool = False,
    source: str = "local",
) -> User:
    """Create a user (and its team when new); raises Conflict if the username is taken.

    ``password_hash`` replaces ``password`` for accounts whose password is made elsewhere (a one-time
    password, or none: the directory's); ``commit=False`` leaves the transaction to the caller."""
    check_username(username)
    check_role(role)
    if password_hash is None:
        _check_password_rules(password)
        password_hash = hash_password(password)
    display_name = _clean_name("display_name", display_name or username)
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        team_id=get_or_create_team(session, team).id if team else None,
        password_hash=password_hash,
        must_change_password=must_change_password,
        source=source,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user_created", username, {"role": role, "team": team, "source": source})
    if commit:
        session.commit()
        session.refresh(user)
    return user


def check_username(username: str) -> None:
    if not USERNAME_RE.match(username):
        raise InvalidInput("username", "2-40 letters, digits, '.', '_' or '-', starting with a letter or digit")


def check_role(role: str) -> None:
    if role not in ROLE_CODES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLE_CODES)}")


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
    actor: User | str | None = None,
) -> User:
    """Change a user; a new password or deactivation also ends their sessions and tokens."""
    user = get_user(session, username)
    if password is not None:
        if user.source != "local":
            raise InvalidInput("password", "a directory account signs in with the company directory's password")
        _check_password_rules(password)
        user.password_hash = hash_password(password)
        user.must_change_password = False
        user.updated_at = utcnow()
        session.add(user)
        _revoke_all(session, user.id)
        audit.record(session, actor, "password_reset", user.username)
    change_user(session, user, role=role, team=team, display_name=display_name, active=active, actor=actor)
    session.commit()
    session.refresh(user)
    return user


def change_user(
    session: Session,
    user: User,
    *,
    role: str | None = None,
    team: str | None = None,
    display_name: str | None = None,
    active: bool | None = None,
    actor: User | str | None = None,
    action: str = "user_changed",
) -> dict:
    """Change what differs (None: keep; team "": none), record it, and end the user's sessions and tokens
    when disabled; in the caller's transaction. Returns the changes as {field: [before, after]}."""
    changes: dict = {}
    if role is not None and role != user.role:
        check_role(role)
        changes["role"] = [user.role, role]
        user.role = role
    if team is not None:
        before = user.team.name if user.team else None
        new_team = get_or_create_team(session, team) if team.strip() else None
        if (new_team.name if new_team else None) != before:
            changes["team"] = [before, new_team.name if new_team else None]
            user.team_id = new_team.id if new_team else None
            user.team = new_team
    if display_name is not None:
        display_name = _clean_name("display_name", display_name)
        if display_name != user.display_name:
            changes["display_name"] = [user.display_name, display_name]
            user.display_name = display_name
    if active is not None and active != user.is_active:
        changes["active"] = [user.is_active, active]
        user.is_active = active
        if not active:
            _revoke_all(session, user.id)
    if changes:
        user.updated_at = utcnow()
        session.add(user)
        audit.record(session, actor, action, user.username, changes)
    return changes


def change_own_password(session: Session, user: User, *, current: str, new: str, keep_token: str | None) -> None:
    """A local account's own password change: the current password, then the new one's rules; every other
    session and token of the person ends (``keep_token``, the one in use, stays)."""
    if user.source != "local":
        raise PermissionDenied("a directory account's password is changed in the company directory")
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("current_password", "is not right", message_key="profile.current_wrong") from None
    if new == current:
        raise InvalidInput("new_password", "must differ from the current one", message_key="profile.password_same")
    passwords.check_chosen_password(new, username=user.username, display_name=user.display_name)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.updated_at = utcnow()
    session.add(user)
    _revoke_all(session, user.id, keep=keep_token)
    audit.record(session, user, "password_changed", user.username)
    session.commit()


def update_profile(
    session: Session, user: User, *, language: str | None = None, display_name: str | None = None
) -> User:
    """A person's own settings: the page language, and (local accounts) their display name."""
    if language is not None:
        if language not in LANGUAGES:
            raise InvalidInput("language", f"must be one of {', '.join(LANGUAGES)}")
        user.language = language
    if display_name is not None and display_name != user.display_name:
        if user.source != "local":
            raise InvalidInput(
                "display_name", "comes from the company directory", message_key="profile.name_from_directory"
            )
        change_user(session, user, display_name=display_name, actor=user)
    session.add(user)
    session.commit()
    return user


class ExternalLogin(Protocol):
    """Another place that checks passwords (the company directory: heatcases.directory.service)."""

    def sign_in(self, session: Session, username: str, password: str) -> User | None: ...


def authenticate(session: Session, username: str, password: str, external: ExternalLogin | None = None) -> User | None:
    """The active user with these credentials, or None; as slow for unknown users as for known ones.

    Local accounts are checked here, first, so a local admin signs in while the directory is down; a username
    unknown here, or a directory account, is checked by ``external`` when there is one."""
    if "\x00" in username or len(username) > 200:
        username = ""  # cannot exist; still verify below so the answer takes as long
    user = session.exec(select(User).where(User.username == username)).first()
    if external is not None and username and (user is None or user.source == "directory"):
        return external.sign_in(session, username, password)
    try:
        _hasher.verify(user.password_hash if user and user.source == "local" else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active or user.source != "local":
        return None
    if _hasher.check_needs_rehash(user.password_hash) and not user.must_change_password:
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


def log_in(
    session: Session,
    *,
    username: str,
    password: str,
    client_ip: str,
    policy: LoginPolicy,
    external: ExternalLogin | None = None,
) -> User | None:
    """The active user with these credentials, or None; raises LoginThrottled, before the password is
    looked at, while the username or the client address has too many recent failures.

    Unknown usernames are counted and locked exactly like known ones. A success clears the username's
    failures; a failure stays recorded, and rows too old to matter are deleted.
    """
    if not policy.enabled:
        return authenticate(session, username, password, external)
    key = hmac.new(policy.secret.encode(), username.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    attempt_id = _claim_attempt(session, key, (client_ip or "")[:64], policy)
    try:
        user = authenticate(session, username, password, external)
    except HeatcasesError:
        # The directory did not answer, or refused a person whose password it accepted: not a guess.
        session.rollback()
        session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))
        session.commit()
        raise
    if user is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.username_key == key))
    else:
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at < utcnow() - policy.memory))
    session.commit()
    return user


def _claim_attempt(session: Session, key: str, client_ip: str, policy: LoginPolicy) -> int:
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
    return attempt.id


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


def _revoke_all(session: Session, user_id: int, *, keep: str | None = None) -> None:
    """End every session and token of the user (but ``keep``, the one they are using)."""
    query = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    if keep:
        query = query.where(AuthToken.token_hash != _digest(keep))
    session.execute(query.values(revoked_at=utcnow()))
