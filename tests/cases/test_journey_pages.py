"""What the pages do for each journey, in-process on the real app and database: the story in four parts,
drafts kept and masked, the review queue's counts and its JSON answers, reading progress.
(tests/browser drives the same pages in Chromium.)"""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlmodel import Session, select

from heatcases.models import CaseDraft
from tests.conftest import csrf_from

PARTS = {
    "situation": "客人的航班因台风取消，带着两位老人滞留在机场。",
    "action": "我帮客人改签到次日最早的航班，并联系机场酒店安排住宿。",
    "outcome": "客人顺利出行，来信表扬。",
    "takeaway": "先安顿好人，再解决票。",
}
JSON = {"Accept": "application/json"}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def post_form(web, page_url: str, target: str, headers=None, **fields):
    """Post ``fields`` to ``target`` with the CSRF token of the page the form is on."""
    token = csrf_from(web.get(page_url).text)
    return web.post(target, data={"csrftoken": token, **fields}, headers=headers or {})


def new_case(**fields) -> dict:
    return {
        "title": "台风取消航班，帮老人改签",
        **PARTS,
        "tags": ["heartwarming", "active"],
        "behaviors": ["empathy"],
        "business_line": "flight",
        "channel": "phone",
        **fields,
    }


class TestStoryInParts:
    def test_the_form_asks_for_the_four_parts_each_explained(self, agent, browser):
        page = soup(browser("agent_li").get("/cases/new"))
        labels = [page.select_one(f"label[for=f-{code}]").get_text(" ", strip=True) for code in PARTS]
        assert labels == ["1 情况", "2 我的做法", "3 结果", "4 心得"]
        for code in PARTS:
            assert page.select_one(f"#h-{code}").get_text(strip=True)
        assert page.select_one("#mask-preview") and page.select_one("#draft-status")

    def test_the_parts_become_one_story_under_their_markers_and_come_back_apart_to_edit(self, agent, browser):
        web = browser("agent_li")
        response = post_form(web, "/cases/new", "/cases/new", **new_case())
        assert response.status_code == 303
        case_id = int(response.headers["location"].split("/")[2].split("?")[0])
        body = agent.get(f"/api/cases/{case_id}").json()["body"]
        assert body == "\n\n".join(
            [
                f"【情况】{PARTS['situation']}",
                f"【我的做法】{PARTS['action']}",
                f"【结果】{PARTS['outcome']}",
                f"【心得】{PARTS['takeaway']}",
            ]
        )
        edit = soup(web.get(f"/cases/{case_id}/edit"))
        assert {code: edit.select_one(f"#f-{code}").get_text() for code in PARTS} == PARTS
        assert edit.select_one("#f-body") is None

    def test_english_markers_for_an_author_writing_in_english(self, agent, browser):
        web = browser("agent_li")
        web.cookies.set("heat_lang", "en")
        response = post_form(web, "/cases/new", "/cases/new", **new_case(outcome="", takeaway=""))
        case_id = int(response.headers["location"].split("/")[2].split("?")[0])
        body = agent.get(f"/api/cases/{case_id}").json()["body"]
        assert body.startswith("【Situation】") and "\n\n【What I did】" in body and "Outcome" not in body

    def test_a_story_told_without_parts_is_edited_as_one_text(self, agent, submit, browser):
        case = submit(agent, body="客人来电说行李丢了，我一路跟进直到行李送到酒店。")
        edit = soup(browser("agent_li").get(f"/cases/{case['id']}/edit"))
        assert edit.select_one("#f-body").get_text() == "客人来电说行李丢了，我一路跟进直到行李送到酒店。"
        assert edit.select_one("#f-situation") is None

    def test_too_short_a_story_is_named_at_its_first_part_and_kept(self, agent, browser):
        web = browser("agent_li")
        short = new_case(situation="太短", action="", outcome="", takeaway="", tags=[], behaviors=[])
        response = post_form(web, "/cases/new", "/cases/new", **short)
        assert response.status_code == 422
        page = soup(response)
        assert [a.get_text() for a in page.select(".error a")] == [
            "案例经过太短：四个部分合计至少需要 20 字。",
            "请选择 1 到 4 个 HEAT 价值观。",
        ]
        assert page.select_one(".error a")["href"] == "#f-situation"
        assert page.select_one("#f-situation").get_text() == "太短"


class TestDrafts:
    def test_saving_answers_with_what_will_be_masked_and_stores_only_the_masked_text(self, app, agent, browser):
        web = browser("agent_li")
        response = post_form(
            web, "/cases/new", "/cases/new/draft", headers=JSON,
            title="帮客人找回行李", situation="客人手机 13812345678，邮箱 wang@example.com，手机 13812345678。",
        )  # fmt: skip
        assert response.status_code == 200
        answer = response.json()
        assert [(item["label"], item["masked"]) for item in answer["found"]] == [
            ("手机号", "138****5678"),
            ("电子邮箱", "w***@example.com"),
        ]
        assert answer["summary"].startswith("提交后以下 2 处个人信息会被遮盖")
        assert answer["status"].startswith("草稿已保存")
        with Session(app.state.engine) as session:
            draft = session.exec(select(CaseDraft)).one()
        assert "13812345678" not in str(draft.fields) and "138****5678" in draft.fields["situation"]
        assert draft.masked == ["phone", "email"]

    def test_the_form_restores_the_draft_until_the_case_is_submitted(self, agent, browser):
        web = browser("agent_li")
        post_form(web, "/cases/new", "/cases/new/draft", title="写了一半的案例", action="我先安抚了客人",
                  tags=["trust"], business_line="hotel")  # fmt: skip
        page = soup(web.get("/cases/new"))
        assert page.select_one("#f-title")["value"] == "写了一半的案例"
        assert page.select_one("#f-action").get_text() == "我先安抚了客人"
        assert page.select_one("#tag-trust").has_attr("checked")
        assert page.select_one("#f-business_line option[selected]")["value"] == "hotel"
        assert "已恢复您在" in page.select_one(".draft-notice").get_text()

        assert post_form(web, "/cases/new", "/cases/new", **new_case()).status_code == 303
        page = soup(web.get("/cases/new"))
        assert page.select_one(".draft-notice") is None and page.select_one("#f-title")["value"] == ""

    def test_discarding_starts_over(self, agent, browser):
        web = browser("agent_li")
        post_form(web, "/cases/new", "/cases/new/draft", title="不要了")
        response = post_form(web, "/cases/new", "/cases/new/draft/discard")
        assert response.status_code == 303
        page = soup(web.get(response.headers["location"]))
        assert page.select_one("#f-title")["value"] == "" and page.select_one(".flash").get_text() == "草稿已丢弃。"

    def test_a_draft_is_the_authors_own(self, agent, other_agent, browser):
        post_form(browser("agent_li"), "/cases/new", "/cases/new/draft", title="李的草稿")
        page = soup(browser("agent_wang").get("/cases/new"))
        assert page.select_one("#f-title")["value"] == "" and page.select_one(".draft-notice") is None

    def test_an_edit_keeps_its_own_draft(self, agent, supervisor, submit, browser):
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "请补充结果"})
        web = browser("agent_li")
        edit_url = f"/cases/{case['id']}/edit"
        response = post_form(
            web, edit_url, f"/cases/{case['id']}/draft", headers=JSON, **new_case(outcome="补充的结果")
        )
        assert response.status_code == 200
        page = soup(web.get(edit_url))
        assert page.select_one("#f-outcome").get_text() == "补充的结果"
        assert page.select_one(".review-note").get_text(strip=True).endswith("请补充结果")
        assert soup(web.get("/cases/new")).select_one(".draft-notice") is None  # the new-case form has none

    def test_a_script_whose_login_ended_gets_json_not_the_login_page(self, client):
        response = client.post("/cases/new/draft", headers=JSON, data={"title": "x"})
        assert response.status_code in (401, 403)
        assert response.headers["content-type"].startswith("application/json")


class TestReviewQueue:
    def test_counts_per_value_oldest_first_and_a_filter(self, agent, supervisor, submit, browser):
        first = submit(agent, title="第一个", tags=["heartwarming"], behaviors=[])
        second = submit(agent, title="第二个", tags=["heartwarming", "trust"], behaviors=[])
        web = browser("sup_zhang")
        page = soup(web.get("/review"))
        assert page.select_one("#queue-count").get_text() == "2"
        counts = {el["data-count"]: el.get_text() for el in page.select(".filter-chips [data-count]")}
        assert counts == {"all": "2", "heartwarming": "2", "effortless": "0", "active": "0", "trust": "1"}
        assert [card["id"] for card in page.select(".review-card")] == [f"case-{first['id']}", f"case-{second['id']}"]
        assert page.select_one("a[href='/dashboard']")
        assert "J / K" in page.select_one("#keys-help").get_text()
        only_trust = soup(web.get("/review?tag=trust"))
        assert [card["id"] for card in only_trust.select(".review-card")] == [f"case-{second['id']}"]

    def test_a_decision_answers_the_queue_script_in_json(self, agent, supervisor, submit, browser):
        first, second = submit(agent), submit(agent)
        web = browser("sup_zhang")
        response = post_form(web, "/review", f"/cases/{first['id']}/review", headers=JSON, decision="approve_feature")
        assert response.status_code == 200
        # The queue's head follows: how many wait, and how long the oldest has waited.
        assert response.json() == {"message": "案例已设为精选。", "pending": 1, "oldest": "最早的已等待 0 天。"}
        assert supervisor.get(f"/api/cases/{first['id']}").json()["featured"] is True

        refused = post_form(web, "/review", f"/cases/{second['id']}/review", headers=JSON, decision="reject")
        assert refused.status_code == 422 and refused.json()["message"] == "退回案例时必须填写意见。"

        again = post_form(web, "/review", f"/cases/{first['id']}/review", headers=JSON, decision="approve")
        assert again.status_code == 409 and again.json()["message"] == "只有待审核的案例可以通过。"

    def test_without_the_script_the_form_comes_back_to_the_queue(self, agent, supervisor, submit, browser):
        case = submit(agent)
        web = browser("sup_zhang")
        response = post_form(web, "/review", f"/cases/{case['id']}/review", decision="approve", next="/review")
        assert response.status_code == 303 and response.headers["location"] == "/review?msg=flash.approved"


class TestReadingProgress:
    def test_home_and_case_page_show_what_the_trainee_has_read(self, agent, supervisor, trainee, submit, browser):
        ids = []
        for title in ("精选一", "精选二"):
            case = submit(agent, title=title, tags=["heartwarming"], behaviors=[])
            supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": ""})
            supervisor.post(f"/api/cases/{case['id']}/feature")
            ids.append(case["id"])
        web = browser("trainee_xu")
        home = soup(web.get("/"))
        column = home.select_one(".value-heartwarming")
        assert column.select_one(".reading-count").get_text() == "0 / 2 已读"
        assert not column.select(".read-mark")

        case_page = soup(web.get(f"/cases/{ids[0]}"))
        panel = case_page.select_one(".reading-panel")
        assert "1 / 2 已读" in panel.get_text()
        assert panel.select_one(f"a[href='/cases/{ids[1]}']").get_text() == "精选二"

        home = soup(web.get("/"))
        column = home.select_one(".value-heartwarming")
        assert column.select_one(".reading-count").get_text() == "1 / 2 已读"
        read = [li.select_one("a").get_text() for li in column.select(".value-case.is-read")]
        assert read == ["精选一"]
        assert home.select_one(".hero-progress").get_text(strip=True) == "已读精选案例 1 / 2 篇"
