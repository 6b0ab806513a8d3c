"""Lesson pages: the guided form, the lesson page (class and value at risk, "how it should have gone"), the list
of lessons, the search page's kind choice, the customer-value settings page, the dashboard section."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.conftest import csrf_from

FORM = {
    "title": "客户信用卡担保订单，机场改为信用卡支付未联系我们",
    "happened": "客人信用卡担保订单，要求机场取票。取票时表示现金不够改信用卡支付，机场员工没有联系我们就答应了。",
    "result": "信用卡扣款失败，客人联系不上，没有收到此机票票款。",
    "lesson": "客人要求更改支付方式必须先联系我们，不能在没有收到票款的情况下将机票交给客人。",
    "defect_class": "B",
    "defect_kind": "hazard",
    "servqual": ["reliability", "responsiveness"],
    "found_by": "feedback",
    "partner": "机场柜台",
    "tags": ["trust"],
    "business_line": "flight",
    "channel": "onsite",
}


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _post_form(web, url: str, **changes):
    token = csrf_from(web.get(url).text)
    return web.post(url, data={**FORM, **changes, "csrftoken": token})


class TestLessonForm:
    def test_the_form_guides_the_writer(self, agent, browser):
        page = _soup(browser(agent.username).get("/lessons/new"))
        labels = [label.get_text(" ", strip=True) for label in page.select(".story-part label")]
        assert labels[0].endswith("经过") and labels[1].endswith("结果") and labels[2].endswith("教训")
        helps = page.select("#f-defect_class .help")
        assert any("价格错" in help.get_text() for help in helps)  # the seed's examples
        assert len(page.select("input[name=servqual]")) == 5
        assert len(page.select("input[name=defect_class]")) == 3

    def test_submitting_stores_a_lesson_and_shows_its_page(self, agent, browser):
        web = browser(agent.username)
        response = _post_form(web, "/lessons/new")
        assert response.status_code == 303, response.text
        case_url = response.headers["location"].split("?")[0]
        case = agent.get("/api" + case_url).json()
        assert (
            case["kind"] == "lesson"
            and case["defect_class"] == "B"
            and case["servqual"] == ["reliability", "responsiveness"]
        )
        assert case["body"].startswith("【经过】客人信用卡担保订单") and "【结果】信用卡扣款失败" in case["body"]
        page = _soup(web.get(case_url))
        assert "B 类" in page.select_one(".lesson-class").get_text()
        assert "审核通过后计算" in page.select_one(".lesson-value").get_text()
        assert page.select_one(".lesson-text .story").get_text().startswith("客人要求更改支付方式")

    def test_every_problem_is_named_and_what_was_typed_is_kept(self, agent, browser):
        response = _post_form(browser(agent.username), "/lessons/new", lesson="太短", servqual=[], defect_class="")
        assert response.status_code == 422
        page = _soup(response)
        links = [a["href"] for a in page.select("#form-errors a")]
        assert links == ["#f-lesson", "#f-defect_class", "#f-servqual"]
        assert page.select_one("#f-title")["value"] == FORM["title"]

    def test_a_text_too_long_names_its_part_and_the_business_line_is_a_choice(self, agent, browser):
        response = _post_form(browser(agent.username), "/lessons/new", happened="长" * 25000, business_line="")
        assert response.status_code == 422
        page = _soup(response)
        problems = [(a["href"], a.get_text(strip=True)) for a in page.select("#form-errors a")]
        assert [href for href, _text in problems] == ["#f-happened", "#f-business_line"]
        assert "“经过”" in problems[0][1] and "多了" in problems[0][1]
        assert [part.textarea["id"] for part in page.select(".story-part.has-error")] == ["f-happened"]
        assert page.select_one("#f-happened").get_text() == "长" * 25000  # kept whole to shorten
        assert agent.get("/api/cases?mine=true").json()["total"] == 0

    def test_an_unknown_team_is_named(self, agent, browser):
        response = _post_form(browser(agent.username), "/lessons/new", team="没有这个组")
        assert response.status_code == 422 and [a["href"] for a in _soup(response).select("#form-errors a")] == [
            "#f-team"
        ]

    def test_edit_a_rejected_lesson_and_resubmit(self, agent, supervisor, browser):
        web = browser(agent.username)
        case_id = int(_post_form(web, "/lessons/new").headers["location"].split("?")[0].rsplit("/", 1)[1])
        supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "reject", "comment": "结果写得不清楚"})
        assert web.get(f"/cases/{case_id}/edit").headers["location"] == f"/lessons/{case_id}/edit"
        form = _soup(web.get(f"/lessons/{case_id}/edit"))
        assert form.select_one("#f-happened").get_text().startswith("客人信用卡担保订单")
        assert form.select_one("input[name=defect_class][value=B]").has_attr("checked")
        response = _post_form(web, f"/lessons/{case_id}/edit", defect_class="A", tags=[])
        assert response.status_code == 303, _soup(response).select_one("#form-errors")
        case = agent.get(f"/api/cases/{case_id}").json()
        assert case["status"] == "pending" and case["defect_class"] == "A" and case["tags"] == []

    def test_trainees_cannot_open_the_form(self, trainee, browser):
        assert browser(trainee.username).get("/lessons/new").status_code == 403


class TestLessonPage:
    def test_value_at_risk_and_how_it_should_have_gone(
        self, agent, supervisor, trainee, browser, submit, submit_lesson, approve
    ):
        exemplar = approve(
            supervisor, submit(agent, tags=["trust"], behaviors=[], title="帮客人核对证件，避免误机")["id"]
        )
        lesson = approve(supervisor, submit_lesson(agent, tags=["trust"])["id"])
        page = _soup(browser(trainee.username).get(f"/cases/{lesson['id']}"))
        assert "5,000 元" in page.select_one(".lesson-value").get_text()
        links = [a["href"] for a in page.select(".should-have-gone a")]
        assert f"/cases/{exemplar['id']}" in links and "/search?kind=exemplar&tag=trust" in links

    def test_user_text_is_escaped(self, agent, supervisor, browser, submit_lesson, approve):
        lesson = approve(supervisor, submit_lesson(agent, partner="<script>x</script>票台")["id"])
        html = browser(agent.username).get(f"/cases/{lesson['id']}").text
        assert "<script>x</script>" not in html and "&lt;script&gt;" in html


class TestListsAndSearch:
    def test_lessons_page_filters_by_class(self, agent, supervisor, trainee, browser, submit_lesson, approve):
        approve(supervisor, submit_lesson(agent, title="A 类教训一")["id"])
        approve(supervisor, submit_lesson(agent, title="C 类教训二", defect_class="C")["id"])
        web = browser(trainee.username)
        titles = [
            a.get_text() for a in _soup(web.get("/lessons", params={"defect_class": "C"})).select(".card-title a")
        ]
        assert titles == ["C 类教训二"]
        assert web.get("/lessons", params={"defect_class": "Z"}).status_code == 422

    def test_search_page_lets_a_trainee_choose_lessons(
        self, agent, supervisor, trainee, browser, submit, submit_lesson, approve
    ):
        approve(supervisor, submit(agent)["id"])
        approve(supervisor, submit_lesson(agent)["id"])
        page = _soup(browser(trainee.username).get("/search", params={"kind": "lesson"}))
        assert page.select_one("input[name=kind][value=lesson]").has_attr("checked")
        assert len(page.select(".hit")) == 1 and page.select_one(".hit .badge-lesson")


class TestCustomerValuePage:
    def test_admin_changes_the_settings_and_sees_the_history(self, admin, browser):
        web = browser(admin.username)
        page = _soup(web.get("/settings/customer-value"))
        assert page.select_one("#v-hotel-revenue_per_order")["value"] == "1000"
        data = {field["name"]: field.get("value", "") for field in page.select("form.value-form input")}
        data.update({"hotel-revenue_per_order": "1200", "shares-B": "0.5"})
        response = web.post("/settings/customer-value", data=data)
        assert response.status_code == 303
        page = _soup(web.get(response.headers["location"]))
        assert page.select_one("#v-hotel-revenue_per_order")["value"] == "1200"
        assert page.select_one("#v-shares-B")["value"] == "0.5"
        assert len(page.select("#value-history ~ ol li")) == 1
        assert admin.get("/api/settings/customer-value").json()["shares"]["B"] == 0.5

    def test_a_negative_number_is_named_and_nothing_is_saved(self, admin, browser):
        web = browser(admin.username)
        page = _soup(web.get("/settings/customer-value"))
        data = {field["name"]: field.get("value", "") for field in page.select("form.value-form input")}
        data["car-years"] = "-2"
        response = web.post("/settings/customer-value", data=data)
        assert response.status_code == 422
        assert [a["href"] for a in _soup(response).select("#form-errors a")] == ["#v-car-years"]
        assert admin.get("/api/settings/customer-value/history").json() == []

    def test_only_admins(self, supervisor, browser):
        assert browser(supervisor.username).get("/settings/customer-value").status_code == 403


class TestDashboard:
    def test_the_dashboard_shows_value_at_risk_by_team(self, agent, supervisor, browser, submit_lesson, approve):
        approve(supervisor, submit_lesson(agent, defect_class="B")["id"])
        page = _soup(browser(supervisor.username).get("/dashboard"))
        assert page.select_one("[data-lesson-figure=value_at_risk]").get_text(strip=True) == "2,000"
        row = [cell.get_text(strip=True) for cell in page.select("#lessons-team-table tbody tr")[0].select("td")]
        assert row[:3] == ["一组", "1", "2,000"]
        assert page.select_one("a[href^='/dashboard/export/lessons-teams.csv']")


class TestReviewQueue:
    def test_a_lesson_waits_in_the_same_queue_with_its_class_and_lesson(
        self, agent, supervisor, browser, submit_lesson
    ):
        submit_lesson(agent, defect_class="C")
        card = _soup(browser(supervisor.username).get("/review")).select_one(".review-card")
        assert "C 类" in card.select_one(".badge-lesson").parent.get_text()
        assert "出票员在出票时" in card.select_one(".story-details").get_text()
