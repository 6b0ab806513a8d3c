"""Notification pages: the list (the bell's page), marking read, and one's notification settings."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from heatcases.deps import PageUser, SessionDep, SettingsDep
from heatcases.errors import InvalidInput
from heatcases.notifications import service
from heatcases.notifications.kinds import KINDS, kinds_for, word
from heatcases.templating import render, request_language

router = APIRouter(include_in_schema=False)

PER_PAGE = 30


@router.get("/me/notifications")
def notifications_page(request: Request, user: PageUser, session: SessionDep, page: int = 1, unread: str = ""):
    """One's notifications, newest first, unread ones marked; mark one or all read."""
    page = max(1, min(page, 10_000))
    rows, total = service.list_notifications(
        session, user, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, unread_only=unread == "1"
    )
    lang = request_language(request)
    items = [(row, word(row.kind, row.data, lang, case_id=row.case_id, list_id=row.reading_list_id)) for row in rows]
    context = {
        "items": items,
        "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)),
        "unread_only": unread == "1",
        "total": total,
    }
    return render(request, "notifications/list.html", context)


@router.post("/me/notifications/read")
def mark_read(
    user: PageUser, session: SessionDep, id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
    go: Annotated[str, Form(max_length=10)] = "",
):  # fmt: skip
    """Mark one notification read (``id``; with ``go=1`` then open what it is about) or all of them."""
    service.mark_read(session, user, [id] if id else None)
    if id and go == "1":
        row = service.get_own(session, user, id)
        if row is not None:
            wording = word(row.kind, row.data, "zh", case_id=row.case_id, list_id=row.reading_list_id)
            return RedirectResponse(wording.link, status_code=303)
    return RedirectResponse("/me/notifications?msg=flash.notifications_read", status_code=303)


def _settings_page(request: Request, session, user, settings, *, error: str | None = None, form=None, status=200):
    setting = service.setting_of(session, user.id)
    context = {
        "kinds": kinds_for(user.role),
        "muted": set(form["muted"]) if form else set(setting.muted),
        "emailed": set(form["emailed"]) if form else set(setting.emailed),
        "email": form["email"] if form else (setting.email or ""),
        "mail_enabled": bool(settings.smtp_host),
        "error": error,
    }
    return render(request, "notifications/settings.html", context, status_code=status)


@router.get("/me/notifications/settings")
def settings_page(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep):
    """Which kinds one is told of, in the app and by e-mail."""
    return _settings_page(request, session, user, settings)


KindsForm = Annotated[list[Annotated[str, Field(max_length=20)]], Form(max_length=len(KINDS))]


@router.post("/me/notifications/settings")
def save_settings(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep,
    in_app: KindsForm = [], email_kind: KindsForm = [], email: Annotated[str, Form(max_length=300)] = "",
):  # fmt: skip
    """Save the choices: a box per kind for the app and one for e-mail, and the address."""
    muted = [kind for kind in kinds_for(user.role) if kind not in in_app]
    try:
        service.update_setting(
            session, user, muted=muted, emailed=email_kind, email=email, mail_enabled=bool(settings.smtp_host)
        )
    except InvalidInput as error:
        session.rollback()
        typed = {"muted": muted, "emailed": email_kind, "email": email}
        return _settings_page(request, session, user, settings, error=error.message_key, form=typed, status=422)
    return RedirectResponse("/me/notifications/settings?msg=flash.notification_settings_saved", status_code=303)
