"""Views as PRODUCT.md defines them: author excluded, one per reader per window, unique readers;
exact under concurrent requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, update
from sqlmodel import select

from heatcases import db
from heatcases.models import CaseView, CaseViewer


def views_of(actor, case_id) -> tuple[int, int]:
    case = actor.get(f"/api/cases/{case_id}").json()
    return case["views"], case["unique_viewers"]


class TestCounting:
    def test_first_view_counts_and_is_returned(self, approved_case, trainee):
        case = trainee.get(f"/api/cases/{approved_case['id']}").json()
        assert (case["views"], case["unique_viewers"]) == (1, 1)

    def test_repeat_views_in_the_window_count_once(self, approved_case, trainee, supervisor):
        for _ in range(3):
            trainee.get(f"/api/cases/{approved_case['id']}")
        # the supervisor's read counts too (and is the read we look through)
        assert views_of(supervisor, approved_case["id"]) == (2, 2)

    def test_a_view_after_the_window_counts_again_but_not_as_a_new_reader(self, app, approved_case, trainee):
        trainee.get(f"/api/cases/{approved_case['id']}")
        with db.session_scope(app.state.engine) as session:
            session.execute(update(CaseViewer).values(last_counted_at=db.utcnow() - timedelta(minutes=31)))
            session.commit()
        assert views_of(trainee, approved_case["id"]) == (2, 1)

    def test_the_authors_views_never_count(self, approved_case, agent):
        for _ in range(3):
            agent.get(f"/api/cases/{approved_case['id']}")
        assert views_of(agent, approved_case["id"]) == (0, 0)

    def test_pending_cases_count_no_views(self, agent, supervisor, submit):
        case = submit(agent)
        supervisor.get(f"/api/cases/{case['id']}")
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"})
        assert supervisor.get(f"/api/cases/{case['id']}").json()["views"] == 1

    def test_listing_does_not_count_views(self, approved_case, trainee, supervisor):
        trainee.get("/api/cases")
        assert views_of(supervisor, approved_case["id"]) == (1, 1)

    def test_every_counted_view_is_kept_for_the_metrics(self, app, approved_case, trainee, supervisor):
        trainee.get(f"/api/cases/{approved_case['id']}")
        supervisor.get(f"/api/cases/{approved_case['id']}")
        with db.session_scope(app.state.engine) as session:
            assert session.exec(select(func.count()).select_from(CaseView)).one() == 2


class TestWindowSetting:
    @pytest.fixture
    def settings(self, settings):
        return settings.model_copy(update={"view_window_minutes": 0})

    def test_window_of_zero_counts_every_view(self, approved_case, trainee):
        for _ in range(3):
            trainee.get(f"/api/cases/{approved_case['id']}")
        assert views_of(trainee, approved_case["id"]) == (4, 1)


class TestConcurrency:
    READERS = 12
    REPEATS = 4

    def test_parallel_readers_are_counted_exactly(self, live_server, make_actor, approved_case):
        readers = [make_actor("trainee", f"reader{i}") for i in range(self.READERS)]
        url = f"{live_server}/api/cases/{approved_case['id']}"

        def read(reader):
            with httpx.Client(timeout=30) as http:
                return http.get(url, headers=reader.headers).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(read, readers * self.REPEATS))
        assert statuses == [200] * (self.READERS * self.REPEATS)
        assert views_of(make_actor("supervisor"), approved_case["id"]) == (self.READERS + 1, self.READERS + 1)
        print(f"{len(statuses)} parallel reads by {self.READERS} readers on 8 threads -> {self.READERS} views")

    def test_two_supervisors_reviewing_at_once_exactly_one_wins(self, live_server, make_actor, agent, submit):
        first, second = make_actor("supervisor", "sup_a"), make_actor("supervisor", "sup_b")
        for round_ in range(4):
            case = submit(agent, title=f"并发审核{round_}")
            url = f"{live_server}/api/cases/{case['id']}/review"

            def review(actor, decision, url=url):
                with httpx.Client(timeout=30) as http:
                    return http.post(
                        url, headers=actor.headers, json={"decision": decision, "comment": "意见"}
                    ).status_code

            with ThreadPoolExecutor(max_workers=2) as pool:
                statuses = sorted(pool.map(review, [first, second], ["approve", "reject"]))
            assert statuses == [200, 409]
            history = first.get(f"/api/cases/{case['id']}/history").json()
            assert [event["action"] for event in history][1:] in (["approve"], ["reject"])
