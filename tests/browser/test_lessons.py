"""Lessons from complaints in Chromium: an agent writes one up with the guided form, a supervisor approves it, a
trainee finds it by class on the search page and reads its value at risk and how it should have gone, the
supervisor sees the value at risk by team on the dashboard."""

from __future__ import annotations

import re

from tests.browser.test_journeys import api, unique


class TestLessonJourney:
    def test_written_up_reviewed_found_by_class_and_counted(self, browsing, live_server):
        page = browsing.page("agent_li")
        page.goto("/lessons")
        page.get_by_role("link", name="写一条教训").click()
        page.wait_for_url("**/lessons/new")
        title = unique("送票晚到，客人错过登机")
        page.get_by_label("标题").fill(title)
        page.get_by_label("经过").fill("客人订了早上8点的航班，约好前一晚送票，送票员第二天早上才送到客人家。")
        page.get_by_label("结果").fill("客人赶到机场时已停止值机，只能改签下午的航班，投诉至客服。")
        page.locator("#f-lesson").fill(
            "早班机的机票必须在前一晚送到；送票员有变化要提前告诉我们，由我们联系客人另作安排。"
        )
        page.get_by_label("B 类 · 忠诚度重伤").check()
        page.get_by_label("故障", exact=True).check()
        page.get_by_label("可靠性").check()
        page.get_by_label("责任心").check()
        page.get_by_label("涉及的合作方").fill("大连票台")
        page.get_by_label("A · 主动").check()
        page.get_by_label("业务线").select_option(label="机票")  # a choice to make, not a default
        page.get_by_role("button", name="提交").click()
        page.wait_for_url(re.compile(r"/cases/\d+"))
        case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))
        assert "审核通过后计算" in page.locator(".lesson-value").inner_text()

        with api(live_server, "sup_zhang") as client:
            response = client.post(f"/api/cases/{case_id}/review", json={"decision": "approve", "comment": ""})
        assert response.status_code == 200 and response.json()["value_at_risk"] == 2000

        trainee = browsing.page("trainee_xu")
        trainee.goto("/search?q=" + title)
        trainee.get_by_label("教训案例").check()
        trainee.get_by_label("缺陷分类").select_option("B")
        trainee.locator("form.search-form button[type=submit]").click()
        trainee.wait_for_url(re.compile(r"kind=lesson"))
        assert trainee.locator(".hit .badge-lesson").first.is_visible()
        trainee.get_by_role("link", name=title).click()
        trainee.wait_for_url(f"**/cases/{case_id}")
        assert "2,000 元" in trainee.locator(".lesson-value").inner_text()
        assert "B 类" in trainee.locator(".lesson-class").inner_text()
        trainee.get_by_role("heading", name="本该怎么做").wait_for()
        more = trainee.get_by_role("link", name="更多「主动」优秀案例")
        assert more.get_attribute("href") == "/search?kind=exemplar&tag=active"

        supervisor = browsing.page("sup_zhang")
        supervisor.goto("/dashboard?preset=7d")
        section = supervisor.locator(".lessons-metrics")
        section.scroll_into_view_if_needed()
        assert int(section.locator("[data-lesson-figure=lessons]").inner_text().replace(",", "")) >= 1
        assert section.locator("#lessons-team-table tbody tr").first.inner_text().startswith("机票服务一组")
        assert supervisor.locator("#chart-lessons-team").bounding_box()["height"] > 50  # drawn by Chart.js
        with supervisor.expect_download() as download:
            section.locator("a[href^='/dashboard/export/lessons-teams.csv']").click()
        assert download.value.suggested_filename.startswith("heat-lessons-teams-")

    def test_the_form_names_what_is_missing(self, browsing):
        page = browsing.page("agent_li")
        page.goto("/lessons/new")
        page.get_by_label("标题").fill(unique("缺少教训"))
        page.get_by_role("button", name="提交").click()
        errors = page.locator("#form-errors")
        errors.wait_for()
        text = errors.inner_text()
        assert "请写下教训" in text and "请选择缺陷分类" in text and "请至少选择一个服务元素" in text

    def test_admin_changes_the_customer_value(self, browsing, live_server):
        page = browsing.page("admin")
        page.goto("/settings/customer-value")
        page.get_by_label("度假 · 每单收益（元）").fill("900")
        page.get_by_role("button", name="保存设置").click()
        page.wait_for_url("**/settings/customer-value?msg=*")
        assert page.locator("#v-vacation-revenue_per_order").input_value() == "900"
        with api(live_server, "admin") as client:
            settings = client.get("/api/settings/customer-value").json()
            assert settings["lines"]["vacation"]["revenue_per_order"] == 900
            client.put("/api/settings/customer-value", json={"lines": {"vacation": {
                "revenue_per_order": 1000, "orders_per_year": 1, "years": 5}}})  # fmt: skip
