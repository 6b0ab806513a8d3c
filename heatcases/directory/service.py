"""Signing in with the company directory, and the sync that keeps its people's accounts in step with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from heatcases.accounts import audit
from heatcases.accounts import service as accounts
from heatcases.config import Settings
from heatcases.directory.ldap import Directory, DirectoryConfig, DirectoryUnavailable, Person
from heatcases.errors import Conflict, HeatcasesError, InvalidInput
from heatcases.models import User

NO_PASSWORD = "!directory"  # a directory account's password_hash: no password ever matches it


class NotInMappedGroup(HeatcasesError):
    """The directory knows the person and their password, but none of their groups gives a role here."""

    status_code = 403
    message_key = "directory.no_role"


class DirectoryNotConfigured(HeatcasesError):
    status_code = 409
    message_key = "directory.not_configured"

    def __init__(self):
        super().__init__("no directory is configured (HEATCASES_LDAP_URL)")


def directory_for(settings: Settings) -> Directory | None:
    config = DirectoryConfig.from_settings(settings)
    return Directory(config) if config else None


class DirectoryLogin:
    """The directory as the accounts' external login (heatcases.accounts.service.ExternalLogin)."""

    def __init__(self, directory: Directory):
        self.directory = directory

    def sign_in(self, session: Session, username: str, password: str) -> User | None:
        """The person's account, created or brought up to date from the directory; None for a wrong password,
        an unknown or disabled person, or an account an admin disabled here."""
        person = self.directory.authenticate(username, password)
        if person is None:
            return None
        role = self.directory.config.role_for(person.groups)
        if role is None:
            raise NotInMappedGroup(f"{person.username} is in no directory group that has a role here")
        for attempt in range(3):
            try:
                return self._provision(session, person, role)
            except (IntegrityError, Conflict):  # their first login in another request at once, or a new team
                session.rollback()
                if attempt == 2:
                    raise
        return None

    def _provision(self, session: Session, person: Person, role: str) -> User | None:
        """The person's account created, or updated from the directory, and committed."""
        user = session.exec(select(User).where(User.username == person.username)).first()
        if user is None:
            try:
                user = accounts.create_user(
                    session, username=person.username, password="", password_hash=NO_PASSWORD, role=role,
                    team=_team_name(person), display_name=_display_name(person), actor=audit.DIRECTORY,
                    source="directory", commit=False,
                )  # fmt: skip
            except InvalidInput:
                session.rollback()
                return None  # a username this library cannot hold
        elif user.source != "directory" or not user.is_active:
            return None  # a local account of the same name is not the directory's; a disabled one stays so
        else:
            accounts.change_user(
                session, user, role=role, team=_team_name(person) or "", display_name=_display_name(person),
                actor=audit.DIRECTORY, action="directory_update",
            )  # fmt: skip
        session.commit()
        return user


def _team_name(person: Person) -> str | None:
    return " ".join(person.team.split())[:60] if person.team else None


def _display_name(person: Person) -> str:
    return " ".join(person.display_name.split())[:60] or person.username


GONE = "gone from the directory or disabled there"
NO_GROUP = "in no mapped group"
REASONS = {GONE: "gone", NO_GROUP: "no_group"}


@dataclass
class SyncChange:
    username: str
    action: str  # "updated" or "disabled"
    changes: dict = field(default_factory=dict)  # {field: [before, after]}
    reason: str = ""  # why disabled: one of REASONS

    @property
    def reason_code(self) -> str:
        """The reason as a key of the page text (directory.reason_<code>)."""
        return REASONS.get(self.reason, "")


def sync_directory(session: Session, directory: Directory, *, actor: User | None, dry_run: bool) -> list[SyncChange]:
    """Bring every directory account in step: role, team and name from the directory; disabled (sessions and
    tokens ended) when the person is gone, disabled there, or in no mapped group. One transaction; a dry run
    rolls it back. Cases and counts stay with the accounts."""
    people = directory.people()  # before any write: an unavailable directory changes nothing
    who = actor or audit.DIRECTORY
    report: list[SyncChange] = []
    users = session.exec(select(User).where(User.source == "directory").order_by(User.username)).all()
    for user in users:
        person = people.get(user.username)
        role = directory.config.role_for(person.groups) if person else None
        if person is None or role is None:
            if user.is_active:
                changes = accounts.change_user(session, user, active=False, actor=who, action="directory_sync")
                reason = GONE if person is None else NO_GROUP
                report.append(SyncChange(user.username, "disabled", changes, reason))
            continue
        if not user.is_active:
            continue  # disabled here (by an admin or an earlier sync): an admin enables it again
        changes = accounts.change_user(
            session, user, role=role, team=_team_name(person) or "", display_name=_display_name(person),
            actor=who, action="directory_sync",
        )  # fmt: skip
        if changes:
            report.append(SyncChange(user.username, "updated", changes))
    if dry_run:
        session.rollback()
    else:
        audit.record(session, who, "directory_synced", "*", {"changes": len(report)})
        session.commit()
    return report


__all__ = ["DirectoryLogin", "DirectoryUnavailable", "NotInMappedGroup", "SyncChange", "sync_directory"]
