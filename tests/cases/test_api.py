"""The cases API, exactly as API.md specifies it."""

from __future__ import annotations

import pytest

from tests.conftest import case_payload

CASE_KEYS = {
    "id",
    "title",
    "body",
    "tags",
    "behaviors",
    "business_line",
    "channel",
    "occurred_on",
    "praise",
    "status",
    "featured",
    "archived",
    "author",
    "team",
    "views",
    "unique_viewers",
    "created_at",
    "updated_at",
    "review_comment",
    "masked",
    # API.md, "Lessons": every case has a kind; the lesson fields are null on exemplars
    "kind",
    "lesson",
    "defect_class",
    "defect_kind",
    "servqual",
    "found_by",
    "partner",
    "value_at_risk",
}


class TestSubmit:
    def test_agent_submits_a_pending_case_with_every_field(self, agent):
        response = agent.post("/api/cases", json=case_payload())
        assert response.status_code == 201
        case = response.json()
        assert set(case) == CASE_KEYS
        assert case["status"] == "pending"
        assert case["author"] == "agent_li" and case["team"] == "一组"
        assert case["tags"] == ["heartwarming", "active"]
        assert case["behaviors"] == ["empathy", "anticipation"]
        assert case["occurred_on"] == "2026-10-01" and case["praise"] == "letter"
        assert case["featured"] is False and case["archived"] is False
        assert case["views"] == 0 and case["unique_viewers"] == 0 and case["masked"] == []
        assert case["created_at"].endswith("Z") or "+00:00" in case["created_at"]

    def test_optional_fields_default(self, agent):
        response = agent.post(
            "/api/cases",
            json={"title": "简单的案例", "body": "这是一个足够长的案例故事，超过二十个字符。", "tags": ["trust"]},
        )
        assert response.status_code == 201
        case = response.json()
        assert case["behaviors"] == [] and case["occurred_on"] is None and case["praise"] is None
        assert case["business_line"] in {"flight", "hotel", "vacation", "train", "car", "attraction", "other"}
        assert case["channel"] in {"phone", "chat", "email", "onsite"}

    def test_supervisor_and_admin_may_submit(self, supervisor, admin, submit):
        assert submit(supervisor)["author"] == "sup_zhang"
        assert submit(admin)["team"] is None

    def test_trainee_gets_403(self, trainee):
        assert trainee.post("/api/cases", json=case_payload()).status_code == 403

    def test_without_token_401(self, client):
        response = client.post("/api/cases", json=case_payload())
        assert response.status_code == 401
        assert "detail" in response.json()

    def test_tags_are_deduplicated_and_ordered(self, agent, submit):
        case = submit(agent, tags=["trust", "heartwarming", "trust"], behaviors=["integrity"])
        assert case["tags"] == ["heartwarming", "trust"]

    def test_personal_data_is_masked_and_reported(self, agent, submit):
        case = submit(
            agent, title="客人13812345678求助", body="客人留下邮箱 zhang.san@example.com，手机13812345678，想改签。"
        )
        assert "13812345678" not in case["title"] + case["body"]
        assert "zhang.san@example.com" not in case["body"]
        assert case["masked"] == ["phone", "email"]

    def test_text_is_trimmed_and_control_characters_removed(self, agent, submit):
        case = submit(agent, title="  标题\x00带控制符  ", body="\x07" + "这是一个足够长的案例故事，超过二十个字符。")
        assert case["title"] == "标题带控制符"
        assert "\x07" not in case["body"]


class TestValidation:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("title", ""),
            ("title", "   "),
            ("title", "长" * 121),
            ("body", "太短了"),
            ("body", "长" * 20001),
            ("tags", []),
            ("tags", ["kindness"]),
            ("tags", "trust"),
            ("behaviors", ["hugging"]),
            ("behaviors", ["warmth"]),  # belongs to heartwarming, which is not among the tags
            ("business_line", "cruise"),
            ("channel", "pigeon"),
            ("occurred_on", "2026-13-01"),
            ("occurred_on", "2999-01-01"),
            ("praise", "medal"),
        ],
    )
    def test_invalid_field_gets_422_naming_it(self, agent, field, value):
        payload = case_payload(tags=["trust"], behaviors=["integrity"])
        payload[field] = value
        response = agent.post("/api/cases", json=payload)
        assert response.status_code == 422
        fields = {tuple(error["loc"])[-1] for error in response.json()["detail"]}
        assert field in fields or any(field in map(str, error["loc"]) for error in response.json()["detail"])

    def test_missing_required_fields_are_named(self, agent):
        response = agent.post("/api/cases", json={})
        assert response.status_code == 422
        named = {error["loc"][-1] for error in response.json()["detail"]}
        assert {"title", "body", "tags"} <= named

    def test_body_that_is_not_json_gets_422(self, agent):
        response = agent.post("/api/cases", content=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 422

    def test_title_of_exactly_120_and_body_of_20_are_accepted(self, agent):
        response = agent.post("/api/cases", json=case_payload(title="题" * 120, body="字" * 20))
        assert response.status_code == 201

    def test_a_failed_submission_leaves_nothing(self, agent):
        agent.post("/api/cases", json=case_payload(tags=[]))
        assert agent.get("/api/cases?mine=true").json()["total"] == 0


class TestRead:
    def test_author_reads_own_pending_case(self, agent, submit):
        case = submit(agent)
        response = agent.get(f"/api/cases/{case['id']}")
        assert response.status_code == 200 and response.json()["id"] == case["id"]

    @pytest.mark.parametrize("reader", ["trainee", "other_agent"])
    def test_pending_case_is_invisible_to_others(self, request, agent, submit, reader):
        case = submit(agent)
        assert request.getfixturevalue(reader).get(f"/api/cases/{case['id']}").status_code == 404

    def test_supervisor_sees_pending_case(self, agent, supervisor, submit):
        case = submit(agent)
        assert supervisor.get(f"/api/cases/{case['id']}").status_code == 200

    def test_approved_case_is_visible_to_everyone(self, approved_case, trainee, other_agent):
        assert trainee.get(f"/api/cases/{approved_case['id']}").status_code == 200
        assert other_agent.get(f"/api/cases/{approved_case['id']}").status_code == 200

    def test_unknown_case_404(self, agent):
        response = agent.get("/api/cases/999999")
        assert response.status_code == 404 and response.json()["detail"]

    def test_non_numeric_id_422(self, agent):
        assert agent.get("/api/cases/abc").status_code == 422

    def test_rejected_case_is_invisible_to_trainee(self, agent, supervisor, trainee, submit):
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "补充细节"})
        assert trainee.get(f"/api/cases/{case['id']}").status_code == 404


class TestList:
    def test_trainee_lists_only_approved_cases(self, agent, supervisor, trainee, submit, approved_case):
        submit(agent, title="还在审核中的案例")
        body = trainee.get("/api/cases").json()
        assert body["total"] == 1 and [item["id"] for item in body["items"]] == [approved_case["id"]]
        assert body["page"] == 1 and body["per_page"] == 20

    def test_agent_sees_approved_and_own(self, agent, other_agent, submit, approved_case):
        own = submit(other_agent, title="我自己的待审核案例")
        submit(agent, title="别人的待审核案例")
        ids = {item["id"] for item in other_agent.get("/api/cases").json()["items"]}
        assert ids == {own["id"], approved_case["id"]}

    def test_mine_lists_only_own_cases_in_every_state(self, agent, other_agent, submit, approved_case):
        submit(other_agent)
        body = agent.get("/api/cases?mine=true").json()
        assert body["total"] == 1 and body["items"][0]["author"] == "agent_li"

    def test_supervisor_filters_by_status(self, agent, supervisor, submit, approved_case):
        pending = submit(agent, title="待审核")
        body = supervisor.get("/api/cases?status=pending").json()
        assert [item["id"] for item in body["items"]] == [pending["id"]]

    def test_filters_by_tag_business_line_and_featured(self, agent, supervisor, submit):
        ids = {}
        for key, tags, line in [
            ("a", ["trust"], "hotel"),
            ("b", ["trust", "active"], "flight"),
            ("c", ["active"], "hotel"),
        ]:
            case = submit(agent, title=f"案例{key}", tags=tags, behaviors=[], business_line=line)
            supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"})
            ids[key] = case["id"]
        supervisor.post(f"/api/cases/{ids['c']}/feature")

        def listed(query):
            return {item["id"] for item in supervisor.get(f"/api/cases?{query}").json()["items"]}

        assert listed("tag=trust") == {ids["a"], ids["b"]}
        assert listed("tag=trust&tag=active") == {ids["b"]}
        assert listed("business_line=hotel") == {ids["a"], ids["c"]}
        assert listed("featured=true") == {ids["c"]}
        assert listed("featured=false&tag=active") == {ids["b"]}

    def test_pages_newest_first(self, agent, submit):
        created = [submit(agent, title=f"第{i}个案例")["id"] for i in range(5)]
        first = agent.get("/api/cases?mine=true&per_page=2&page=1").json()
        third = agent.get("/api/cases?mine=true&per_page=2&page=3").json()
        assert first["total"] == 5 and [item["id"] for item in first["items"]] == created[::-1][:2]
        assert [item["id"] for item in third["items"]] == [created[0]]

    @pytest.mark.parametrize(
        "query",
        [
            "page=0",
            "per_page=0",
            "per_page=1000",
            "status=lost",
            "tag=kindness",
            "business_line=cruise",
            "featured=maybe",
            "page=abc",
        ],
    )
    def test_bad_parameters_get_422(self, agent, query):
        assert agent.get(f"/api/cases?{query}").status_code == 422


class TestEdit:
    def test_author_edits_rejected_case_back_to_pending(self, agent, supervisor, submit):
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "请补充结果"})
        response = agent.patch(f"/api/cases/{case['id']}", json={"body": case["body"] + "\n补充：客人已顺利到家。"})
        assert response.status_code == 200
        edited = response.json()
        assert edited["status"] == "pending" and edited["body"].endswith("客人已顺利到家。")
        assert edited["title"] == case["title"]

    def test_author_edits_pending_case(self, agent, submit):
        case = submit(agent)
        edited = agent.patch(
            f"/api/cases/{case['id']}", json={"title": "新标题", "tags": ["trust"], "behaviors": ["expertise"]}
        ).json()
        assert edited["title"] == "新标题" and edited["tags"] == ["trust"] and edited["behaviors"] == ["expertise"]

    def test_changing_tags_drops_behaviours_that_no_longer_fit(self, agent, submit):
        case = submit(agent, tags=["heartwarming", "active"], behaviors=["empathy", "anticipation"])
        edited = agent.patch(f"/api/cases/{case['id']}", json={"tags": ["active"]}).json()
        assert edited["behaviors"] == ["anticipation"]

    def test_edit_masks_personal_data_and_keeps_earlier_kinds(self, agent, submit):
        case = submit(agent, body="客人手机13812345678，需要帮助改签航班并安排住宿。")
        edited = agent.patch(f"/api/cases/{case['id']}", json={"title": "客人邮箱 li@example.com"}).json()
        assert "li@example.com" not in edited["title"]
        assert edited["masked"] == ["phone", "email"]

    def test_approved_case_cannot_be_edited(self, agent, approved_case):
        assert agent.patch(f"/api/cases/{approved_case['id']}", json={"title": "改"}).status_code == 409

    def test_only_the_author_edits(self, agent, supervisor, submit):
        case = submit(agent)
        assert supervisor.patch(f"/api/cases/{case['id']}", json={"title": "改"}).status_code == 403

    def test_others_cannot_even_see_it(self, agent, other_agent, submit):
        case = submit(agent)
        assert other_agent.patch(f"/api/cases/{case['id']}", json={"title": "改"}).status_code == 404

    def test_invalid_edit_gets_422_and_changes_nothing(self, agent, submit):
        case = submit(agent)
        assert agent.patch(f"/api/cases/{case['id']}", json={"body": "短"}).status_code == 422
        assert agent.patch(f"/api/cases/{case['id']}", json={"behaviors": ["integrity"]}).status_code == 422
        assert agent.get(f"/api/cases/{case['id']}").json()["body"] == case["body"]


class TestReview:
    def test_supervisor_approves(self, agent, supervisor, submit):
        case = submit(agent)
        response = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": "写得好"})
        assert response.status_code == 200
        assert response.json()["status"] == "approved" and response.json()["review_comment"] == "写得好"

    @pytest.mark.parametrize("comment", [{"comment": "  "}, {"comment": None}, {}])
    def test_reject_needs_a_comment(self, agent, supervisor, submit, comment):
        case = submit(agent)
        response = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", **comment})
        assert response.status_code == 422
        assert any("comment" in error["loc"] for error in response.json()["detail"])
        assert supervisor.get(f"/api/cases/{case['id']}").json()["status"] == "pending"

    def test_approve_needs_no_comment(self, agent, supervisor, submit):
        case = submit(agent)
        response = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"})
        assert response.status_code == 200 and response.json()["review_comment"] is None

    def test_author_sees_the_rejection_comment(self, agent, supervisor, submit):
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "请补充客人的反馈"})
        mine = agent.get("/api/cases?mine=true").json()["items"][0]
        assert mine["status"] == "rejected" and mine["review_comment"] == "请补充客人的反馈"

    def test_only_pending_cases_can_be_reviewed(self, supervisor, approved_case):
        response = supervisor.post(
            f"/api/cases/{approved_case['id']}/review", json={"decision": "reject", "comment": "x"}
        )
        assert response.status_code == 409 and response.json()["detail"]

    @pytest.mark.parametrize("role", ["agent", "trainee"])
    def test_agents_and_trainees_cannot_review(self, make_actor, agent, submit, role):
        case = submit(agent)
        actor = make_actor(role)
        assert actor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"}).status_code == 403

    def test_admin_reviews(self, admin, agent, submit):
        case = submit(agent)
        assert (
            admin.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"}).json()["status"] == "approved"
        )

    def test_unknown_decision_422(self, agent, supervisor, submit):
        case = submit(agent)
        assert supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "maybe"}).status_code == 422

    def test_review_of_unknown_case_404(self, supervisor):
        assert supervisor.post("/api/cases/424242/review", json={"decision": "approve"}).status_code == 404


class TestFeatureAndArchive:
    def test_feature_and_unfeature(self, supervisor, approved_case):
        url = f"/api/cases/{approved_case['id']}/feature"
        assert supervisor.post(url).json()["featured"] is True
        assert supervisor.post(url).json()["featured"] is True  # again: no change, no error
        assert supervisor.delete(url).json()["featured"] is False

    def test_feature_needs_an_approved_case(self, agent, supervisor, submit):
        case = submit(agent)
        assert supervisor.post(f"/api/cases/{case['id']}/feature").status_code == 409
        assert supervisor.delete(f"/api/cases/{case['id']}/feature").status_code == 409

    def test_agent_cannot_feature(self, agent, approved_case):
        assert agent.post(f"/api/cases/{approved_case['id']}/feature").status_code == 403

    def test_archived_case_leaves_listings_but_stays_for_supervisors(self, supervisor, trainee, approved_case):
        supervisor.post(f"/api/cases/{approved_case['id']}/feature")
        archived = supervisor.post(f"/api/cases/{approved_case['id']}/archive").json()
        assert archived["archived"] is True and archived["featured"] is False
        assert trainee.get("/api/cases").json()["total"] == 0
        assert trainee.get(f"/api/cases/{approved_case['id']}").status_code == 404
        assert supervisor.get(f"/api/cases/{approved_case['id']}").status_code == 200
        assert supervisor.post(f"/api/cases/{approved_case['id']}/feature").status_code == 409
        restored = supervisor.delete(f"/api/cases/{approved_case['id']}/archive").json()
        assert restored["archived"] is False
        assert trainee.get("/api/cases").json()["total"] == 1


class TestHistory:
    def test_every_transition_is_recorded(self, agent, supervisor, submit):
        case = submit(agent)
        case_id = case["id"]
        supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "reject", "comment": "请补充"})
        agent.patch(f"/api/cases/{case_id}", json={"title": "补充后的标题"})
        supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve"})
        supervisor.post(f"/api/cases/{case_id}/feature")
        history = agent.get(f"/api/cases/{case_id}/history").json()
        assert [(e["action"], e["from_status"], e["to_status"], e["actor"]) for e in history] == [
            ("submit", None, "pending", "agent_li"),
            ("reject", "pending", "rejected", "sup_zhang"),
            ("edit", "rejected", "pending", "agent_li"),
            ("approve", "pending", "approved", "sup_zhang"),
            ("feature", "approved", "approved", "sup_zhang"),
        ]
        assert history[1]["comment"] == "请补充"
        assert all(event["created_at"] for event in history)

    def test_history_of_invisible_case_404(self, agent, trainee, submit):
        case = submit(agent)
        assert trainee.get(f"/api/cases/{case['id']}/history").status_code == 404
