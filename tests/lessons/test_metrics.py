"""GET /api/metrics/lessons against hand-counted fixtures: approved lessons counted in the period of their
approval, with the value they were given, and the previous period beside them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session

from heatcases.db import utcnow
from heatcases.models import Case

DAY = timedelta(days=1)


def _approved_days_ago(app, case_id: int, days: int) -> None:
    with Session(app.state.engine) as session:
        session.execute(update(Case).where(Case.id == case_id).values(reviewed_at=utcnow() - days * DAY))
        session.commit()


@pytest.fixture
def fixtures(app, agent, make_actor, supervisor, submit, submit_lesson, approve):
    """This period (the last 10 days): A flight 长春票台 一组 (reliability); B hotel 长春票台 二组 (reliability,
    assurance), hazard; C flight no partner 一组 (empathy). The previous 10 days: B flight 成都票台 一组
    (reliability). Not counted: a pending A lesson, a rejected C lesson, an approved exemplar, an A lesson
    approved 30 days ago."""
    make_actor("agent", "agent_two", team="二组")
    now = [
        submit_lesson(agent, defect_class="A"),
        submit_lesson(
            agent,
            defect_class="B",
            defect_kind="hazard",
            business_line="hotel",
            team="二组",
            servqual=["reliability", "assurance"],
        ),  # fmt: skip
        submit_lesson(agent, defect_class="C", servqual=["empathy"], partner=None),
    ]
    for case in now:
        approve(supervisor, case["id"])
    _approved_days_ago(app, now[0]["id"], 2)
    before = approve(supervisor, submit_lesson(agent, defect_class="B", partner="成都票台")["id"])
    _approved_days_ago(app, before["id"], 12)
    old = approve(supervisor, submit_lesson(agent)["id"])
    _approved_days_ago(app, old["id"], 30)
    submit_lesson(agent)  # pending
    rejected = submit_lesson(agent, defect_class="C")
    supervisor.post(f"/api/cases/{rejected['id']}/review", json={"decision": "reject", "comment": "不是教训"})
    approve(supervisor, submit(agent)["id"])


def _period(days: int = 10) -> dict:
    today = (utcnow() + timedelta(hours=8)).date()  # Asia/Shanghai
    return {"from": (today - (days - 1) * DAY).isoformat(), "to": today.isoformat()}


class TestLessonMetrics:
    def test_figures_of_the_period_and_the_one_before(self, supervisor, fixtures):
        response = supervisor.get("/api/metrics/lessons", params=_period())
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) >= {"from", "to", "current", "previous", "change_pct", "by_team", "by_business_line",
                             "by_servqual", "by_partner"}  # fmt: skip
        assert body["current"] == {"lessons": 3, "A": 1, "B": 1, "C": 1, "faults": 2, "hazards": 1,
                                   "value_at_risk": 8000}  # fmt: skip
        assert body["previous"] == {"lessons": 1, "A": 0, "B": 1, "C": 0, "faults": 1, "hazards": 0,
                                    "value_at_risk": 2000}  # fmt: skip
        assert body["change_pct"]["lessons"] == 200.0 and body["change_pct"]["value_at_risk"] == 300.0
        assert body["change_pct"]["A"] is None  # nothing before

    def test_breakdowns_most_recurring_first(self, supervisor, fixtures):
        body = supervisor.get("/api/metrics/lessons", params=_period()).json()
        teams = {
            row["team"]: (row["lessons"], row["value_at_risk"], row["previous_value_at_risk"])
            for row in body["by_team"]
        }
        assert teams == {"一组": (2, 6000, 2000), "二组": (1, 2000, 0)}
        assert [row["team"] for row in body["by_team"]][0] == "一组"
        assert body["by_team"][0]["change_pct"] == 200.0
        lines = {row["business_line"]: (row["lessons"], row["value_at_risk"]) for row in body["by_business_line"]}
        assert lines == {"flight": (2, 6000), "hotel": (1, 2000)}
        elements = [(row["servqual"], row["lessons"], row["value_at_risk"]) for row in body["by_servqual"]]
        assert elements == [("reliability", 2, 7000), ("assurance", 1, 2000), ("empathy", 1, 1000)]
        partners = [(row["partner"], row["lessons"], row["value_at_risk"]) for row in body["by_partner"]]
        assert partners == [("长春票台", 2, 7000), ("成都票台", 0, 0)]

    def test_team_filter(self, supervisor, fixtures):
        body = supervisor.get("/api/metrics/lessons", params={**_period(), "team": "二组"}).json()
        assert body["current"]["lessons"] == 1 and body["current"]["value_at_risk"] == 2000

    def test_trainees_reading_of_lessons(self, supervisor, trainee, agent, fixtures):
        lesson = trainee.get("/api/search", params={"kind": "lesson"}).json()["hits"][0]
        assert trainee.get(f"/api/cases/{lesson['id']}").status_code == 200
        agent_view = agent.get(f"/api/cases/{lesson['id']}")  # the author's own view does not count
        assert agent_view.status_code == 200
        reading = supervisor.get("/api/metrics/lessons", params=_period()).json()["reading"]
        assert reading["views"] == 1 and reading["readers"] == 1

    def test_csv_export_of_the_team_table(self, supervisor, fixtures):
        response = supervisor.get("/api/metrics/export/lessons-teams.csv", params=_period())
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        lines = response.text.lstrip("\ufeff").splitlines()
        assert lines[0] == "team,lessons,value_at_risk,previous_lessons,previous_value_at_risk,change_pct"
        assert lines[1] == "一组,2,6000,1,2000,200.0"

    def test_only_supervisors_and_admins(self, agent, trainee):
        assert agent.get("/api/metrics/lessons").status_code == 403
        assert trainee.get("/api/metrics/lessons").status_code == 403


class TestDemoLessons:
    def test_the_demo_has_a_dozen_lessons_over_ninety_days_and_the_metrics_show_them(self, app, client):
        from heatcases import db
        from heatcases.demo import DEMO_PASSWORD, load_demo

        with db.session_scope(app.state.engine) as session:
            load_demo(session)
        token = client.post("/api/auth/token", json={"username": "sup_zhang", "password": DEMO_PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        lessons = client.get("/api/cases", params={"kind": "lesson", "per_page": 100}, headers=headers).json()["items"]
        approved = [case for case in lessons if case["status"] == "approved"]
        assert len(approved) >= 12
        assert {case["defect_class"] for case in approved} == {"A", "B", "C"}
        assert all(case["value_at_risk"] in (1000, 2000, 5000) for case in approved)
        body = client.get("/api/metrics/lessons", params=_period(90), headers=headers).json()
        assert body["current"]["lessons"] == len(approved)
        assert body["current"]["value_at_risk"] == sum(case["value_at_risk"] for case in approved)
        recent = client.get("/api/metrics/lessons", params=_period(30), headers=headers).json()
        assert recent["current"]["lessons"] and recent["previous"]["lessons"]  # a change to show on first start
        assert recent["by_team"] and recent["by_partner"]
