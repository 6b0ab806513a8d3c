"""The review checklist: the default set, admins' editing with its history, refusals."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.conftest import csrf_from

DEFAULT_CODES = ["situation", "behavior", "concrete", "outcome", "takeaway", "privacy", "plain_language"]


def _codes(actor, **params) -> list[str]:
    response = actor.get("/api/review/checklist", params=params)
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()]


class TestDefaults:
    def test_the_default_set_comes_from_the_product_in_both_languages(self, agent):
        items = agent.get("/api/review/checklist").json()
        assert [item["code"] for item in items] == DEFAULT_CODES
        assert [item["position"] for item in items] == [1, 2, 3, 4, 5, 6, 7]
        assert items[5]["label_zh"] == "没有遗留个人信息" and items[5]["label_en"] == "No personal data left"


class TestEditing:
    def test_add_reword_retire_restore_move_each_kept_in_the_history(self, admin):
        added = admin.post(
            "/api/review/checklist", json={"label_zh": "标题概括了故事", "label_en": "The title sums it up"}
        )
        assert added.status_code == 201, added.text
        item = added.json()
        assert item["code"] == f"item-{item['id']}" and item["position"] == 8
        reworded = admin.patch(f"/api/review/checklist/{item['id']}", json={"label_en": "The title tells the story"})
        assert reworded.json()["label_en"] == "The title tells the story"
        assert reworded.json()["label_zh"] == "标题概括了故事"
        situation = admin.get("/api/review/checklist").json()[0]
        assert admin.patch(f"/api/review/checklist/{situation['id']}", json={"active": False}).json()["active"] is False
        assert "situation" not in _codes(admin)
        assert _codes(admin, include_retired=True)[-1] == "situation"  # retired items stay, after those in force
        moved = admin.patch(f"/api/review/checklist/{item['id']}", json={"position": 1})
        assert moved.json()["position"] == 1
        assert _codes(admin)[:2] == [item["code"], "behavior"]
        restored = admin.patch(f"/api/review/checklist/{situation['id']}", json={"active": True}).json()
        assert restored["active"] and _codes(admin)[-1] == "situation"

        history = admin.get("/api/review/checklist/history").json()
        assert [change["action"] for change in history] == ["restored", "moved", "retired", "reworded", "added"]
        assert history[3]["before"]["label_en"] == "The title sums it up"
        assert history[3]["after"]["label_en"] == "The title tells the story"
        assert {change["actor"] for change in history} == {admin.username}

    def test_a_tenth_item_in_force_is_refused_and_nothing_is_added(self, admin):
        for number in (8, 9):
            assert (
                admin.post(
                    "/api/review/checklist", json={"label_zh": f"第{number}项", "label_en": f"Item {number}"}
                ).status_code
                == 201
            )
        response = admin.post("/api/review/checklist", json={"label_zh": "第十项", "label_en": "Item 10"})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "label_zh"
        assert len(_codes(admin)) == 9
        assert len(admin.get("/api/review/checklist/history").json()) == 2

    def test_blank_wording_is_refused(self, admin):
        item = admin.get("/api/review/checklist").json()[0]
        assert admin.patch(f"/api/review/checklist/{item['id']}", json={"label_zh": "  "}).status_code == 422
        assert admin.post("/api/review/checklist", json={"label_zh": "只有中文"}).status_code == 422
        assert admin.get("/api/review/checklist").json()[0]["label_zh"] == item["label_zh"]

    def test_only_admins_edit_and_read_the_history(self, supervisor, agent, admin):
        item = admin.get("/api/review/checklist").json()[0]
        for actor in (supervisor, agent):
            assert actor.post("/api/review/checklist", json={"label_zh": "甲", "label_en": "A"}).status_code == 403
            assert actor.patch(f"/api/review/checklist/{item['id']}", json={"active": False}).status_code == 403
            assert actor.get("/api/review/checklist/history").status_code == 403
        assert admin.patch("/api/review/checklist/999999", json={"active": False}).status_code == 404
        assert _codes(admin) == DEFAULT_CODES


class TestChecklistPage:
    def test_an_admin_adds_and_rewords_through_the_page_and_sees_the_history(self, admin, browser):
        web = browser(admin.username)
        page = web.get("/admin/checklist")
        assert page.status_code == 200
        token = csrf_from(page.text)
        added = web.post(
            "/admin/checklist", data={"label_zh": "<b>标题</b>概括故事", "label_en": "Title", "csrftoken": token}
        )
        assert added.status_code == 303
        soup = BeautifulSoup(web.get("/admin/checklist").text, "html.parser")
        assert len(soup.select("#checklist-items > li")) == 8
        assert (
            soup.select("#checklist-items > li")[-1].select_one("input[name=label_zh]")["value"]
            == "<b>标题</b>概括故事"
        )
        assert "<b>标题</b>" not in web.get("/admin/checklist").text  # escaped
        assert "新增了" in soup.select_one("#checklist-history li").get_text()
        item_id = admin.get("/api/review/checklist").json()[0]["id"]
        bad = web.post(f"/admin/checklist/{item_id}", data={"label_zh": "", "label_en": "x", "csrftoken": token})
        assert bad.status_code == 422 and "请填写中英文措辞" in bad.text
        retired = web.post(f"/admin/checklist/{item_id}/active", data={"active": "0", "csrftoken": token})
        assert retired.status_code == 303
        assert "situation" not in _codes(admin)

    def test_the_page_is_for_admins_only(self, supervisor, browser):
        assert browser(supervisor.username).get("/admin/checklist").status_code == 403
