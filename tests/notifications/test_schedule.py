"""What the worker finds by looking: a review queue waiting too long, the weekly digest of newly featured cases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from heatcases import db
from heatcases.models import Case
from heatcases.notifications import schedule
from heatcases.notifications.worker import NotificationWorker


def _kinds(actor) -> list[str]:
    return [item["kind"] for item in actor.get("/api/me/notifications").json()["items"]]


def _set(app, case_id, **values) -> None:
    with db.session_scope(app.state.engine) as session:
        session.execute(update(Case).where(Case.id == case_id).values(**values))
        session.commit()


class TestQueueAlert:
    def test_supervisors_hear_of_a_case_waiting_too_long_once(self, app, agent, trainee, supervisor, admin, submit):
        worker = NotificationWorker(app.state.settings, app.state.engine)
        case = submit(agent)
        worker.run_once()
        assert _kinds(supervisor) == []  # it has just come in
        _set(app, case["id"], created_at=db.utcnow() - timedelta(hours=25))
        worker.run_once()
        worker.run_once()
        assert _kinds(supervisor) == ["queue"] and _kinds(admin) == ["queue"]
        assert _kinds(agent) == [] and _kinds(trainee) == []
        [item] = supervisor.get("/api/me/notifications").json()["items"]
        assert item["link"] == "/review" and "24" in item["text"]

    def test_a_setting_of_zero_never_alerts(self, app, agent, supervisor, submit):
        case = submit(agent)
        _set(app, case["id"], created_at=db.utcnow() - timedelta(days=30))
        settings = app.state.settings.model_copy(update={"review_alert_hours": 0})
        NotificationWorker(settings, app.state.engine).run_once()
        assert _kinds(supervisor) == []


class TestDigest:
    def test_everyone_gets_last_weeks_featured_cases_their_team_first_once(
        self, app, make_actor, agent, other_agent, supervisor, submit
    ):
        trainee = make_actor("trainee", team="二组")
        ours = submit(agent, title="一组的精选：台风天改签")
        theirs = submit(other_agent, title="二组的精选：耐心解释退改")
        _key, start, _end = schedule.week_of(db.utcnow(), app.state.settings.tz)
        for case in (ours, theirs):
            supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
            supervisor.post(f"/api/cases/{case['id']}/feature")
            _set(app, case["id"], featured_at=start + timedelta(days=2))
        worker = NotificationWorker(app.state.settings, app.state.engine)
        worker.run_once()
        worker.run_once()
        fresh = NotificationWorker(app.state.settings, app.state.engine)  # another process: no second digest
        fresh.run_once()
        [digest] = [i for i in trainee.get("/api/me/notifications").json()["items"] if i["kind"] == "digest"]
        assert [team["team"] for team in digest["data"]["teams"]] == ["二组", "一组"]
        assert "二组的精选" in digest["detail"].splitlines()[1]
        assert "2" in digest["text"]
        assert _kinds(supervisor).count("digest") == 1

    def test_no_digest_when_nothing_was_featured_last_week(self, app, agent, supervisor, approved_case):
        supervisor.post(f"/api/cases/{approved_case['id']}/feature")  # this week: next week's digest
        NotificationWorker(app.state.settings, app.state.engine).run_once()
        assert "digest" not in _kinds(agent)
