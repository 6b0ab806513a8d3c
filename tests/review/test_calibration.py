"""Calibration rounds: three supervisors score the same cases blind; the agreement is checked against figures
counted by hand; the cases' review state does not change; refusals."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.conftest import csrf_from


@pytest.fixture
def three(supervisor, make_actor):
    return [
        supervisor,
        make_actor("supervisor", "sup_huang", name="黄主管"),
        make_actor("admin", "admin_qa", name="质检"),
    ]


@pytest.fixture
def round_(three, agent, submit, approved_case):
    pending = [submit(agent, title=f"待审案例{number}")["id"] for number in (1, 2)]
    response = three[0].post(
        "/api/calibration/rounds",
        json={"title": "十一月校准", "case_ids": [approved_case["id"], *pending],
              "supervisors": [actor.username for actor in three]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


def scores_of(round_, outcome: list[bool]) -> dict:
    """Every item met, but `outcome`, which is met or not per case as given."""
    return {
        "scores": [
            {"case_id": case["id"], "item_id": item["id"],
             "met": outcome[index] if item["code"] == "outcome" else True,
             "note": "结果没写" if item["code"] == "outcome" and not outcome[index] else None}
            for index, case in enumerate(round_["cases"]) for item in round_["items"]
        ]
    }  # fmt: skip


class TestCalibrationRound:
    def test_three_supervisors_blind_then_the_agreement_counted_by_hand(self, three, round_, agent):
        first, second, third = three
        url = f"/api/calibration/rounds/{round_['id']}"
        assert len(round_["items"]) == 7 and round_["status"] == "open" and round_["results"] is None
        # Outcome: case 1 met by all; case 2 met, met, not met; case 3 not met by all.
        assert first.put(f"{url}/scores", json=scores_of(round_, [True, True, False])).status_code == 200
        assert second.put(f"{url}/scores", json=scores_of(round_, [True, True, False])).status_code == 200
        blind = second.get(url).json()
        assert blind["results"] is None and len(blind["my_scores"]) == 21  # only their own
        assert [member["submitted"] for member in blind["members"]] == [True, True, False]
        done = third.put(f"{url}/scores", json=scores_of(round_, [True, False, False])).json()
        assert done["status"] == "complete"
        results = done["results"]
        outcome = next(row for row in results["by_item"] if row["code"] == "outcome")
        # P̄ = (1 + 1/3 + 1) / 3 = 7/9; Pe = (5/9)² + (4/9)² = 41/81; kappa = (7/9 - 41/81) / (1 - 41/81) = 22/40
        assert outcome["share"] == 0.778 and outcome["kappa"] == 0.55 and outcome["subjects"] == 3
        situation = next(row for row in results["by_item"] if row["code"] == "situation")
        assert situation["share"] == 1.0 and situation["kappa"] is None  # all met: chance agreement is complete
        people = {row["username"]: row for row in results["by_supervisor"]}
        # The third agrees with each other on 20 of 21 subjects; Cohen's kappa with each: (20/21 - 382/441) /
        # (1 - 382/441) = 38/59.
        assert people["admin_qa"]["share"] == 0.952 and people["admin_qa"]["kappa"] == 0.644
        assert people["sup_zhang"]["share"] == 0.976  # 41 of 42
        assert [(row["case_id"], row["marks"]) for row in results["disagreements"]] == [
            (round_["cases"][1]["id"], {"sup_zhang": True, "sup_huang": True, "admin_qa": False})
        ]
        assert results["disagreements"][0]["notes"] == {"admin_qa": "结果没写"}
        # Scores do not change the cases' review state.
        states = [agent.get(f"/api/cases/{case['id']}").json()["status"] for case in round_["cases"]]
        assert states == ["approved", "pending", "pending"]
        assert agent.get(f"/api/cases/{round_['cases'][1]['id']}/reviews").json() == []

    def test_a_closed_round_shows_those_who_scored(self, three, round_):
        first, second, _ = three
        url = f"/api/calibration/rounds/{round_['id']}"
        first.put(f"{url}/scores", json=scores_of(round_, [True, True, False]))
        second.put(f"{url}/scores", json=scores_of(round_, [True, False, False]))
        assert second.post(f"{url}/close").status_code == 403  # not its creator, not an admin
        closed = first.post(f"{url}/close").json()
        assert closed["status"] == "closed" and len(closed["results"]["by_supervisor"]) == 2
        assert second.put(f"{url}/scores", json=scores_of(round_, [True, True, True])).status_code == 409

    def test_refusals_leave_nothing_behind(self, three, round_, agent, trainee, make_actor):
        first = three[0]
        url = f"/api/calibration/rounds/{round_['id']}"
        partial = scores_of(round_, [True, True, True])
        partial["scores"].pop()
        assert first.put(f"{url}/scores", json=partial).status_code == 422
        assert first.get(url).json()["my_scores"] == []
        outsider = make_actor("supervisor", "sup_other")
        assert outsider.put(f"{url}/scores", json=scores_of(round_, [True, True, True])).status_code == 403
        assert first.put(f"{url}/scores", json=scores_of(round_, [True, True, True])).status_code == 200
        assert first.put(f"{url}/scores", json=scores_of(round_, [True, True, True])).status_code == 409
        for actor in (agent, trainee):
            assert actor.get(url).status_code == 403 and actor.get("/api/calibration/rounds").status_code == 403
        bad = first.post("/api/calibration/rounds", json={"title": "x", "case_ids": [round_["cases"][0]["id"], 999999],
                                                          "supervisors": ["sup_zhang", "sup_huang"]})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "case_ids"
        case_ids = [case["id"] for case in round_["cases"]]
        agents = first.post("/api/calibration/rounds", json={"title": "x", "case_ids": case_ids,
                                                             "supervisors": ["sup_zhang", agent.username]})  # fmt: skip
        assert agents.status_code == 422 and agents.json()["detail"][0]["loc"][-1] == "supervisors"
        assert len(first.get("/api/calibration/rounds").json()) == 1
        assert first.get("/api/calibration/rounds/999999").status_code == 404


class TestCalibrationPages:
    def test_start_a_round_score_it_and_read_the_agreement(self, three, agent, submit, approved_case, browser):
        first, second, third = three
        pending = submit(agent, title="页面校准案例")["id"]
        web = browser(first.username)
        page = web.get("/calibration")
        assert page.status_code == 200
        form = {"csrftoken": csrf_from(page.text), "title": "<i>页面</i>校准", "case": [str(pending)],
                "more": f"{approved_case['id']}", "supervisor": [first.username, second.username]}  # fmt: skip
        created = web.post("/calibration", data=form)
        assert created.status_code == 303, created.text
        url = created.headers["location"].split("?")[0]
        round_page = BeautifulSoup(web.get(url).text, "html.parser")
        assert "<i>页面</i>校准" in round_page.select_one("h1").get_text()
        assert len(round_page.select("#score-form .round-case")) == 2
        items = first.get("/api/review/checklist").json()
        marks = {f"score-{case}-{item['id']}": "met" for case in (pending, approved_case["id"]) for item in items}
        missing = dict(marks)
        missing.pop(next(iter(missing)))
        token = csrf_from(web.get(url).text)
        refused = web.post(f"{url}/scores", data={**missing, "csrftoken": token})
        assert refused.status_code == 422 and "请为每个案例的每个项目" in refused.text
        assert web.post(f"{url}/scores", data={**marks, "csrftoken": token}).status_code == 303
        waiting = BeautifulSoup(web.get(url).text, "html.parser")
        assert waiting.select_one("#round-waiting") and not waiting.select_one("#score-form")
        other = browser(second.username)
        other_marks = {
            **marks,
            f"score-{pending}-{items[3]['id']}": "not_met",
            f"note-{pending}-{items[3]['id']}": "缺结果",
        }
        assert (
            other.post(f"{url}/scores", data={**other_marks, "csrftoken": csrf_from(other.get(url).text)}).status_code
            == 303
        )
        done = BeautifulSoup(web.get(url).text, "html.parser")
        assert done.select_one("#round-status").get_text(strip=True) == "已全部打分"
        outcome = done.select_one('#agreement-items tr[data-code="outcome"]')
        assert "50%" in outcome.get_text()  # one case of two agreed
        assert "缺结果" in done.select_one("#disagreements").get_text()
        assert agent.get(f"/api/cases/{pending}").json()["status"] == "pending"
        assert third.username not in [
            m["username"]
            for m in first.get(f"/api{url.replace('/calibration', '/calibration/rounds')}").json()["members"]
        ]

    def test_a_round_without_cases_is_refused_on_the_page(self, three, browser):
        web = browser(three[0].username)
        page = web.get("/calibration")
        response = web.post("/calibration", data={"csrftoken": csrf_from(page.text), "title": "空",
                                                  "supervisor": [three[0].username, three[1].username]})  # fmt: skip
        assert response.status_code == 422 and "请选择 2–20 个存在的案例" in response.text
        assert three[0].get("/api/calibration/rounds").json() == []

    def test_the_pages_are_for_reviewers(self, agent, browser):
        assert browser(agent.username).get("/calibration").status_code == 403
