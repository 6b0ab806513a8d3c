"""The case pages, through the real login, CSRF and forms."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.conftest import STORY, case_payload, csrf_from


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def form_data(page, **fields) -> dict:
    return {"csrftoken": csrf_from(page.text), **fields}


class TestSubmitForm:
    def test_form_explains_every_value_and_behaviour(self, agent, browser):
        web = browser("agent_li")
        page = soup(web.get("/cases/new"))
        values = {box["value"] for box in page.select("input[name=tags]")}
        behaviors = {box["value"] for box in page.select("input[name=behaviors]")}
        assert values == {"heartwarming", "effortless", "active", "trust"}
        assert len(behaviors) == 12
        assert page.select_one(".value-heartwarming .help").get_text(strip=True)
        assert "换位思考" in page.select_one(".value-heartwarming").get_text()

    def test_agent_submits_and_sees_the_case_pending_with_masking(self, agent, browser):
        web = browser("agent_li")
        form = web.get("/cases/new")
        data = form_data(
            form,
            title="雨天帮客人提前入住",
            body=STORY + "客人手机13812345678。",
            tags=["heartwarming", "trust"],
            behaviors=["empathy"],
            business_line="hotel",
            channel="phone",
            occurred_on="2026-10-02",
            praise="",
        )
        response = web.post("/cases/new", data=data)
        assert response.status_code == 303
        page = soup(web.get(response.headers["location"]))
        assert page.select_one("h1").get_text(strip=True) == "雨天帮客人提前入住"
        assert page.select_one(".badge-pending")
        assert "13812345678" not in page.select_one(".story").get_text()
        assert "手机号" in page.select_one(".notice").get_text()
        assert page.select_one(".flash")

    def test_invalid_form_is_shown_again_with_every_problem_and_the_text_kept(self, agent, browser):
        web = browser("agent_li")
        form = web.get("/cases/new")
        response = web.post("/cases/new", data=form_data(form, title="", body="太短", tags=[]))
        assert response.status_code == 422
        page = soup(response)
        problems = [a["href"] for a in page.select(".error a")]
        assert problems == ["#f-title", "#f-body", "#f-tags", "#f-business_line"]  # the line is a choice to make
        assert page.select_one("#f-body").get_text() == "太短"
        assert agent.get("/api/cases?mine=true").json()["total"] == 0

    def test_a_story_too_long_names_the_part_and_by_how_much_and_marks_it_alone(self, agent, browser):
        web = browser("agent_li")
        form = web.get("/cases/new")
        pasted = "长" * 30000
        data = form_data(form, title="很长的一段经过", situation=pasted, action="我先安抚客人，再改签航班。",
                         tags=["heartwarming"], business_line="flight", channel="phone")  # fmt: skip
        response = web.post("/cases/new", data=data)
        assert response.status_code == 422
        page = soup(response)
        (problem,) = page.select("#form-errors li")
        # 30,000 + 13 characters, the markers 【情况】 and 【我的做法】 and the blank line between: 10,025 over
        assert problem.get_text(strip=True) == "案例经过最多 20000 字，现在多了 10025 字：请删减“情况”部分。"
        assert problem.a["href"] == "#f-situation"
        assert [part.textarea["id"] for part in page.select(".story-part.has-error")] == ["f-situation"]
        assert page.select_one("#f-situation").get_text() == pasted  # kept whole to shorten, not cut
        assert page.select_one("#c-situation").get_text(strip=True) == "30000 字"
        assert agent.get("/api/cases?mine=true").json()["total"] == 0

    def test_the_business_line_is_a_choice_not_a_default(self, agent, browser):
        web = browser("agent_li")
        form = web.get("/cases/new")
        chosen = soup(form).select_one("#f-business_line option[selected]")
        assert chosen["value"] == "" and chosen.get_text() == "请选择业务线"
        data = form_data(form, title="雨天帮客人提前入住", situation=STORY, tags=["trust"], channel="phone")
        response = web.post("/cases/new", data=data)
        assert response.status_code == 422
        assert [a.get_text() for a in soup(response).select("#form-errors a")] == ["请选择业务线。"]

    def test_form_without_csrf_token_is_refused(self, agent, browser):
        web = browser("agent_li")
        response = web.post("/cases/new", data={"title": "t", "body": STORY, "tags": ["trust"]})
        assert response.status_code == 403
        assert agent.get("/api/cases?mine=true").json()["total"] == 0

    def test_trainee_cannot_open_the_form(self, trainee, browser):
        web = browser("trainee_xu")
        assert web.get("/cases/new").status_code == 403

    def test_author_edits_a_rejected_case_from_the_page(self, agent, supervisor, submit, browser):
        case = submit(agent)
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "请补充结果"})
        web = browser("agent_li")
        form = web.get(f"/cases/{case['id']}/edit")
        page = soup(form)
        assert "请补充结果" in page.select_one(".review-note").get_text()
        assert page.select_one("#f-title")["value"] == case["title"]
        assert {box["value"] for box in page.select("input[name=tags][checked]")} == set(case["tags"])
        data = form_data(
            form,
            title="补充了结果的案例",
            body=case["body"],
            tags=case["tags"],
            behaviors=case["behaviors"],
            business_line="flight",
            channel="phone",
            occurred_on=case["occurred_on"],
            praise="letter",
        )
        assert web.post(f"/cases/{case['id']}/edit", data=data).status_code == 303
        assert agent.get(f"/api/cases/{case['id']}").json()["status"] == "pending"


class TestMyCases:
    def test_shows_status_and_review_comments(self, agent, supervisor, submit, browser):
        case = submit(agent, title="被退回的案例")
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "缺少结果"})
        submit(agent, title="待审核的案例")
        page = soup(browser("agent_li").get("/cases/mine"))
        titles = [a.get_text(strip=True) for a in page.select(".card-title a")]
        assert titles == ["待审核的案例", "被退回的案例"]
        assert page.select_one(".badge-rejected") and page.select_one(".badge-pending")
        assert "缺少结果" in page.select_one(".review-note").get_text()
        # A rejected case offers the way back from where the author reads the comment (and only that one).
        edits = [a["href"] for a in page.select(".card a.button")]
        assert (
            edits == [f"/cases/{case['id']}/edit"] and page.select_one(".card a.button").get_text() == "修改并重新提交"
        )


class TestReviewQueue:
    def test_oldest_first_with_approve_and_reject(self, agent, supervisor, submit, browser):
        first = submit(agent, title="先提交的")
        second = submit(agent, title="后提交的")
        web = browser("sup_zhang")
        queue = web.get("/review")
        page = soup(queue)
        assert [a.get_text(strip=True) for a in page.select(".card-title a")] == ["先提交的", "后提交的"]
        assert page.select_one(".count").get_text(strip=True) == "2"
        response = web.post(f"/cases/{first['id']}/review", data=form_data(queue, decision="approve", next="/review"))
        assert response.status_code == 303 and response.headers["location"].startswith("/review")
        response = web.post(
            f"/cases/{second['id']}/review", data=form_data(queue, decision="reject", comment="", next="/review")
        )
        assert response.status_code == 422
        response = web.post(f"/cases/{second['id']}/review", data=form_data(queue, decision="reject", comment="请补充"))
        assert response.status_code == 303
        assert supervisor.get(f"/api/cases/{first['id']}").json()["status"] == "approved"
        assert supervisor.get(f"/api/cases/{second['id']}").json()["review_comment"] == "请补充"
        assert soup(web.get("/review")).select_one(".empty")

    def test_approve_and_feature_in_one_step(self, agent, supervisor, submit, browser):
        case = submit(agent)
        web = browser("sup_zhang")
        queue = web.get("/review")
        web.post(f"/cases/{case['id']}/review", data=form_data(queue, decision="approve_feature", next="/review"))
        assert supervisor.get(f"/api/cases/{case['id']}").json()["featured"] is True

    def test_a_review_already_done_by_someone_else_shows_a_clear_409(self, agent, supervisor, submit, browser):
        case = submit(agent)
        web = browser("sup_zhang")
        queue = web.get("/review")
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"})
        response = web.post(f"/cases/{case['id']}/review", data=form_data(queue, decision="approve"))
        assert response.status_code == 409
        assert soup(response).select_one(".error-code").get_text(strip=True) == "409"

    def test_agents_and_trainees_get_403(self, agent, trainee, browser):
        assert browser("agent_li").get("/review").status_code == 403
        assert browser("trainee_xu").get("/review").status_code == 403


class TestCasePage:
    def test_shows_values_behaviours_and_history(self, agent, approved_case, trainee, browser):
        page = soup(browser("trainee_xu").get(f"/cases/{approved_case['id']}"))
        chips = [chip.get_text(strip=True) for chip in page.select(".chips .chip")]
        assert any("用心" in chip for chip in chips) and any("换位思考" in chip for chip in chips)
        history = [item.get_text(" ", strip=True) for item in page.select(".timeline li")]
        # People by their names, as everywhere else on the page.
        assert len(history) == 2 and "李客服 提交" in history[0] and "张主管 通过" in history[1]
        assert not page.select(".actions-panel")

    def test_opening_the_page_counts_a_view(self, approved_case, trainee, browser):
        browser("trainee_xu").get(f"/cases/{approved_case['id']}")
        assert trainee.get(f"/api/cases/{approved_case['id']}").json()["unique_viewers"] == 1

    def test_supervisor_features_and_archives_from_the_page(self, approved_case, supervisor, browser):
        web = browser("sup_zhang")
        page = web.get(f"/cases/{approved_case['id']}")
        web.post(f"/cases/{approved_case['id']}/feature", data=form_data(page, featured="1"))
        assert supervisor.get(f"/api/cases/{approved_case['id']}").json()["featured"] is True
        web.post(f"/cases/{approved_case['id']}/archive", data=form_data(page, archived="1"))
        assert supervisor.get(f"/api/cases/{approved_case['id']}").json()["archived"] is True

    def test_pending_case_of_another_is_404(self, agent, submit, other_agent, browser):
        case = submit(agent)
        response = browser("agent_wang").get(f"/cases/{case['id']}")
        assert response.status_code == 404
        assert soup(response).select_one(".error-code").get_text(strip=True) == "404"

    def test_user_text_is_escaped(self, agent, supervisor, submit, browser):
        case = submit(agent, title="<script>alert('x')</script>标题", body=STORY + "<img src=x onerror=alert(1)>")
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"})
        response = browser("sup_zhang").get(f"/cases/{case['id']}")
        assert "<script>alert" not in response.text and "&lt;script&gt;" in response.text
        assert "<img src=x" not in response.text
        assert not soup(response).select(".story img")


class TestLibraryAndFeatured:
    def test_featured_page_groups_by_value(self, approved_case, supervisor, trainee, browser):
        supervisor.post(f"/api/cases/{approved_case['id']}/feature")
        page = soup(browser("trainee_xu").get("/featured"))
        section = page.select_one(".value-section.value-heartwarming")
        assert approved_case["title"] in section.get_text()
        assert page.select_one(".value-section.value-trust .empty")

    def test_library_filters_by_value(self, agent, supervisor, submit, trainee, browser):
        for title, tags in [("信赖的案例", ["trust"]), ("主动的案例", ["active"])]:
            case = submit(agent, title=title, tags=tags, behaviors=[])
            supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve"})
        page = soup(browser("trainee_xu").get("/cases?tag=trust"))
        assert [a.get_text(strip=True) for a in page.select(".card-title a")] == ["信赖的案例"]

    def test_home_shows_featured_per_value_and_latest(self, approved_case, supervisor, trainee, browser):
        supervisor.post(f"/api/cases/{approved_case['id']}/feature")
        page = soup(browser("trainee_xu").get("/"))
        assert approved_case["title"] in page.select_one(".value-column.value-heartwarming").get_text()
        assert page.select(".cards .card")


class TestLanguage:
    def test_chinese_by_default_and_english_on_switch(self, trainee, browser):
        web = browser("trainee_xu")
        assert soup(web.get("/featured")).select_one("h1").get_text(strip=True) == "精选案例"
        switch = web.get("/lang/en?next=/featured")
        assert switch.status_code == 303 and switch.headers["location"] == "/featured"
        page = soup(web.get("/featured"))
        assert page.select_one("h1").get_text(strip=True) == "Featured cases"
        assert page.html["lang"] == "en"

    def test_switch_never_redirects_off_site(self, client):
        response = client.get("/lang/en?next=//evil.example.com/", follow_redirects=False)
        assert response.headers["location"] == "/"


def test_case_payload_helper_matches_api(agent):
    assert agent.post("/api/cases", json=case_payload()).status_code == 201
