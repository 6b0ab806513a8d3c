"""A review with its checklist: stored with the decision, read back by the author as feedback (API and case page),
compared with the review before after a resubmission; refusals leave nothing behind."""

from __future__ import annotations

from bs4 import BeautifulSoup

from heatcases.templating import LANG_COOKIE
from tests.conftest import csrf_from


def _items(actor) -> dict[str, int]:
    return {item["code"]: item["id"] for item in actor.get("/api/review/checklist").json()}


def _review(supervisor, case_id, decision, comment="", **marks):
    ids = _items(supervisor)
    checklist = [{"item_id": ids[code], "met": met, "note": note} for code, (met, note) in marks.items()]
    return supervisor.post(
        f"/api/cases/{case_id}/review", json={"decision": decision, "comment": comment, "checklist": checklist}
    )


class TestReviewWithChecklist:
    def test_approving_with_items_not_met_is_kept_and_the_author_reads_it(self, agent, supervisor, submit):
        case = submit(agent)
        response = _review(
            supervisor, case["id"], "approve", "可以通过",
            situation=(True, None), outcome=(False, "结果请写具体：客人回电13812345678"), takeaway=(True, "好"),
        )  # fmt: skip
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "approved"
        reviews = agent.get(f"/api/cases/{case['id']}/reviews").json()
        assert len(reviews) == 1
        review = reviews[0]
        assert review["decision"] == "approve" and review["reviewer"] == supervisor.username
        assert (review["met"], review["not_met"]) == (2, 1)
        marks = {mark["code"]: mark for mark in review["checklist"]}
        assert len(marks) == 7  # every item in force is recorded, the unmarked ones as not assessed
        assert (
            marks["outcome"]["met"] is False and marks["situation"]["met"] is True and marks["privacy"]["met"] is None
        )
        assert "13812345678" not in marks["outcome"]["note"] and marks["outcome"]["note"].startswith("结果请写具体")
        assert review["after_resubmission"] is False

    def test_the_old_payload_without_a_checklist_still_reviews(self, agent, supervisor, submit):
        case = submit(agent)
        response = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
        assert response.status_code == 200
        review = supervisor.get(f"/api/cases/{case['id']}/reviews").json()[0]
        assert (review["met"], review["not_met"]) == (0, 0) and len(review["checklist"]) == 7

    def test_after_a_resubmission_the_author_sees_what_changed(self, agent, supervisor, submit):
        case = submit(agent)
        assert _review(supervisor, case["id"], "reject", "请补充结果", situation=(True, None),
                       outcome=(False, "没有写结果")).status_code == 200  # fmt: skip
        edited = agent.patch(f"/api/cases/{case['id']}", json={"title": "台风取消航班：改签、住宿，客人来信表扬"})
        assert edited.json()["status"] == "pending"
        assert (
            _review(supervisor, case["id"], "approve", "", situation=(True, None), outcome=(True, None)).status_code
            == 200
        )
        first, second = agent.get(f"/api/cases/{case['id']}/reviews").json()
        assert first["decision"] == "reject" and second["decision"] == "approve"
        assert second["after_resubmission"] is True
        marks = {mark["code"]: mark for mark in second["checklist"]}
        assert marks["outcome"]["changed"] and marks["outcome"]["previous_met"] is False and marks["outcome"]["met"]
        assert not marks["situation"]["changed"]

    def test_an_item_not_in_force_is_refused_and_the_case_stays_pending(self, agent, supervisor, admin, submit):
        case = submit(agent)
        retired = _items(admin)["situation"]
        admin.patch(f"/api/review/checklist/{retired}", json={"active": False})
        response = supervisor.post(
            f"/api/cases/{case['id']}/review",
            json={"decision": "approve", "checklist": [{"item_id": retired, "met": True}]},
        )
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "checklist"
        assert supervisor.get(f"/api/cases/{case['id']}").json()["status"] == "pending"
        assert supervisor.get(f"/api/cases/{case['id']}/reviews").json() == []

    def test_reviews_are_for_the_author_and_reviewers(self, agent, other_agent, trainee, supervisor, approved_case):
        url = f"/api/cases/{approved_case['id']}/reviews"
        assert trainee.get(url).status_code == 403
        assert other_agent.get(url).status_code == 403
        assert agent.get(url).status_code == 200 and supervisor.get(url).status_code == 200
        assert trainee.get("/api/cases/999999/reviews").status_code == 404


class TestReviewPages:
    def test_the_queue_form_carries_the_checklist_and_the_author_sees_the_feedback(self, agent, supervisor, submit,
                                                                                  browser):  # fmt: skip
        case = submit(agent)
        web = browser(supervisor.username)
        queue = BeautifulSoup(web.get("/review").text, "html.parser")
        card = queue.select_one(f"#case-{case['id']}")
        items = card.select(".checklist-item")
        assert [item["data-key"] for item in items] == ["1", "2", "3", "4", "5", "6", "7"]
        assert len(card.select("input[type=radio]")) == 21
        ids = _items(supervisor)
        form = {
            "csrftoken": csrf_from(web.get("/review").text), "decision": "reject", "comment": "请写清结果",
            f"mark-{ids['situation']}": "met", f"mark-{ids['outcome']}": "not_met",
            f"note-{ids['outcome']}": "<script>结果不明确</script>", f"mark-{ids['privacy']}": "",
        }  # fmt: skip
        answer = web.post(f"/cases/{case['id']}/review", data=form, headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.text
        author_page = browser(agent.username).get(f"/cases/{case['id']}")
        feedback = BeautifulSoup(author_page.text, "html.parser").select_one("#review-feedback")
        assert "达标 1 项 · 未达标 1 项" in feedback.get_text()
        outcome = feedback.select_one('[data-code="outcome"]')
        assert outcome.select_one(".mark-not-met") and "<script>结果不明确</script>" in outcome.get_text()
        assert "<script>结果不明确" not in author_page.text  # escaped

    def test_a_note_too_long_is_refused_on_the_case_page(self, agent, supervisor, submit, browser):
        case = submit(agent)
        web = browser(supervisor.username)
        item = _items(supervisor)["outcome"]
        token = csrf_from(web.get(f"/cases/{case['id']}").text)
        response = web.post(f"/cases/{case['id']}/review", data={"csrftoken": token, "decision": "approve",
                            f"mark-{item}": "not_met", f"note-{item}": "长" * 501})  # fmt: skip
        assert response.status_code == 422 and "备注最多 500 字" in response.text
        assert supervisor.get(f"/api/cases/{case['id']}").json()["status"] == "pending"

    def test_the_english_page_shows_the_english_wording(self, agent, supervisor, submit, browser):
        case = submit(agent)
        _review(supervisor, case["id"], "approve", "", takeaway=(True, None))
        web = browser(agent.username)
        web.cookies.set(LANG_COOKIE, "en")
        page = web.get(f"/cases/{case['id']}")
        feedback = BeautifulSoup(page.text, "html.parser").select_one("#review-feedback")
        assert "There is a takeaway for others" in feedback.get_text() and "1 met · 0 not met" in feedback.get_text()

    def test_the_edit_form_shows_the_checklist_of_the_rejection(self, agent, supervisor, submit, browser):
        case = submit(agent)
        _review(supervisor, case["id"], "reject", "请补充结果", outcome=(False, "缺少结果"))
        form = BeautifulSoup(browser(agent.username).get(f"/cases/{case['id']}/edit").text, "html.parser")
        feedback = form.select_one("#review-feedback")
        assert "缺少结果" in feedback.select_one('[data-code="outcome"]').get_text()
        assert feedback.select_one('[data-code="outcome"] .mark-not-met')
