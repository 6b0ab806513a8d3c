"""Notifications: made in the transaction of their event (an e-mail queued beside them when the person asked for
it), listed, counted, marked read; each person's choices of what they are told and where."""

from __future__ import annotations

import re

from sqlalchemy import func, update
from sqlmodel import Session, select

from heatcases.db import begin_read, begin_write, insert_ignore, utcnow
from heatcases.errors import InvalidInput
from heatcases.models import MailOutbox, Notification, NotificationSetting, User
from heatcases.notifications.kinds import KINDS, kinds_for, word
from heatcases.notifications.schemas import NotificationPublic

# An address to send to: one @, no spaces or control characters, a dotted domain (the mail server has the last word).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL_RE = re.compile(rf"[^@\s\x00-\x1f\x7f]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")


def setting_of(session: Session, user_id: int) -> NotificationSetting:
    """The person's choices; the defaults (everything in the app, nothing by e-mail) when they made none."""
    return session.get(NotificationSetting, user_id) or NotificationSetting(user_id=user_id)


def notify(
    session: Session,
    user_id: int,
    kind: str,
    *,
    case_id: int | None = None,
    list_id: int | None = None,
    data: dict | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Record a notification (and queue its e-mail) in the caller's transaction, which commits it; False when one
    with the same ``dedupe_key`` was made before. The in-app choice applies when listing, so changing it later
    shows or hides what came meanwhile."""
    values = {
        "user_id": user_id, "kind": kind, "case_id": case_id, "reading_list_id": list_id, "data": data or {},
        "dedupe_key": dedupe_key, "created_at": utcnow(),
    }  # fmt: skip
    if not insert_ignore(session, Notification.__table__, values):
        return False
    setting = session.get(NotificationSetting, user_id)
    if setting is not None and setting.email and kind in setting.emailed:
        mail_data = {**(data or {}), "case_id": case_id, "list_id": list_id}
        lang = session.get(User, user_id).language or ""  # "": the site's language, as their pages
        session.add(MailOutbox(user_id=user_id, kind=kind, to_address=setting.email, lang=lang, data=mail_data))
    return True


def _muted(session: Session, user_id: int) -> list[str]:
    """The kinds the person chose not to see in the app: one column, no settings object (the bell is on every
    page, and building the object cost more than the count itself)."""
    muted = session.execute(
        select(NotificationSetting.muted).where(NotificationSetting.user_id == user_id)
    ).scalar_one_or_none()
    return [kind for kind in muted or () if kind in KINDS]


def _shown(user: User, muted: list[str]):
    return [Notification.user_id == user.id, *([Notification.kind.not_in(muted)] if muted else [])]


def unread_count(session: Session, user: User) -> int:
    """Unread notifications of the kinds the person wants in the app (the bell's number)."""
    where = _shown(user, _muted(session, user.id))
    return session.execute(select(func.count()).where(*where, Notification.read_at.is_(None))).scalar_one()


def list_notifications(
    session: Session, user: User, *, limit: int, offset: int = 0, unread_only: bool = False
) -> tuple[list[Notification], int]:
    """The person's notifications, newest first, and how many there are in all."""
    where = _shown(user, _muted(session, user.id))
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.execute(select(func.count()).where(*where)).scalar_one()
    rows = session.exec(
        select(Notification).where(*where).order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit).offset(offset)
    ).all()  # fmt: skip
    return list(rows), total


def mark_read(session: Session, user: User, ids: list[int] | None) -> int:
    """Mark some (``ids``) or all of the person's unread notifications read; how many it marked. Another
    person's ids are left alone (they are not this person's to mark)."""
    begin_write(session)
    statement = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    marked = session.execute(statement.values(read_at=utcnow())).rowcount
    session.commit()
    return marked


def update_setting(
    session: Session, user: User, *, muted: list[str], emailed: list[str], email: str | None, mail_enabled: bool
) -> NotificationSetting:
    """Save the person's choices: kinds not wanted in the app, kinds also wanted by e-mail, and their address."""
    allowed = set(kinds_for(user.role))
    for field, kinds in (("muted", muted), ("emailed", emailed)):
        unknown = [kind for kind in kinds if kind not in allowed]
        if unknown:
            raise InvalidInput(
                field, f"unknown kinds for this role: {', '.join(unknown)}", message_key="notify.bad_kind"
            )
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL_RE.fullmatch(email)):
        raise InvalidInput("email", "not an e-mail address", message_key="notify.bad_email")
    if emailed and not mail_enabled:
        raise InvalidInput(
            "emailed", "this server sends no e-mail (no HEATCASES_SMTP_HOST)", message_key="notify.no_mail"
        )
    if emailed and email is None:
        raise InvalidInput("email", "an address is needed to be sent e-mail", message_key="notify.email_needed")
    begin_write(session)
    setting = session.get(NotificationSetting, user.id) or NotificationSetting(user_id=user.id)
    setting.muted, setting.emailed, setting.email = sorted(set(muted)), sorted(set(emailed)), email
    setting.updated_at = utcnow()
    session.add(setting)
    session.commit()
    return setting


def reader_language(user: User, default: str) -> str:
    return user.language or default


def to_public(notification: Notification, lang: str) -> NotificationPublic:
    """The API's shape of a notification, worded in ``lang``."""
    wording = word(
        notification.kind, notification.data, lang, case_id=notification.case_id, list_id=notification.reading_list_id
    )
    return NotificationPublic(
        id=notification.id, kind=notification.kind, text=wording.text, detail=wording.detail, link=wording.link,
        case_id=notification.case_id, reading_list_id=notification.reading_list_id, data=notification.data,
        created_at=notification.created_at, read_at=notification.read_at,
    )  # fmt: skip


def get_own(session: Session, user: User, notification_id: int) -> Notification | None:
    notification = session.get(Notification, notification_id)
    return notification if notification is not None and notification.user_id == user.id else None


def unread_counter(engine):
    """A function giving a user's unread count (the bell on every page): in the request's session when it has one
    (a reader transaction, begun if none is open), else in a short read-only session of its own."""

    def count(user: User, session: Session | None = None) -> int:
        if session is not None:
            begin_read(session)
            return unread_count(session, user)
        with Session(engine) as own:
            return unread_count(own, user)

    return count
