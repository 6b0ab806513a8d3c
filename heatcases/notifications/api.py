"""Notifications API: one's notifications, marking them read, and what one chooses to be told."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from heatcases.deps import ApiUser, SessionDep, SettingsDep
from heatcases.notifications import service
from heatcases.notifications.kinds import kinds_for
from heatcases.notifications.schemas import (
    Marked,
    MarkRead,
    NotificationPage,
    NotificationSettings,
    NotificationSettingsUpdate,
    UnreadCount,
)

router = APIRouter(prefix="/api/me", tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage)
def my_notifications(
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> NotificationPage:
    """One's notifications, newest first (``unread=true``: only those not read), worded in one's language."""
    rows, total = service.list_notifications(session, user, limit=limit, offset=offset, unread_only=unread)
    lang = service.reader_language(user, settings.default_language)
    return NotificationPage(
        items=[service.to_public(row, lang) for row in rows], total=total, unread=service.unread_count(session, user)
    )


@router.get("/notifications/unread", response_model=UnreadCount)
def my_unread_count(user: ApiUser, session: SessionDep) -> UnreadCount:
    """How many of one's notifications are unread (the bell's number)."""
    return UnreadCount(unread=service.unread_count(session, user))


@router.post("/notifications/read", response_model=Marked)
def mark_read(user: ApiUser, session: SessionDep, body: MarkRead | None = None) -> Marked:
    """Mark the given notifications read, or all of them when no ``ids`` are given."""
    marked = service.mark_read(session, user, body.ids if body else None)
    return Marked(marked=marked, unread=service.unread_count(session, user))


def _settings_public(session, user, settings) -> NotificationSettings:
    setting = service.setting_of(session, user.id)
    return NotificationSettings(
        kinds=kinds_for(user.role), muted=setting.muted, emailed=setting.emailed, email=setting.email,
        mail_enabled=bool(settings.smtp_host),
    )  # fmt: skip


@router.get("/notification-settings", response_model=NotificationSettings)
def my_notification_settings(user: ApiUser, session: SessionDep, settings: SettingsDep) -> NotificationSettings:
    """Which kinds one is told of in the app and by e-mail, and the address e-mails go to."""
    return _settings_public(session, user, settings)


@router.put("/notification-settings", response_model=NotificationSettings)
def change_notification_settings(
    user: ApiUser, session: SessionDep, settings: SettingsDep, body: NotificationSettingsUpdate
) -> NotificationSettings:
    """Replace one's choices: 422 for a kind one's role does not get, a bad address, or e-mail the server cannot
    send."""
    service.update_setting(
        session, user, muted=body.muted, emailed=body.emailed, email=body.email, mail_enabled=bool(settings.smtp_host)
    )
    return _settings_public(session, user, settings)
