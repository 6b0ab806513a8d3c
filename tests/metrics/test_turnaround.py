"""Review turnaround against hand-counted fixtures: waits from submission or resubmission to decision, p50 / p90
(linear between ranks) for the period and the one before, by team, by supervisor and per day; the oldest wait;
the review queue's order and waits; the dashboard section and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text

PERIOD = {"from": "2026-11-01", "to": "2026-11-07"}  # Asia/Shanghai; the previous period is 10-25 … 10-31


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(f"2026-{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


@pytest.fixture
def rewrite(app):
    """rewrite(case_id, [t0, t1, …]): the case's events, in order, happened at these times; it was created at t0."""

    def do(case_id: int, times: list[datetime]) -> None:
        with app.state.engine.begin() as connection:
            ids = (
                connection.execute(
                    text("SELECT id FROM case_event WHERE case_id = :case ORDER BY id"), {"case": case_id}
                )
                .scalars()
                .all()
            )
            assert len(ids) == len(times), (ids, times)
            for event_id, moment in zip(ids, times, strict=True):
                connection.execute(text("UPDATE case_event SET created_at = :t WHERE id = :id"),
                                   {"t": moment, "id": event_id})  # fmt: skip
            connection.execute(text("UPDATE service_case SET created_at = :t WHERE id = :id"),
                               {"t": times[0], "id": case_id})  # fmt: skip

    return do


@pytest.fixture
def fixtures(agent, other_agent, supervisor, make_actor, submit, rewrite):
    """Hand-counted waits (hours). Current period: A 2 (一组, 张), B rejected 10 (一组, 张) then resubmitted and
    approved 6 (一组, 黄), C 24 (二组, 黄; an edit while pending does not restart it), D 96 (二组, 张);
    previous period: E 4 (一组, 张), F 20 (二组, 黄). Waiting: G since 11-03, I (created 10-01, rejected 10-02)
    since its resubmission 11-05, H since now."""
    huang = make_actor("supervisor", "sup_huang", name="黄主管")

    def decide(actor, case_id, decision="approve"):
        body = {"decision": decision, "comment": "请补充" if decision == "reject" else ""}
        assert actor.post(f"/api/cases/{case_id}/review", json=body).status_code == 200

    def resubmit(case_id, title):
        assert agent.patch(f"/api/cases/{case_id}", json={"title": title}).status_code == 200

    a = submit(agent, title="A")["id"]
    decide(supervisor, a)
    rewrite(a, [at("11-02", 2), at("11-02", 4)])
    b = submit(agent, title="B")["id"]
    decide(supervisor, b, "reject")
    resubmit(b, "B2")
    decide(huang, b)
    rewrite(b, [at("11-02", 2), at("11-02", 12), at("11-03", 0), at("11-03", 6)])
    c = submit(other_agent, title="C")["id"]
    assert other_agent.patch(f"/api/cases/{c}", json={"title": "C2"}).status_code == 200
    decide(huang, c)
    rewrite(c, [at("11-01", 0), at("11-01", 10), at("11-02", 0)])
    d = submit(other_agent, title="D")["id"]
    decide(supervisor, d, "reject")
    rewrite(d, [at("10-31", 20), at("11-04", 20)])
    e = submit(agent, title="E")["id"]
    decide(supervisor, e)
    rewrite(e, [at("10-26", 0), at("10-26", 4)])
    f = submit(other_agent, title="F")["id"]
    decide(huang, f, "reject")
    rewrite(f, [at("10-27", 0), at("10-27", 20)])
    g = submit(agent, title="G 等得最久")["id"]
    rewrite(g, [at("11-03", 0)])
    i = submit(agent, title="I 退回后重新提交")["id"]
    decide(supervisor, i, "reject")
    resubmit(i, "I 退回后重新提交")
    rewrite(i, [at("10-01", 0), at("10-02", 0), at("11-05", 0)])
    h = submit(agent, title="H 刚提交")["id"]
    return {"g": g, "h": h, "i": i, "huang": huang}


class TestTurnaroundFigures:
    def test_the_period_the_previous_one_and_the_change(self, supervisor, fixtures):
        figures = supervisor.get("/api/metrics/reviews", params={**PERIOD, "interval": "day"}).json()
        assert figures["current"] == {"decisions": 5, "p50_hours": 10.0, "p90_hours": 67.2}
        assert figures["previous"] == {"decisions": 2, "p50_hours": 12.0, "p90_hours": 18.4}
        assert figures["change_pct"] == {"decisions": 150.0, "p50_hours": -16.7, "p90_hours": 265.2}
        assert figures["previous_period"] == {"from": "2026-10-25", "to": "2026-10-31"}

    def test_by_team_and_by_supervisor(self, supervisor, fixtures):
        figures = supervisor.get("/api/metrics/reviews", params=PERIOD).json()
        teams = {row["key"]: row for row in figures["by_team"]}
        assert (teams["一组"]["decisions"], teams["一组"]["p50_hours"], teams["一组"]["p90_hours"]) == (3, 6.0, 9.2)
        assert (teams["二组"]["p50_hours"], teams["二组"]["p90_hours"]) == (60.0, 88.8)
        assert teams["一组"]["previous_p50_hours"] == 4.0 and teams["二组"]["previous_p90_hours"] == 20.0
        assert [row["key"] for row in figures["by_team"]] == ["二组", "一组"]  # the slowest first
        people = {row["key"]: row for row in figures["by_supervisor"]}
        assert (people["sup_zhang"]["p50_hours"], people["sup_zhang"]["p90_hours"]) == (10.0, 78.8)
        assert (people["sup_huang"]["p50_hours"], people["sup_huang"]["p90_hours"]) == (15.0, 22.2)
        assert people["sup_huang"]["name"] == "黄主管" and people["sup_huang"]["previous_decisions"] == 1

    def test_per_day(self, supervisor, fixtures):
        buckets = supervisor.get("/api/metrics/reviews", params={**PERIOD, "interval": "day"}).json()["buckets"]
        by_day = {bucket["start"]: bucket for bucket in buckets}
        assert len(buckets) == 7
        assert by_day["2026-11-02"] == {"start": "2026-11-02", "decisions": 3, "p50_hours": 10.0, "p90_hours": 21.2}
        assert by_day["2026-11-03"]["p50_hours"] == 6.0 and by_day["2026-11-05"]["p90_hours"] == 96.0
        assert by_day["2026-11-01"] == {"start": "2026-11-01", "decisions": 0, "p50_hours": None, "p90_hours": None}

    def test_the_oldest_waiting_case_and_a_team_filter(self, supervisor, fixtures):
        figures = supervisor.get("/api/metrics/reviews", params=PERIOD).json()
        assert figures["pending"] == 3
        assert figures["oldest_waiting"]["id"] == fixtures["g"]
        assert figures["oldest_waiting"]["waiting_since"].startswith("2026-11-03T00:00:00")
        only_two = supervisor.get("/api/metrics/reviews", params={**PERIOD, "team": "二组"}).json()
        assert only_two["current"]["decisions"] == 2 and only_two["pending"] == 0 and only_two["oldest_waiting"] is None
        assert supervisor.get("/api/metrics/reviews", params={**PERIOD, "team": "没有"}).status_code == 422

    def test_for_supervisors_only(self, agent, trainee):
        assert agent.get("/api/metrics/reviews").status_code == 403
        assert trainee.get("/api/metrics/reviews").status_code == 403


class TestQueueAndDashboard:
    def test_the_queue_shows_the_longest_wait_first_and_how_long(self, supervisor, fixtures, browser):
        web = browser(supervisor.username)
        cards = BeautifulSoup(web.get("/review").text, "html.parser").select(".review-card")
        assert [card["id"] for card in cards] == [f"case-{fixtures[key]}" for key in ("g", "i", "h")]
        assert (
            "已等待" in cards[0].select_one(".waited").get_text() and "天" in cards[0].select_one(".waited").get_text()
        )
        assert "重新提交" in cards[1].select_one(".waited").get_text()
        newest = BeautifulSoup(web.get("/review?sort=newest").text, "html.parser").select(".review-card")
        assert newest[0]["id"] == f"case-{fixtures['h']}"

    def test_the_dashboard_section_and_its_csv(self, supervisor, fixtures, browser):
        web = browser(supervisor.username)
        page = BeautifulSoup(web.get("/dashboard", params={**PERIOD, "interval": "day"}).text, "html.parser")
        section = page.select_one("#turnaround")
        assert section.select_one('[data-turnaround="p50_hours"]').get_text(strip=True) == "10.0 小时"
        assert section.select_one('[data-turnaround="p90_hours"]').get_text(strip=True) == "67.2 小时"
        assert "G 等得最久" in section.select_one("#oldest-waiting").get_text()
        assert len(section.select("#turnaround-by-supervisor tbody tr")) == 2
        assert section.select_one("#chart-turnaround")
        download = web.get("/dashboard/export/review-supervisors.csv", params=PERIOD)
        rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
        assert rows[0][0] == "主管" and rows[0][2:4] == ["审核决定", "时效p50（小时）"]
        api_rows = list(csv.reader(io.StringIO(
            supervisor.get("/api/metrics/export/review-teams.csv", params=PERIOD).text.lstrip("\ufeff"))))  # fmt: skip
        assert api_rows[0][:4] == ["team", "decisions", "p50_hours", "p90_hours"]
        assert api_rows[1][:4] == ["二组", "2", "60.0", "88.8"]
