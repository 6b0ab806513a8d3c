"""The metrics API, each definition pinned with hand-computed figures (PRODUCT.md, API.md).

Times below are UTC as stored; periods are Asia/Shanghai days (UTC+8): the local day 2026-10-10
runs from 2026-10-09 16:00 to 2026-10-10 16:00 UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from heatcases import db
from heatcases.metrics import rollup
from heatcases.models import ViewStat

HEADLINE = {"submissions", "approved", "rejected", "featured", "praised", "views", "unique_viewers", "impressions",
            "open_rate"}  # fmt: skip


def approve(supervisor, case_id: int) -> None:
    assert supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve"}).status_code == 200


def reject(supervisor, case_id: int) -> None:
    response = supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "reject", "comment": "请补充结果"})
    assert response.status_code == 200


def feature(supervisor, case_id: int) -> None:
    assert supervisor.post(f"/api/cases/{case_id}/feature").status_code == 200


class TestShape:
    def test_an_empty_period_has_every_key_zero_figures_and_null_rates(self, summary, make_actor):
        make_actor("agent", "quiet_agent", team="安静组")
        body = summary("2026-10-01", "2026-10-30")
        assert body["from"] == "2026-10-01" and body["to"] == "2026-10-30"
        assert set(body["current"]) >= HEADLINE and set(body["previous"]) >= HEADLINE
        assert set(body["change_pct"]) >= HEADLINE
        assert body["current"]["submissions"] == 0 and body["current"]["open_rate"] is None
        assert all(value is None for value in body["change_pct"].values())
        assert set(body["by_tag"]) == {"heartwarming", "effortless", "active", "trust"}
        assert body["by_tag"]["trust"] == {
            "submissions": 0, "approved": 0, "rejected": 0, "featured": 0, "praised": 0, "views": 0,
        }  # fmt: skip

    def test_teams_and_agents_with_no_activity_are_listed_with_zeros(self, summary, make_actor):
        make_actor("agent", "quiet_agent", team="安静组")
        body = summary("2026-10-01", "2026-10-30")
        quiet_team = next(row for row in body["by_team"] if row["team"] == "安静组")
        assert (quiet_team["submissions"], quiet_team["views"], quiet_team["members"]) == (0, 0, 1)
        quiet = next(row for row in body["by_agent"] if row["author"] == "quiet_agent")
        assert quiet == {"author": "quiet_agent", "name": "quiet_agent", "team": "安静组", "submissions": 0,
                         "approved": 0, "rejected": 0, "featured": 0, "praised": 0}  # fmt: skip

    def test_without_dates_the_period_is_the_last_30_days_up_to_today(self, supervisor):
        body = supervisor.get("/api/metrics/summary").json()
        first, last = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
        assert (last - first).days == 29
        assert abs((last - date.today()).days) <= 1  # today in Shanghai may be tomorrow here
        assert body["previous_period"] == {
            "from": str(first - timedelta(days=30)),
            "to": str(first - timedelta(days=1)),
        }


class TestCaseFigures:
    @pytest.fixture
    def story(self, agent, other_agent, supervisor, submit, clock):
        """agent: 3 cases (2 with praise): one approved and featured, one approved, one rejected twice over.
        other_agent: 1 pending case without praise. All inside 2026-10-10 (Shanghai)."""
        featured = submit(agent, behaviors=[], tags=["heartwarming", "trust"], business_line="hotel")
        plain = submit(agent, behaviors=[], tags=["trust"], praise=None)
        redo = submit(agent, behaviors=[], tags=["active"])
        pending = submit(other_agent, behaviors=[], tags=["effortless"], praise=None)
        approve(supervisor, featured["id"])
        feature(supervisor, featured["id"])
        supervisor.delete(f"/api/cases/{featured['id']}/feature")
        feature(supervisor, featured["id"])  # featured, unfeatured, featured again: one featured case
        approve(supervisor, plain["id"])
        reject(supervisor, redo["id"])
        assert agent.patch(f"/api/cases/{redo['id']}", json={"title": "补充了结果"}).status_code == 200
        reject(supervisor, redo["id"])
        clock.everything("2026-10-10 02:00")
        return {"featured": featured, "plain": plain, "redo": redo, "pending": pending}

    def test_submissions_reviews_featured_and_praise(self, story, summary):
        current = summary("2026-10-10", "2026-10-10")["current"]
        assert current["submissions"] == 4
        assert current["praised"] == 2
        assert current["approved"] == 2
        assert current["rejected"] == 2  # two review decisions, both rejections
        assert current["featured"] == 1

    def test_per_agent_team_value_and_business_line(self, story, summary, agent, other_agent):
        body = summary("2026-10-10", "2026-10-10")
        rows = {row["author"]: row for row in body["by_agent"]}
        assert rows[agent.username] == {
            "author": agent.username, "name": "李客服", "team": "一组", "submissions": 3, "approved": 2,
            "rejected": 2, "featured": 1, "praised": 2,
        }  # fmt: skip
        assert (rows[other_agent.username]["submissions"], rows[other_agent.username]["approved"]) == (1, 0)
        assert body["by_agent"][0]["author"] == agent.username  # most submissions first
        teams = {row["team"]: row for row in body["by_team"]}
        assert (teams["一组"]["submissions"], teams["一组"]["approved"], teams["二组"]["submissions"]) == (3, 2, 1)
        assert body["by_tag"]["trust"] == {
            "submissions": 2, "approved": 2, "rejected": 0, "featured": 1, "praised": 1, "views": 0,
        }  # fmt: skip
        assert body["by_tag"]["active"]["rejected"] == 2
        assert body["by_tag"]["heartwarming"]["submissions"] == 1
        assert body["by_business_line"]["hotel"]["submissions"] == 1
        assert body["by_business_line"]["flight"]["submissions"] == 3

    def test_a_team_filter_keeps_that_teams_cases_only(self, story, summary):
        body = summary("2026-10-10", "2026-10-10", team="二组")
        assert body["team"] == "二组"
        assert (body["current"]["submissions"], body["current"]["approved"]) == (1, 0)
        assert [row["team"] for row in body["by_team"]] == ["二组"]

    def test_the_trend_of_each_team_counts_that_teams_cases_only(self, story, supervisor):
        def submissions(team: str | None) -> int:
            params = {"from": "2026-10-10", "to": "2026-10-10", **({"team": team} if team else {})}
            response = supervisor.get("/api/metrics/trend", params=params)
            assert response.status_code == 200, response.text
            return sum(bucket["submissions"] for bucket in response.json()["buckets"])

        assert (submissions("一组"), submissions("二组"), submissions(None), submissions("一组")) == (3, 1, 4, 3)

    def test_an_unknown_team_is_named_in_a_422(self, supervisor):
        response = supervisor.get("/api/metrics/summary", params={"team": "没有这个组"})
        assert response.status_code == 422
        assert "team" in str(response.json()["detail"])


class TestViewsAndOpenRate:
    def test_views_count_readers_once_per_window_and_never_the_author(
        self, approved_case, agent, trainee, other_agent, supervisor, clock, summary
    ):
        for reader in (trainee, trainee, trainee, other_agent, agent, agent):  # agent is the author
            reader.get(f"/api/cases/{approved_case['id']}")
        clock.everything("2026-10-10 02:00")
        current = summary("2026-10-10", "2026-10-10")["current"]
        assert (current["views"], current["unique_viewers"]) == (2, 2)

    def test_open_rate_is_views_from_impressions_over_impressions(
        self, agent, trainee, supervisor, submit, clock, summary
    ):
        first, second = submit(agent, title="航班取消改签"), submit(agent, title="酒店超售换房")
        approve(supervisor, first["id"])
        approve(supervisor, second["id"])
        search = trainee.get("/api/search", params={"q": ""})  # shows both: 2 impressions
        assert search.json()["total"] == 2
        trainee.get(f"/api/cases/{first['id']}")  # opened from the result: a view from an impression
        supervisor.get(f"/api/cases/{second['id']}")  # never shown to the supervisor: a view, no impression
        clock.everything("2026-10-10 02:00")
        current = summary("2026-10-10", "2026-10-10")["current"]
        assert (current["impressions"], current["views"], current["open_rate"]) == (2, 2, 0.5)

    def test_views_per_value_team_and_line_follow_each_view(self, agent, trainee, supervisor, submit):
        case = submit(agent, behaviors=[], tags=["trust", "active"], business_line="car")
        approve(supervisor, case["id"])
        trainee.get(f"/api/cases/{case['id']}")
        supervisor.get(f"/api/cases/{case['id']}")
        body = supervisor.get("/api/metrics/summary").json()  # the last 30 days, up to now
        assert (body["by_tag"]["trust"]["views"], body["by_tag"]["active"]["views"]) == (2, 2)
        assert body["by_tag"]["heartwarming"]["views"] == 0
        assert body["by_business_line"]["car"]["views"] == 2
        assert next(row for row in body["by_team"] if row["team"] == "一组")["views"] == 2
        trend = supervisor.get("/api/metrics/trend").json()["buckets"]
        assert sum(bucket["views"] for bucket in trend) == 2

    def test_the_rollup_kept_with_each_view_equals_one_rebuilt_from_the_views(
        self, app, approved_case, trainee, other_agent, supervisor
    ):
        for reader in (trainee, other_agent, supervisor):
            reader.get(f"/api/cases/{approved_case['id']}")

        def stats():
            with db.session_scope(app.state.engine) as session:
                return sorted(session.execute(select(ViewStat.dimension, ViewStat.key, ViewStat.views)).all())

        live = stats()
        with db.session_scope(app.state.engine) as session:
            rollup.rebuild(session.connection())
            session.commit()
        assert live == stats() and ("all", "", 3) in live

    def test_the_authors_own_listing_is_no_impression(self, approved_case, agent, clock, summary):
        agent.get("/api/search", params={"q": ""})
        clock.everything("2026-10-10 02:00")
        assert summary("2026-10-10", "2026-10-10")["current"]["impressions"] == 0


class TestPeriods:
    def test_days_are_local_days_in_shanghai(self, agent, submit, clock, summary):
        before_midnight, at_midnight = submit(agent), submit(agent)
        clock.submitted(before_midnight["id"], "2026-10-09 15:59:59")  # 23:59:59 on 10-09 in Shanghai
        clock.submitted(at_midnight["id"], "2026-10-09 16:00:00")  # 00:00 on 10-10 in Shanghai
        assert summary("2026-10-10", "2026-10-10")["current"]["submissions"] == 1
        assert summary("2026-10-09", "2026-10-09")["current"]["submissions"] == 1
        assert summary("2026-10-09", "2026-10-10")["current"]["submissions"] == 2
        last_second = submit(agent)
        clock.submitted(last_second["id"], "2026-10-10 15:59:59")  # the period's last local second
        assert summary("2026-10-10", "2026-10-10")["current"]["submissions"] == 2

    def test_the_previous_period_has_equal_length_and_the_change_is_in_percent(self, agent, submit, clock, summary):
        cases = [submit(agent) for _ in range(5)]
        for case in cases[:2]:
            clock.submitted(case["id"], "2026-10-05 02:00")  # the week before
        for case in cases[2:]:
            clock.submitted(case["id"], "2026-10-12 02:00")
        body = summary("2026-10-10", "2026-10-16")
        assert body["previous_period"] == {"from": "2026-10-03", "to": "2026-10-09"}
        assert (body["current"]["submissions"], body["previous"]["submissions"]) == (3, 2)
        assert body["change_pct"]["submissions"] == 50.0
        assert body["change_pct"]["praised"] == 50.0

    def test_a_fall_is_negative_and_a_zero_base_is_null(self, agent, submit, clock, summary):
        cases = [submit(agent) for _ in range(4)]
        for case in cases[:3]:
            clock.submitted(case["id"], "2026-10-05 02:00")
        clock.submitted(cases[3]["id"], "2026-10-12 02:00")
        body = summary("2026-10-10", "2026-10-16")
        assert body["change_pct"]["submissions"] == pytest.approx(-66.7)
        assert body["previous"]["approved"] == 0 and body["change_pct"]["approved"] is None
        later = summary("2026-10-17", "2026-10-23")  # nothing now, 1 before: -100 %
        assert later["change_pct"]["submissions"] == -100.0


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2026-13-01"}, "from"),
            ({"to": "yesterday"}, "to"),
            ({"from": "2026-10-10", "to": "2026-10-01"}, "to"),
            ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
            ({"from": "0001-01-01"}, "from"),
        ],
    )
    def test_bad_dates_get_422_naming_the_field(self, supervisor, params, field):
        response = supervisor.get("/api/metrics/summary", params=params)
        assert response.status_code == 422
        assert field in str(response.json()["detail"])

    def test_a_bad_interval_gets_422(self, supervisor):
        assert supervisor.get("/api/metrics/trend", params={"interval": "year"}).status_code == 422

    @pytest.mark.parametrize(
        "path",
        ["/api/metrics/summary", "/api/metrics/summary.csv", "/api/metrics/trend", "/api/metrics/search",
         "/api/metrics/top-cases", "/api/metrics/progress", "/api/metrics/export/teams.csv"],
    )  # fmt: skip
    def test_agents_and_trainees_get_403_and_strangers_401(self, client, agent, trainee, admin, path):
        assert client.get(path).status_code == 401
        assert agent.get(path).status_code == 403
        assert trainee.get(path).status_code == 403
        assert admin.get(path).status_code == 200


class TestCsv:
    def test_the_summary_csv_is_the_by_agent_table(self, approved_case, summary, supervisor, agent):
        response = supervisor.get("/api/metrics/summary.csv", params={"from": "2026-10-01", "to": "2026-12-31"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.content.startswith(b"\xef\xbb\xbf")  # so Excel reads the Chinese names right
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        json_rows = summary("2026-10-01", "2026-12-31")["by_agent"]
        assert [row["author"] for row in rows] == [row["author"] for row in json_rows]
        mine = next(row for row in rows if row["author"] == agent.username)
        assert (mine["name"], mine["team"], mine["submissions"], mine["approved"]) == ("李客服", "一组", "1", "1")

    def test_a_name_that_looks_like_a_formula_is_not_a_formula(self, make_actor, supervisor):
        make_actor("agent", "sneaky", name='=HYPERLINK("http://x")')
        text = supervisor.get("/api/metrics/summary.csv").content.decode("utf-8-sig")
        assert "'=HYPERLINK" in text

    @pytest.mark.parametrize("table", ["teams", "values", "business-lines", "daily", "weekly", "monthly", "queries",
                                       "zero-result-queries", "top-cases", "progress"])  # fmt: skip
    def test_every_dashboard_table_exports(self, supervisor, table):
        response = supervisor.get(f"/api/metrics/export/{table}.csv")
        assert response.status_code == 200
        assert len(response.content.decode("utf-8-sig").splitlines()) >= 1

    def test_an_unknown_table_is_422(self, supervisor):
        assert supervisor.get("/api/metrics/export/passwords.csv").status_code == 422


class TestTrend:
    def test_buckets_are_local_days_weeks_and_months(self, agent, submit, clock, supervisor):
        cases = [submit(agent) for _ in range(3)]
        clock.submitted(cases[0]["id"], "2026-09-30 15:59")  # 09-30 local
        clock.submitted(cases[1]["id"], "2026-09-30 16:00")  # 10-01 local (a Thursday)
        clock.submitted(cases[2]["id"], "2026-10-05 03:00")  # 10-05 local (the next Monday)
        params = {"from": "2026-09-29", "to": "2026-10-06"}
        days = supervisor.get("/api/metrics/trend", params=params | {"interval": "day"}).json()["buckets"]
        assert len(days) == 8
        assert {b["start"]: b["submissions"] for b in days if b["submissions"]} == {
            "2026-09-30": 1, "2026-10-01": 1, "2026-10-05": 1,
        }  # fmt: skip
        weeks = supervisor.get("/api/metrics/trend", params=params | {"interval": "week"}).json()["buckets"]
        assert [(b["start"], b["submissions"]) for b in weeks] == [("2026-09-28", 2), ("2026-10-05", 1)]
        months = supervisor.get("/api/metrics/trend", params=params | {"interval": "month"}).json()["buckets"]
        assert [(b["start"], b["submissions"]) for b in months] == [("2026-09-01", 1), ("2026-10-01", 2)]

    def test_views_impressions_and_opens_per_day(self, approved_case, trainee, clock, supervisor):
        trainee.get("/api/search", params={"q": ""})
        trainee.get(f"/api/cases/{approved_case['id']}")
        clock.everything("2026-10-10 02:00")
        buckets = supervisor.get("/api/metrics/trend", params={"from": "2026-10-10", "to": "2026-10-10"}).json()
        assert buckets["buckets"] == [{
            "start": "2026-10-10", "submissions": 1, "approved": 1, "rejected": 0, "featured": 0, "praised": 1,
            "views": 1, "impressions": 1, "opened": 1,
        }]  # fmt: skip


class TestSearchAnalytics:
    def test_frequent_queries_and_queries_that_found_nothing(self, approved_case, trainee, make_actor, clock,
                                                              supervisor):  # fmt: skip
        other = make_actor("trainee", "trainee_he")
        for reader, query in ((trainee, "台风"), (other, "台风"), (trainee, "颱風"), (trainee, "宠物托运"),
                              (other, "宠物托运")):  # fmt: skip
            reader.get("/api/search", params={"q": query})
        trainee.get("/api/search", params={"q": "台风", "page": 2})  # a further page is not a new search
        clock.searches("2026-10-10 02:00")
        body = supervisor.get("/api/metrics/search", params={"from": "2026-10-10", "to": "2026-10-10"}).json()
        assert (body["searches"], body["zero_result_searches"]) == (5, 2)
        assert body["top"][0] == {"query": "台风", "searches": 3, "users": 2, "results": 1}  # Traditional folded
        assert body["zero_results"] == [{"query": "宠物托运", "searches": 2, "users": 2, "results": 0}]

    def test_a_phone_number_searched_for_is_masked_in_the_analytics(self, trainee, supervisor):
        trainee.get("/api/search", params={"q": "13812345678 退票"})
        body = supervisor.get("/api/metrics/search").json()
        assert "13812345678" not in str(body)
        assert body["zero_results"][0]["searches"] == 1


class TestTopCases:
    def test_most_viewed_cases_per_value_and_business_line(self, agent, supervisor, submit, make_actor, clock):
        popular = submit(agent, behaviors=[], tags=["trust"], business_line="train")
        quiet = submit(agent, behaviors=[], tags=["trust", "active"], business_line="train")
        approve(supervisor, popular["id"])
        approve(supervisor, quiet["id"])
        for i in range(3):
            make_actor("trainee", f"reader{i}").get(f"/api/cases/{popular['id']}")
        make_actor("trainee", "reader_q").get(f"/api/cases/{quiet['id']}")
        clock.everything("2026-10-10 02:00")
        body = supervisor.get("/api/metrics/top-cases", params={"from": "2026-10-10", "to": "2026-10-10"}).json()
        assert [(c["id"], c["views"]) for c in body["by_tag"]["trust"]] == [(popular["id"], 3), (quiet["id"], 1)]
        assert [c["id"] for c in body["by_tag"]["active"]] == [quiet["id"]]
        assert body["by_tag"]["heartwarming"] == []
        assert [c["id"] for c in body["by_business_line"]["train"]] == [popular["id"], quiet["id"]]
        assert body["by_business_line"]["train"][0]["unique_viewers"] == 3


class TestProgressAndReaders:
    @pytest.fixture
    def two_featured(self, agent, supervisor, submit):
        ids = []
        for _ in range(2):
            case = submit(agent)
            approve(supervisor, case["id"])
            feature(supervisor, case["id"])
            ids.append(case["id"])
        return ids

    def test_trainee_progress_is_featured_read_over_featured(self, two_featured, make_actor, trainee, supervisor):
        idle = make_actor("trainee", "trainee_idle", team="二班")
        trainee.get(f"/api/cases/{two_featured[0]}")
        trainee.get(f"/api/cases/{two_featured[0]}")  # reading twice is still one case read
        body = supervisor.get("/api/metrics/progress").json()
        rows = {row["username"]: row for row in body["trainees"]}
        assert body["featured"] == 2
        assert (rows[trainee.username]["read"], rows[trainee.username]["progress"]) == (1, 0.5)
        assert (rows[idle.username]["read"], rows[idle.username]["progress"]) == (0, 0.0)
        teams = {row["team"]: row for row in body["teams"]}
        assert (teams["一组"]["trainees"], teams["一组"]["progress"]) == (1, 0.5)
        assert teams["二班"]["progress"] == 0.0
        mine = trainee.get("/api/me/progress").json()
        assert [(row["username"], row["read"]) for row in mine["trainees"]] == [(trainee.username, 1)]

    def test_unfeatured_cases_leave_the_measure(self, two_featured, trainee, supervisor):
        trainee.get(f"/api/cases/{two_featured[0]}")
        supervisor.delete(f"/api/cases/{two_featured[0]}/feature")
        row = supervisor.get("/api/metrics/progress").json()["trainees"][0]
        assert (row["read"], row["featured"]) == (0, 1)

    def test_a_supervisor_sees_who_has_read_a_case(self, approved_case, trainee, other_agent, supervisor, agent):
        trainee.get(f"/api/cases/{approved_case['id']}")
        other_agent.get(f"/api/cases/{approved_case['id']}")
        body = supervisor.get(f"/api/cases/{approved_case['id']}/readers").json()
        assert {r["username"] for r in body["readers"]} == {trainee.username, other_agent.username}
        assert (body["views"], body["unique_viewers"]) == (2, 2)
        assert agent.get(f"/api/cases/{approved_case['id']}/readers").status_code == 403
        assert supervisor.get("/api/cases/999999/readers").status_code == 404


class TestHalfHourTimeZone:
    """Asia/Kolkata is UTC+5:30: its days start at :30 past a UTC hour, inside a rollup hour."""

    @pytest.fixture
    def settings(self, settings):
        return settings.model_copy(update={"timezone": "Asia/Kolkata"})

    def test_views_and_impressions_split_at_local_midnight(self, agent, trainee, supervisor, submit, clock, summary):
        late, early = submit(agent, behaviors=[], tags=["trust"]), submit(agent, behaviors=[], tags=["active"])
        for case in (late, early):
            approve(supervisor, case["id"])
        trainee.get("/api/search", params={"q": ""})
        for case in (late, early):
            trainee.get(f"/api/cases/{case['id']}")
        clock.views(late["id"], "2026-10-09 18:15")  # 23:45 on 10-09 in Kolkata
        clock.impressions(late["id"], "2026-10-09 18:15")
        clock.views(early["id"], "2026-10-09 18:45")  # 00:15 on 10-10 in Kolkata, same UTC hour
        clock.impressions(early["id"], "2026-10-09 18:45")
        body = summary("2026-10-10", "2026-10-10")
        assert body["timezone"] == "Asia/Kolkata"
        assert (body["current"]["views"], body["current"]["impressions"], body["current"]["open_rate"]) == (1, 1, 1.0)
        assert (body["by_tag"]["active"]["views"], body["by_tag"]["trust"]["views"]) == (1, 0)
        assert (body["previous"]["views"], body["previous"]["impressions"]) == (1, 1)
        days = supervisor.get("/api/metrics/trend", params={"from": "2026-10-09", "to": "2026-10-10"}).json()
        assert [(b["start"], b["views"]) for b in days["buckets"]] == [("2026-10-09", 1), ("2026-10-10", 1)]
