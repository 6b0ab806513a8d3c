"""Notification e-mails: the outbox rows a worker claims, words in the reader's language and sends over SMTP.

Rows are claimed with one UPDATE that sets a lease (``claimed_until``) on rows nobody holds: on PostgreSQL the
candidates are locked with SKIP LOCKED, on SQLite the write lock orders the claims; so two server processes never
send one e-mail twice, and a process that died mid-send leaves rows another sends when the lease runs out. A
failed try is retried later (1, 2, 4… minutes, at most an hour) until ``mail_max_attempts``.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import Engine, or_, select, update

from heatcases.config import Settings
from heatcases.db import utcnow
from heatcases.i18n import translate
from heatcases.models import MailOutbox
from heatcases.notifications.kinds import word

log = logging.getLogger("heatcases.notifications")

LEASE = timedelta(minutes=5)
BATCH = 20
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    to_address: str
    lang: str
    data: dict
    attempts: int


def claim(engine: Engine, worker: str, *, limit: int = BATCH, now: datetime | None = None) -> list[Claimed]:
    """Take up to ``limit`` due e-mails that nobody holds, for ``worker``, in one statement."""
    now = now or utcnow()
    due = (
        select(MailOutbox.id)
        .where(
            MailOutbox.sent_at.is_(None), MailOutbox.failed_at.is_(None), MailOutbox.next_attempt_at <= now,
            or_(MailOutbox.claimed_until.is_(None), MailOutbox.claimed_until < now),
        )
        .order_by(MailOutbox.id).limit(limit)
    )  # fmt: skip
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(MailOutbox)
        .where(MailOutbox.id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + LEASE)
        .returning(MailOutbox.id, MailOutbox.kind, MailOutbox.to_address, MailOutbox.lang, MailOutbox.data,
                   MailOutbox.attempts)
    )  # fmt: skip
    with engine.begin() as connection:
        rows = connection.execute(statement).all()
    return sorted((Claimed(*row) for row in rows), key=lambda row: row.id)


def _finish(engine: Engine, row: Claimed, worker: str, *, error: str | None, max_attempts: int) -> None:
    now = utcnow()
    if error is None:
        values = {"sent_at": now, "claimed_until": None, "attempts": row.attempts + 1, "last_error": None}
    else:
        attempts = row.attempts + 1
        wait = min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)
        values = {"attempts": attempts, "claimed_until": None, "last_error": error[:500], "next_attempt_at": now + wait}
        if attempts >= max_attempts:
            values["failed_at"] = now
    with engine.begin() as connection:  # only while this worker still holds it
        connection.execute(
            update(MailOutbox).where(MailOutbox.id == row.id, MailOutbox.claimed_by == worker).values(**values)
        )


def compose(row: Claimed, settings: Settings) -> EmailMessage:
    """The e-mail of an outbox row, in its reader's language."""
    lang = row.lang or settings.default_language
    base = settings.site_url.rstrip("/")
    wording = word(row.kind, row.data, lang, case_id=row.data.get("case_id"), list_id=row.data.get("list_id"),
                   base=base)  # fmt: skip
    message = EmailMessage()
    message["Subject"] = " ".join(wording.text.split())[:200]
    message["From"] = settings.smtp_from
    message["To"] = row.to_address
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    parts = [wording.text]
    if wording.detail:
        parts.append(wording.detail)
    parts.append(f"{translate('notify.open', lang)} {wording.link}")
    parts.append(f"{translate('notify.mail_footer', lang)} {base}/me/notifications/settings")
    message.set_content("\n\n".join(parts))
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_port == 465:
        server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                  context=ssl.create_default_context())  # fmt: skip
    else:
        server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        server.login(settings.smtp_user, settings.smtp_password)
    return server


def send_due(engine: Engine, settings: Settings, worker: str) -> tuple[int, int]:
    """Send the due e-mails (one connection for a batch); returns (sent, failed tries)."""
    rows = claim(engine, worker)
    if not rows:
        return 0, 0
    sent = failed = 0
    server = None
    try:
        server = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        for row in rows:
            _finish(engine, row, worker, error=f"connect: {error}", max_attempts=settings.mail_max_attempts)
        log.warning("mail server %s:%s: %s", settings.smtp_host, settings.smtp_port, type(error).__name__)
        return 0, len(rows)
    try:
        for row in rows:
            try:
                server.send_message(compose(row, settings))
            except (OSError, smtplib.SMTPException, ValueError) as error:
                _finish(engine, row, worker, error=str(error), max_attempts=settings.mail_max_attempts)
                failed += 1
                if isinstance(error, (OSError, smtplib.SMTPServerDisconnected)):
                    break  # the connection is gone: the rest are given back for the next run
            else:
                _finish(engine, row, worker, error=None, max_attempts=settings.mail_max_attempts)
                sent += 1
    finally:
        _release(engine, [row.id for row in rows[sent + failed :]], worker)
        with contextlib.suppress(OSError, smtplib.SMTPException):
            server.quit()
    return sent, failed


def _release(engine: Engine, ids: list[int], worker: str) -> None:
    """Give back rows not tried (the connection was lost): the next run takes them, no try counted."""
    if ids:
        with engine.begin() as connection:
            connection.execute(
                update(MailOutbox).where(MailOutbox.id.in_(ids), MailOutbox.claimed_by == worker)
                .values(claimed_until=None)
            )  # fmt: skip
