"""Lessons in search: found by words like every case, filtered and counted by kind, class and element."""

from __future__ import annotations

import pytest

from tests.lessons.conftest import lesson_payload


@pytest.fixture
def library(agent, supervisor, submit, submit_lesson, approve):
    """One exemplar and three lessons (A reliability, B reliability+assurance, C empathy), all approved."""
    approve(supervisor, submit(agent)["id"])
    approve(supervisor, submit_lesson(agent)["id"])
    approve(
        supervisor,
        submit_lesson(
            agent,
            title="客人未取票，票台在航班起飞后才通知",
            defect_class="B",
            servqual=["reliability", "assurance"],
            lesson="票台应在航班起飞前或约定取票时间一过就通知我们客人未取票，而不是起飞以后。",
        )["id"],
    )
    approve(
        supervisor,
        submit_lesson(agent, title="会员积分信息告知错误", defect_class="C", servqual=["empathy"], tags=[])["id"],
    )


class TestSearchLessons:
    def test_words_of_the_lesson_text_find_it(self, trainee, library):
        result = trainee.get("/api/search", params={"q": '"约定取票时间"'}).json()
        assert [hit["title"] for hit in result["hits"]] == ["客人未取票，票台在航班起飞后才通知"]
        assert result["hits"][0]["kind"] == "lesson" and result["hits"][0]["defect_class"] == "B"

    def test_kind_chooses_exemplars_lessons_or_both(self, trainee, library):
        assert trainee.get("/api/search").json()["total"] == 4
        assert trainee.get("/api/search", params={"kind": "lesson"}).json()["total"] == 3
        exemplars = trainee.get("/api/search", params={"kind": "exemplar"}).json()
        assert exemplars["total"] == 1 and exemplars["hits"][0]["kind"] == "exemplar"

    def test_class_and_element_filters(self, trainee, library):
        hits = trainee.get("/api/search", params={"defect_class": "B"}).json()["hits"]
        assert [hit["defect_class"] for hit in hits] == ["B"]
        both = trainee.get("/api/search", params=[("servqual", "reliability"), ("servqual", "assurance")]).json()
        assert both["total"] == 1
        assert trainee.get("/api/search", params={"servqual": "reliability"}).json()["total"] == 2

    def test_facets_count_kind_class_and_element(self, trainee, library):
        facets = trainee.get("/api/search", params={"defect_class": "A"}).json()["facets"]
        assert set(facets) >= {"tags", "business_line", "kind", "defect_class"}
        assert facets["kind"] == {"lesson": 1}
        assert facets["defect_class"] == {"A": 1, "B": 1, "C": 1}  # its own facet counts the other classes
        assert facets["servqual"] == {"reliability": 1}
        everything = trainee.get("/api/search").json()["facets"]
        assert everything["kind"] == {"exemplar": 1, "lesson": 3}

    def test_a_wrong_filter_value_is_a_422_on_the_api_and_ignored_on_the_page(self, trainee, browser, library):
        assert trainee.get("/api/search", params={"defect_class": "Z"}).status_code == 422
        page = browser(trainee.username).get("/search", params={"defect_class": "Z", "kind": "lesson"})
        assert page.status_code == 200

    def test_cases_listing_takes_the_same_filters(self, trainee, library):
        listed = trainee.get("/api/cases", params={"kind": "lesson", "defect_class": "C", "servqual": "empathy"}).json()
        assert listed["total"] == 1 and listed["items"][0]["title"] == "会员积分信息告知错误"

    def test_pending_lessons_are_not_searchable(self, agent, trainee, submit_lesson):
        submit_lesson(agent, **{k: v for k, v in lesson_payload(title="待审核的教训").items() if k == "title"})
        assert trainee.get("/api/search", params={"kind": "lesson"}).json()["total"] == 0
