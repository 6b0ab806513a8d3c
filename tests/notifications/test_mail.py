"""Notification e-mails through a real SMTP server (aiosmtpd) started by the test: they arrive, in the reader's
language; a server that is down is retried; two workers never send one twice; the request never waits."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from heatcases import db
from heatcases.app import create_app
from heatcases.models import Case, MailOutbox
from heatcases.notifications import mail, schedule
from heatcases.notifications.worker import NotificationWorker
from tests.conftest import PASSWORD


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it is given; ``delay`` makes it slow."""

    def __init__(self, delay: float = 0):
        self.messages = []
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def settings(settings, smtp_port):
    """The test settings with the local SMTP server (the worker is started by the tests that want it)."""
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_from": "heat@example.com",
                "site_url": "https://heat.example.com", "smtp_timeout_seconds": 5}
    )  # fmt: skip


def _wants_mail(actor, *kinds, email="li@example.com"):
    response = actor.put("/api/me/notification-settings", json={"emailed": list(kinds), "email": email})
    assert response.status_code == 200, response.text


def _outbox(app) -> list[MailOutbox]:
    with db.session_scope(app.state.engine) as session:
        return list(session.exec(select(MailOutbox).order_by(MailOutbox.id)).scalars())


class TestDelivery:
    def test_an_approval_arrives_by_mail_with_the_comment(self, app, inbox, agent, supervisor, submit):
        _wants_mail(agent, "approved", "rejected")
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "请补充结果"})
        assert NotificationWorker(app.state.settings, app.state.engine).run_once() == (1, 0)
        [(recipients, message)] = inbox.wait_for(1)
        assert recipients == ["li@example.com"]
        assert message["From"] == "heat@example.com"
        assert case["title"] in message["Subject"] and "退回" in message["Subject"]
        body = message.get_content()
        assert "请补充结果" in body
        assert f"https://heat.example.com/cases/{case['id']}" in body
        assert [row.sent_at is not None for row in _outbox(app)] == [True]

    def test_only_the_kinds_chosen_are_mailed_in_the_readers_language(self, app, inbox, agent, supervisor, submit):
        _wants_mail(agent, "featured")
        assert agent.patch("/api/me", json={"language": "en"}).status_code == 200
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
        supervisor.post(f"/api/cases/{case['id']}/feature")
        NotificationWorker(app.state.settings, app.state.engine).run_once()
        [(_to, message)] = inbox.wait_for(1)
        assert message["Subject"].startswith("Your case") and "featured" in message["Subject"]
        assert len(agent.get("/api/me/notifications").json()["items"]) == 2  # both in the app

    def test_a_new_assignment_and_its_due_date_by_mail(self, app, inbox, trainee, supervisor, approved_case):
        _wants_mail(trainee, "assignment", email="xu@example.com")
        made = supervisor.post("/api/reading-lists", json={
            "title": "第一周", "due_on": "2999-01-31", "items": [approved_case["id"]],
        }).json()  # fmt: skip
        supervisor.post(f"/api/reading-lists/{made['id']}/assign", json={"usernames": [trainee.username]})
        NotificationWorker(app.state.settings, app.state.engine).run_once()
        [(to, message)] = inbox.wait_for(1)
        assert to == ["xu@example.com"] and "2999-01-31" in message["Subject"]

    def test_the_weekly_digest_arrives_by_mail(self, app, inbox, agent, supervisor, approved_case):
        _wants_mail(agent, "digest")
        supervisor.post(f"/api/cases/{approved_case['id']}/feature")
        _key, start, _end = schedule.week_of(db.utcnow(), app.state.settings.tz)
        with db.session_scope(app.state.engine) as session:
            session.execute(update(Case).values(featured_at=start + timedelta(days=1)))
            session.commit()
        NotificationWorker(app.state.settings, app.state.engine).run_once()
        [(_to, message)] = inbox.wait_for(1)
        assert f"https://heat.example.com/cases/{approved_case['id']}" in message.get_content()
        assert approved_case["title"] in message.get_content()

    def test_the_background_worker_sends_without_being_asked(self, settings, inbox, make_actor, submit):
        application = create_app(settings.model_copy(update={"notifications_worker": True,
                                                              "notify_every_seconds": 0.2}))  # fmt: skip
        try:
            with TestClient(application) as client:
                agent = make_actor("agent")  # through the shared app: same database
                token = client.post("/api/auth/token", json={"username": agent.username, "password": PASSWORD})
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                client.put("/api/me/notification-settings", headers=headers,
                           json={"emailed": ["approved"], "email": "a@example.com"})  # fmt: skip
                supervisor = make_actor("supervisor")
                case = submit(agent)
                supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
                assert len(inbox.wait_for(1)) == 1
        finally:
            application.state.engine.dispose()


class TestFailures:
    def test_a_server_that_is_down_is_retried_and_nothing_is_lost(self, app, agent, supervisor, submit, smtp_port):
        _wants_mail(agent, "approved")
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
        worker = NotificationWorker(app.state.settings, app.state.engine)
        assert worker.run_once() == (0, 1)  # nobody listens on the port yet
        [row] = _outbox(app)
        assert (row.attempts, row.sent_at, row.claimed_until) == (1, None, None)
        assert row.next_attempt_at > db.utcnow() and "connect" in row.last_error
        assert worker.run_once() == (0, 0)  # not due yet
        handler = Inbox()
        controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        try:
            with db.session_scope(app.state.engine) as session:
                session.execute(update(MailOutbox).values(next_attempt_at=db.utcnow() - timedelta(seconds=1)))
                session.commit()
            assert worker.run_once() == (1, 0)
            assert len(handler.wait_for(1)) == 1
        finally:
            controller.stop()
        [row] = _outbox(app)
        assert row.attempts == 2 and row.sent_at is not None

    def test_after_the_last_try_it_is_given_up(self, app, agent, supervisor, submit):
        _wants_mail(agent, "approved")
        supervisor.post(f"/api/cases/{submit(agent)['id']}/review", json={"decision": "approve", "comment": ""})
        settings = app.state.settings.model_copy(update={"mail_max_attempts": 2})
        worker = NotificationWorker(settings, app.state.engine)
        for _ in range(2):
            with db.session_scope(app.state.engine) as session:
                session.execute(update(MailOutbox).values(next_attempt_at=db.utcnow() - timedelta(seconds=1)))
                session.commit()
            worker.run_once()
        [row] = _outbox(app)
        assert row.attempts == 2 and row.failed_at is not None and row.sent_at is None

    def test_a_slow_mail_server_never_slows_an_approval(self, app, smtp_port, agent, supervisor, submit):
        handler = Inbox(delay=3)
        controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        worker = NotificationWorker(app.state.settings, app.state.engine)
        try:
            _wants_mail(agent, "approved", "featured")
            case = submit(agent)
            supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
            sending = threading.Thread(target=worker.run_once)
            sending.start()
            time.sleep(0.3)  # the worker is now waiting on the slow server
            started = time.monotonic()
            assert supervisor.post(f"/api/cases/{case['id']}/feature").status_code == 200
            assert time.monotonic() - started < 1.5
            sending.join()
        finally:
            controller.stop()


class TestClaims:
    def test_two_workers_never_claim_the_same_mail(self, app, agent, supervisor, submit):
        _wants_mail(agent, "approved")
        with db.session_scope(app.state.engine) as session:
            session.add_all(
                MailOutbox(user_id=None, kind="approved", to_address="x@example.com", data={"title": f"案例{i}"})
                for i in range(30)
            )
            session.commit()
        claims: dict[str, list[int]] = {}

        def take(name: str) -> None:
            claims[name] = [row.id for row in mail.claim(app.state.engine, name, limit=20)]

        threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        taken = [row_id for ids in claims.values() for row_id in ids]
        assert len(taken) == len(set(taken)) == 30
        assert mail.claim(app.state.engine, "late") == []  # every row is held until its lease runs out
        later = db.utcnow() + mail.LEASE + timedelta(seconds=1)
        assert len(mail.claim(app.state.engine, "after-a-crash", limit=50, now=later)) == 30

    def test_mail_settings_need_an_address(self, app, agent):
        response = agent.put("/api/me/notification-settings", json={"emailed": ["approved"]})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "email"]
        with db.session_scope(app.state.engine) as session:
            assert session.execute(select(func.count()).select_from(MailOutbox)).scalar_one() == 0
