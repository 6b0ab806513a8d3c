"""The notification worker: a thread in each server process that, every ``notify_every_seconds``, looks for a
review queue waiting too long and the week's digest, then sends the due e-mails of the outbox. It works off the
requests (nothing a request does waits for it) and never stops on an error: it logs it and tries again later."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from heatcases import db
from heatcases.config import Settings
from heatcases.db import utcnow
from heatcases.notifications import mail, schedule

log = logging.getLogger("heatcases.notifications")


Job = Callable[[Session, datetime], object]  # a look for something to tell: (a session that reads first, now)


class NotificationWorker:
    """``jobs``: more looks of other domains (the reading assignments' "due tomorrow"), run each round."""

    def __init__(self, settings: Settings, engine: Engine, *, jobs: dict[str, Job] | None = None):
        self.settings, self.engine = settings, engine
        self.jobs: dict[str, Job] = {"queue alert": self._queue_alert, "digest": self._digest, **(jobs or {})}
        # Names this process's claims on the outbox (several processes, several machines).
        self.name = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._digest_week: str | None = None  # the week whose digest this process has seen done

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="heatcases-notifications", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.smtp_timeout_seconds + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.settings.notify_every_seconds):
            self.run_once()

    def run_once(self) -> tuple[int, int]:
        """One round: the queue alert, the digest, the other jobs, the due e-mails; returns the e-mails (sent, failed
        tries)."""
        now = utcnow()
        for name, job in self.jobs.items():
            try:
                with Session(db.reader(self.engine)) as session:  # reads first; each job begins its writes
                    job(session, now)
            except Exception:  # a bad round must not end the thread
                log.exception("notification worker: the %s failed", name)
        if not self.settings.smtp_host:
            return 0, 0
        try:
            return mail.send_due(self.engine, self.settings, self.name)
        except Exception:
            log.exception("notification worker: sending e-mail failed")
            return 0, 0

    def _queue_alert(self, session: Session, now) -> None:
        schedule.queue_alert(session, hours=self.settings.review_alert_hours, now=now)

    def _digest(self, session: Session, now) -> None:
        key, _start, _end = schedule.week_of(now, self.settings.tz)
        if key != self._digest_week:
            schedule.weekly_digest(session, tz=self.settings.tz, now=now)
            self._digest_week = key
