"""The accounts API's bodies and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from heatcases.models import User, UserChange


class TokenRequest(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    team: str | None
    display_name: str


class Profile(Me):
    """The profile after a change: ``Me`` plus the person's own settings."""

    language: str | None
    source: Literal["local", "directory"]
    must_change_password: bool


class ProfileUpdate(BaseModel):
    language: Literal["zh", "en"] | None = None
    display_name: str | None = Field(None, min_length=1, max_length=60, description="local accounts only")


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class UserRow(BaseModel):
    username: str
    display_name: str
    role: str
    team: str | None
    active: bool
    source: str
    must_change_password: bool
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserRow:
        return cls(
            username=user.username, display_name=user.display_name, role=user.role,
            team=user.team.name if user.team else None, active=user.is_active, source=user.source,
            must_change_password=user.must_change_password, updated_at=user.updated_at,
        )  # fmt: skip


class UserPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[UserRow]


class BulkChange(BaseModel):
    usernames: list[str] = Field(min_length=1, max_length=1000)
    action: Literal["team", "role", "disable", "enable"]
    value: str = Field("", max_length=60, description="the team (empty: none) or the role")


class BulkResult(BaseModel):
    changed: int


class TeamCounts(BaseModel):
    name: str
    members: int
    active: int
    by_role: dict[str, int]


class Teams(BaseModel):
    items: list[TeamCounts]
    no_team: int


class Change(BaseModel):
    actor: str
    action: str
    target: str
    detail: dict
    created_at: datetime

    @classmethod
    def of(cls, change: UserChange) -> Change:
        return cls(actor=change.actor_name, action=change.action, target=change.target, detail=change.detail,
                   created_at=change.created_at)  # fmt: skip


class ChangePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[Change]
