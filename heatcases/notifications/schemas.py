"""Notifications and their settings as the API takes and gives them (README, "Notifications")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from heatcases.notifications.kinds import KINDS

Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]


class NotificationPublic(BaseModel):
    """One notification; ``text``, ``detail`` and ``link`` worded in the reader's language."""

    id: int
    kind: Kind
    text: str
    detail: str
    link: str
    case_id: int | None
    reading_list_id: int | None
    data: dict
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    total: int
    unread: int


class UnreadCount(BaseModel):
    unread: int


class MarkRead(BaseModel):
    """``ids``: the notifications to mark read; left out (or null): all of them."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[Annotated[int, Field(ge=1)]], Field(max_length=500)] | None = None


class Marked(BaseModel):
    marked: int
    unread: int


class NotificationSettings(BaseModel):
    """What one is told: ``kinds`` those of one's role; ``muted`` not shown in the app; ``emailed`` also sent to
    ``email`` (only when the server sends e-mail: ``mail_enabled``)."""

    kinds: list[Kind]
    muted: list[Kind]
    emailed: list[Kind]
    email: str | None
    mail_enabled: bool


class NotificationSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    muted: Annotated[list[Kind], Field(max_length=len(KINDS))] = []
    emailed: Annotated[list[Kind], Field(max_length=len(KINDS))] = []
    email: Annotated[str, Field(max_length=254)] | None = None
