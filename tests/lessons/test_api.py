"""Lessons through the API, as API.md's "Lessons" gives them: fields, validation, review, value at risk."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from heatcases.cli import app as cli
from tests.conftest import case_payload
from tests.lessons.conftest import lesson_payload


def _fields(response) -> set[str]:
    """The fields a 422 names (the first part of each error's location after "body")."""
    return {str(item["loc"][1]) for item in response.json()["detail"]}


class TestSubmitLesson:
    def test_agent_submits_a_lesson_with_every_field(self, agent, submit_lesson):
        case = submit_lesson(agent)
        assert case["kind"] == "lesson" and case["status"] == "pending"
        assert case["lesson"].startswith("出票员在出票时")
        assert case["defect_class"] == "A" and case["defect_kind"] == "fault"
        assert case["servqual"] == ["reliability"] and case["found_by"] == "complaint"
        assert case["partner"] == "长春票台" and case["team"] == "一组"
        assert case["tags"] == ["effortless", "trust"]
        assert case["value_at_risk"] is None  # until approved

    def test_a_lesson_may_name_no_heat_value_and_elements_come_in_servqual_order(self, agent, submit_lesson):
        case = submit_lesson(agent, tags=[], servqual=["tangibles", "reliability", "tangibles"], partner=None)
        assert case["tags"] == [] and case["servqual"] == ["reliability", "tangibles"] and case["partner"] is None

    def test_an_exemplar_carries_the_lesson_fields_as_null(self, agent):
        case = agent.post("/api/cases", json=case_payload(lesson="x" * 30, defect_class="A")).json()
        assert case["kind"] == "exemplar"
        for name in ("lesson", "defect_class", "defect_kind", "servqual", "found_by", "partner", "value_at_risk"):
            assert case[name] is None

    def test_a_lesson_names_another_team_whose_service_it_was(self, agent, make_actor, submit_lesson):
        make_actor("agent", "agent_two", team="二组")
        assert submit_lesson(agent, team="二组")["team"] == "二组"

    def test_personal_data_in_the_lesson_and_partner_is_masked(self, agent, submit_lesson):
        case = submit_lesson(
            agent, lesson="请回电客人 13812345678 说明改签规则，以后先核对再出票。", partner="票台 a@b.com"
        )
        assert "13812345678" not in case["lesson"] and "a@b.com" not in case["partner"]
        assert case["masked"] == ["phone", "email"]

    def test_trainees_cannot_write_lessons(self, trainee):
        assert trainee.post("/api/cases", json=lesson_payload()).status_code == 403


class TestLessonValidation:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("lesson", None),
            ("lesson", "太短了"),
            ("lesson", "长" * 5001),
            ("defect_class", None),
            ("defect_class", "D"),
            ("defect_kind", None),
            ("defect_kind", "mistake"),
            ("servqual", None),
            ("servqual", []),
            ("servqual", ["speed"]),
            ("found_by", None),
            ("found_by", "rumour"),
            ("partner", "票" * 121),
            ("tags", ["loyalty"]),
            ("title", ""),
            ("body", "太短"),
            ("kind", "story"),
        ],
    )
    def test_each_field_is_named_when_it_is_wrong(self, agent, field, value):
        payload = lesson_payload(**{field: value})
        if value is None:
            del payload[field]
        response = agent.post("/api/cases", json=payload)
        assert response.status_code == 422, response.text
        assert field in _fields(response)

    def test_an_unknown_team_is_named(self, agent):
        response = agent.post("/api/cases", json=lesson_payload(team="没有这个组"))
        assert response.status_code == 422 and _fields(response) == {"team"}

    def test_an_exemplar_still_needs_a_heat_value(self, agent):
        response = agent.post("/api/cases", json=case_payload(tags=[]))
        assert response.status_code == 422 and "tags" in _fields(response)


class TestLessonReview:
    def test_review_flow_reject_edit_resubmit_approve(self, agent, supervisor, submit_lesson):
        case = submit_lesson(agent, defect_class="B")
        rejected = supervisor.post(
            f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "写清楚结果"}
        )
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        edited = agent.patch(
            f"/api/cases/{case['id']}", json={"lesson": "票台应先和航空公司确认正确的处理方法，再告知我们联系客人。"}
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["status"] == "pending" and edited.json()["lesson"].startswith("票台应先")
        assert edited.json()["defect_class"] == "B"  # fields not sent keep their value
        approved = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
        assert approved.json()["status"] == "approved" and approved.json()["value_at_risk"] == 2000
        history = agent.get(f"/api/cases/{case['id']}/history").json()
        assert [event["action"] for event in history] == ["submit", "reject", "edit", "approve"]

    def test_an_edit_is_held_to_the_lesson_rules(self, agent, submit_lesson):
        case = submit_lesson(agent)
        response = agent.patch(f"/api/cases/{case['id']}", json={"servqual": []})
        assert response.status_code == 422 and "servqual" in _fields(response)
        response = agent.patch(f"/api/cases/{case['id']}", json={"defect_class": "C", "team": "没有这个组"})
        assert response.status_code == 422 and _fields(response) == {"team"}
        unchanged = agent.get(f"/api/cases/{case['id']}").json()  # a refused edit changes nothing
        assert unchanged["defect_class"] == "A" and unchanged["team"] == "一组"

    def test_an_exemplar_edited_into_a_lesson_needs_its_fields(self, agent, submit):
        case = submit(agent)
        response = agent.patch(f"/api/cases/{case['id']}", json={"kind": "lesson"})
        assert response.status_code == 422 and "lesson" in _fields(response)
        fields = {k: v for k, v in lesson_payload().items() if k not in ("title", "body")}
        response = agent.patch(f"/api/cases/{case['id']}", json=fields)
        assert response.status_code == 200 and response.json()["kind"] == "lesson"

    @pytest.mark.parametrize(("defect_class", "expected"), [("A", 5000), ("B", 2000), ("C", 1000)])
    def test_value_at_risk_with_the_seed_defaults(
        self, agent, supervisor, submit_lesson, approve, defect_class, expected
    ):
        case = submit_lesson(agent, defect_class=defect_class)
        assert approve(supervisor, case["id"])["value_at_risk"] == expected


class TestCustomerValueSettings:
    def test_defaults_are_the_seeds(self, trainee):
        settings = trainee.get("/api/settings/customer-value").json()
        assert settings["shares"] == {"A": 1.0, "B": 0.4, "C": 0.2}
        assert settings["lines"]["vacation"] == {"revenue_per_order": 1000, "orders_per_year": 1, "years": 5}
        assert set(settings["lines"]) == {"flight", "hotel", "vacation", "train", "car", "attraction", "other"}

    def test_admin_changes_a_line_and_a_share_the_rest_keeps_its_values(self, admin):
        change = {
            "lines": {"hotel": {"revenue_per_order": 1200, "orders_per_year": 2, "years": 3}},
            "shares": {"B": 0.5},
        }
        response = admin.put("/api/settings/customer-value", json=change)
        assert response.status_code == 200, response.text
        settings = admin.get("/api/settings/customer-value").json()
        assert settings["lines"]["hotel"] == {"revenue_per_order": 1200, "orders_per_year": 2, "years": 3}
        assert settings["lines"]["flight"]["revenue_per_order"] == 1000
        assert settings["shares"] == {"A": 1.0, "B": 0.5, "C": 0.2}
        history = admin.get("/api/settings/customer-value/history").json()
        assert len(history) == 1 and history[0]["changed_by"] == admin.username

    @pytest.mark.parametrize(
        "change",
        [
            {"lines": {"hotel": {"revenue_per_order": -1, "orders_per_year": 1, "years": 5}}},
            {"lines": {"hotel": {"revenue_per_order": 1000, "years": 5}}},
            {"shares": {"A": -0.1}},
            {"shares": {"A": None}},
        ],
    )
    def test_a_negative_or_missing_number_is_refused_and_nothing_changes(self, admin, change):
        response = admin.put("/api/settings/customer-value", json=change)
        assert response.status_code == 422
        assert admin.get("/api/settings/customer-value/history").json() == []

    def test_only_admins_change_the_settings(self, supervisor):
        assert supervisor.put("/api/settings/customer-value", json={"shares": {"A": 0.9}}).status_code == 403

    def test_changed_settings_price_new_approvals_and_leave_history_alone(
        self, agent, supervisor, admin, submit_lesson, approve
    ):
        before = approve(supervisor, submit_lesson(agent, defect_class="B", business_line="hotel")["id"])
        assert before["value_at_risk"] == 2000
        change = {
            "lines": {"hotel": {"revenue_per_order": 2000, "orders_per_year": 2, "years": 5}},
            "shares": {"B": 0.5},
        }
        assert admin.put("/api/settings/customer-value", json=change).status_code == 200
        after = approve(supervisor, submit_lesson(agent, defect_class="B", business_line="hotel")["id"])
        assert after["value_at_risk"] == 10000  # 2,000 × 2 × 5 × 50 %
        assert supervisor.get(f"/api/cases/{before['id']}").json()["value_at_risk"] == 2000


class TestImport:
    def test_the_archive_may_carry_lessons(self, agent, settings, monkeypatch, tmp_path):
        monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
        rows = [
            lesson_payload(external_id="L1", author="agent_li"),
            lesson_payload(external_id="L2", author="agent_li", lesson="短"),
            lesson_payload(external_id="L3", author="agent_li", team="没有这个组"),
        ]
        path = tmp_path / "archive.jsonl"
        path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["import", str(path)])
        assert result.exit_code == 1, result.output
        assert "line 2: lesson:" in result.output and "line 3: team:" in result.output
        listed = agent.get("/api/cases", params={"kind": "lesson"}).json()
        assert listed["total"] == 1
        case = listed["items"][0]
        assert case["status"] == "approved" and case["servqual"] == ["reliability"] and case["value_at_risk"] == 5000

    def test_csv_separates_elements_with_semicolons(self, agent, settings, monkeypatch, tmp_path):
        monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
        payload = lesson_payload(author="agent_li", servqual="reliability;assurance", tags="trust")
        path = tmp_path / "archive.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(payload))
            writer.writeheader()
            writer.writerow(payload)
        result = CliRunner().invoke(cli, ["import", str(path)])
        assert result.exit_code == 0, result.output
        case = agent.get("/api/cases", params={"kind": "lesson"}).json()["items"][0]
        assert case["servqual"] == ["reliability", "assurance"] and case["tags"] == ["trust"]
