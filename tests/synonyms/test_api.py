"""/api/search/synonyms, /api/search/pins, /api/search/synonyms/history and /api/search/attention: supervisors'
synonyms and pins work on the very next search, without a restart, and are recorded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import Session, func, select

from heatcases.models import SearchPin, SynonymChange, SynonymGroup
from heatcases.search import text


def found(actor, q: str, **params) -> list[int]:
    response = actor.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


def add_group(actor, *words: str, status: int = 201) -> dict:
    response = actor.post("/api/search/synonyms", json={"words": list(words)})
    assert response.status_code == status, response.text
    return response.json()


def pin(actor, query: str, case_id: int, status: int = 201) -> dict:
    response = actor.post("/api/search/pins", json={"query": query, "case_id": case_id})
    assert response.status_code == status, response.text
    return response.json()


def count(app, model) -> int:
    with Session(app.state.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


class TestSynonymsWorkAtOnce:
    def test_a_word_the_segmenter_cuts_finds_the_case_that_says_its_synonym(self, trainee, supervisor, library):
        assert found(trainee, "强对流天气") == []
        group = add_group(supervisor, "强对流天气", "雷雨")
        assert group["words"] == ["强对流天气", "雷雨"] and group["created_by"] == supervisor.username
        assert found(trainee, "强对流天气") == [library["elderly"]["id"]]
        assert found(trainee, "强对流天气怎么办") == [library["elderly"]["id"]]  # inside a question
        hit = trainee.get("/api/search", params={"q": "强对流天气"}).json()["hits"][0]
        assert "<mark>雷雨</mark>" in hit["snippet"]
        # mutual: the case's own word finds a case that says the new word
        assert found(trainee, "雷雨")[0] == library["elderly"]["id"]

    def test_a_dictionary_word_works_too_and_the_users_word_ranks_first(self, trainee, supervisor, library):
        assert found(trainee, "爆满") == []
        add_group(supervisor, "爆满", "超售")
        assert found(trainee, "爆满") == [library["hotel"]["id"]]

    def test_removing_a_group_stops_it(self, trainee, supervisor, library):
        group = add_group(supervisor, "强对流天气", "雷雨")
        assert found(trainee, "强对流天气") == [library["elderly"]["id"]]
        assert supervisor.delete(f"/api/search/synonyms/{group['id']}").status_code == 204
        assert found(trainee, "强对流天气") == []
        assert supervisor.get("/api/search/synonyms").json()["groups"] == []

    def test_editing_a_group_replaces_its_words(self, trainee, supervisor, library):
        group = add_group(supervisor, "强对流天气", "雷雨")
        response = supervisor.put(f"/api/search/synonyms/{group['id']}", json={"words": ["爆满", "超售"]})
        assert response.status_code == 200, response.text
        assert response.json()["words"] == ["爆满", "超售"]
        assert found(trainee, "强对流天气") == []
        assert found(trainee, "爆满") == [library["hotel"]["id"]]

    def test_traditional_and_upper_case_words_are_stored_as_search_reads_them(self, trainee, supervisor, library):
        group = add_group(supervisor, "強對流天氣", "雷雨", "THUNDERSTORM")
        assert group["words"] == ["强对流天气", "雷雨", "thunderstorm"]
        assert found(trainee, "Thunderstorms") == [library["elderly"]["id"]]  # stemmed like any word

    def test_the_index_and_the_segmenter_are_left_as_they_are(self, trainee, supervisor, library):
        fingerprint = text.dictionary_fingerprint()
        add_group(supervisor, "强对流天气", "雷雨")
        assert found(trainee, "强对流天气")
        assert text.dictionary_fingerprint() == fingerprint
        # indexing cuts it as before
        assert [token.text for token in text.tokens("强对流天气")] == ["强对流", "对流", "天气"]

    def test_the_list_shows_the_shipped_groups_beside_the_supervisors(self, supervisor, admin):
        add_group(supervisor, "强对流天气", "雷雨")
        body = admin.get("/api/search/synonyms").json()
        assert [list(group) for group in text.synonym_groups()] == body["shipped"]
        assert any({"退票", "退款"} <= set(group) for group in body["shipped"])
        assert [group["words"] for group in body["groups"]] == [["强对流天气", "雷雨"]]


class TestPins:
    def test_a_pinned_case_comes_first_once(self, trainee, supervisor, library):
        assert found(trainee, "老人") == [library["elderly"]["id"]]
        created = pin(supervisor, " 老人 ", library["hotel"]["id"])
        assert created["query"] == "老人" and created["case_title"] == library["hotel"]["title"]
        body = trainee.get("/api/search", params={"q": "老人"}).json()
        assert [hit["id"] for hit in body["hits"]] == [library["hotel"]["id"], library["elderly"]["id"]]
        assert [hit["pinned"] for hit in body["hits"]] == [True, False]
        assert body["total"] == 2
        # a pinned case the query finds anyway is shown once
        pin(supervisor, "老人", library["elderly"]["id"])
        body = trainee.get("/api/search", params={"q": "老人"}).json()
        assert [hit["id"] for hit in body["hits"]] == [library["hotel"]["id"], library["elderly"]["id"]]
        assert body["total"] == 2

    def test_pins_keep_to_the_filters_the_relevance_order_and_the_pages(self, trainee, supervisor, library):
        pin(supervisor, "老人", library["hotel"]["id"])
        assert found(trainee, "老人", business_line="flight") == [library["elderly"]["id"]]
        assert found(trainee, "老人", sort="newest") == [library["elderly"]["id"]]
        assert found(trainee, "老人", per_page=1) == [library["hotel"]["id"]]
        assert found(trainee, "老人", per_page=1, page=2) == [library["elderly"]["id"]]
        assert found(trainee, "老人", per_page=1, page=3) == []

    def test_a_pin_whose_case_leaves_the_library_shows_nothing(self, trainee, supervisor, library):
        pin(supervisor, "老人", library["hotel"]["id"])
        assert supervisor.post(f"/api/cases/{library['hotel']['id']}/archive").status_code == 200
        assert found(trainee, "老人") == [library["elderly"]["id"]]
        assert supervisor.get("/api/search/pins").json()["items"][0]["in_library"] is False

    def test_unpinning_puts_the_order_back(self, trainee, supervisor, library):
        created = pin(supervisor, "老人", library["hotel"]["id"])
        assert supervisor.delete(f"/api/search/pins/{created['id']}").status_code == 204
        assert found(trainee, "老人") == [library["elderly"]["id"]]
        assert supervisor.delete(f"/api/search/pins/{created['id']}").status_code == 404

    def test_only_approved_cases_can_be_pinned(self, app, supervisor, agent, submit, library):
        pending = submit(agent, title="等待审核的案例")
        for case_id in (pending["id"], 999999):
            response = supervisor.post("/api/search/pins", json={"query": "老人", "case_id": case_id})
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["body", "case_id"]
            assert "approved" in response.json()["detail"][0]["msg"]
        assert (
            supervisor.post("/api/search/pins", json={"query": "  ", "case_id": library["hotel"]["id"]}).status_code
            == 422
        )
        pin(supervisor, "老人", library["hotel"]["id"])
        pin(supervisor, "老人", library["hotel"]["id"], status=409)
        assert count(app, SearchPin) == 1 and count(app, SynonymChange) == 1


class TestValidation:
    @pytest.mark.parametrize(
        "words",
        [["雷雨"], ["雷雨", " 雷雨 "], ["雷雨", "雷 雨"], ["雷雨", "很" * 21], ["雷雨", "的"], ["雷雨", "", "  "],
         [f"词{n}" for n in range(21)], []],
        ids=["one word", "the same word twice", "a space", "too long", "a stop word", "blanks", "too many", "none"],
    )  # fmt: skip
    def test_a_bad_group_is_refused_naming_the_field_and_nothing_is_written(self, app, supervisor, words):
        response = supervisor.post("/api/search/synonyms", json={"words": words})
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "words"]
        assert count(app, SynonymGroup) == 0 and count(app, SynonymChange) == 0

    def test_the_same_group_twice_is_a_conflict(self, supervisor):
        add_group(supervisor, "强对流天气", "雷雨")
        add_group(supervisor, "雷雨", "强对流天气", status=409)
        add_group(supervisor, "退票", "退款", status=201)  # not the whole of a shipped group: fine
        shipped = text.synonym_groups()[0]
        add_group(supervisor, *shipped, status=409)

    def test_unknown_or_removed_groups_are_404(self, supervisor):
        assert supervisor.put("/api/search/synonyms/999", json={"words": ["a1", "b1"]}).status_code == 404
        group = add_group(supervisor, "强对流天气", "雷雨")
        assert supervisor.delete(f"/api/search/synonyms/{group['id']}").status_code == 204
        assert supervisor.delete(f"/api/search/synonyms/{group['id']}").status_code == 404
        assert (
            supervisor.put(f"/api/search/synonyms/{group['id']}", json={"words": ["雷雨", "雷暴"]}).status_code == 404
        )

    def test_a_bad_edit_leaves_the_group_as_it_was(self, supervisor):
        group = add_group(supervisor, "强对流天气", "雷雨")
        assert supervisor.put(f"/api/search/synonyms/{group['id']}", json={"words": ["雷雨"]}).status_code == 422
        assert supervisor.get("/api/search/synonyms").json()["groups"][0]["words"] == ["强对流天气", "雷雨"]


class TestHistory:
    def test_every_change_is_recorded_with_who_and_what(self, supervisor, admin, library):
        group = add_group(supervisor, "强对流天气", "雷雨")
        admin.put(f"/api/search/synonyms/{group['id']}", json={"words": ["雷暴", "雷雨"]})
        supervisor.delete(f"/api/search/synonyms/{group['id']}")
        created = pin(admin, "老人", library["hotel"]["id"])
        supervisor.delete(f"/api/search/pins/{created['id']}")
        items = admin.get("/api/search/synonyms/history").json()["items"]
        assert [(item["action"], item["actor"]) for item in items] == [
            ("pin_removed", supervisor.username),
            ("pin_added", admin.username),
            ("group_removed", supervisor.username),
            ("group_edited", admin.username),
            ("group_added", supervisor.username),
        ]
        assert items[3]["before"] == {"words": ["强对流天气", "雷雨"]} and items[3]["after"] == {
            "words": ["雷暴", "雷雨"]
        }
        assert items[0]["query"] == "老人" and items[0]["case_id"] == library["hotel"]["id"]
        assert items[0]["before"]["title"] == library["hotel"]["title"]
        assert all(item["group_id"] == group["id"] for item in items[2:])


class TestPermissions:
    CALLS = [
        ("GET", "/api/search/synonyms", None),
        ("POST", "/api/search/synonyms", {"words": ["强对流天气", "雷雨"]}),
        ("PUT", "/api/search/synonyms/1", {"words": ["强对流天气", "雷雨"]}),
        ("DELETE", "/api/search/synonyms/1", None),
        ("GET", "/api/search/pins", None),
        ("POST", "/api/search/pins", {"query": "老人", "case_id": 1}),
        ("DELETE", "/api/search/pins/1", None),
        ("GET", "/api/search/synonyms/history", None),
        ("GET", "/api/search/attention", None),
    ]

    @pytest.mark.parametrize(("method", "path", "body"), CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
    def test_agents_and_trainees_get_403_and_strangers_401(self, app, client, agent, trainee, method, path, body):
        for actor in (agent, trainee):
            assert actor.request(method, path, json=body).status_code == 403
        assert client.request(method, path, json=body).status_code == 401
        assert count(app, SynonymGroup) == 0 and count(app, SearchPin) == 0


class TestAttention:
    def test_zero_result_and_never_opened_queries_with_counts_and_people(
        self, trainee, make_actor, supervisor, library
    ):
        other = make_actor("trainee", "trainee_he")
        for actor in (trainee, trainee, other):
            assert found(actor, "鸭嘴兽") == []
        assert found(trainee, "老人") == [library["elderly"]["id"]]  # shown, never opened
        assert found(other, "酒店")  # shown and opened
        assert trainee.get(f"/api/cases/{library['hotel']['id']}").status_code == 200  # not this user's impression
        assert other.get(f"/api/cases/{library['hotel']['id']}").status_code == 200
        body = supervisor.get("/api/search/attention").json()
        assert body["days"] == 30
        zero = {row["query"]: row for row in body["zero_results"]}
        assert list(zero) == ["鸭嘴兽"]
        assert zero["鸭嘴兽"]["searches"] == 3 and zero["鸭嘴兽"]["users"] == 2
        assert zero["鸭嘴兽"]["usernames"] == sorted([trainee.username, other.username])
        unopened = {row["query"]: row for row in body["not_opened"]}
        assert "老人" in unopened and "酒店" not in unopened
        assert unopened["老人"]["searches"] == 1 and unopened["老人"]["usernames"] == [trainee.username]

    def test_a_fix_shows_in_the_latest_results_and_the_pins(self, trainee, supervisor, library):
        assert found(trainee, "强对流天气") == []
        add_group(supervisor, "强对流天气", "雷雨")
        pin(supervisor, "强对流天气", library["elderly"]["id"])
        assert found(trainee, "强对流天气") == [library["elderly"]["id"]]
        row = supervisor.get("/api/search/attention").json()["zero_results"][0]
        assert row["query"] == "强对流天气" and row["searches"] == 1
        assert row["latest_results"] == 1 and row["pins"] == 1

    def test_days_bound_the_period(self, supervisor):
        assert supervisor.get("/api/search/attention", params={"days": 0}).status_code == 422
        assert supervisor.get("/api/search/attention", params={"days": 7}).json()["days"] == 7


class TestAtOnce:
    def test_supervisors_pinning_the_same_case_at_once_get_one_pin_and_409s(
        self, app, live_server, make_actor, library
    ):
        supervisors = [make_actor("supervisor", f"sup_{n}") for n in range(4)]
        body = {"query": "老人", "case_id": library["hotel"]["id"]}

        def add(actor):
            with httpx.Client(timeout=30) as http:
                return http.post(f"{live_server}/api/search/pins", headers=actor.headers, json=body).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = sorted(pool.map(add, supervisors))
        assert statuses == [201, 409, 409, 409]
        assert count(app, SearchPin) == 1 and count(app, SynonymChange) == 1
