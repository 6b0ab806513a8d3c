"""Reading assignments and notifications in Chromium, at laptop and phone width, in Chinese and English: a
supervisor makes a reading list and assigns it to a class, a trainee sees it on their home page and reads from it,
the supervisor sees the completion and reminds; an author hears of the approval through the bell."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.test_journeys import api, submit_by_api, unique


def _featured_ids(server, count: int) -> list[int]:
    with api(server, "trainee_ma") as client:
        cases = client.get("/api/cases", params={"featured": "true", "per_page": 20}).json()["items"]
    return [case["id"] for case in cases][:count]


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


class TestReadingAssignment:
    def test_assigned_to_a_class_read_from_the_home_page_and_followed_up(self, browsing, live_server):
        first, second = _featured_ids(live_server, 2)
        title = unique("第二班本周必读")
        supervisor = browsing.page("sup_zhang", viewport=LAPTOP)
        supervisor.goto("/reading")
        supervisor.get_by_label("清单名称").fill(title)
        supervisor.get_by_label("案例编号或链接（按阅读顺序）").fill(f"{first}\n{live_server.url}/cases/{second}")
        supervisor.get_by_label("截止日期").fill((date.today() + timedelta(days=5)).isoformat())
        supervisor.get_by_label("说明（可选）").fill("周五前读完，班会上讨论。")
        supervisor.get_by_role("button", name="创建清单").click()
        supervisor.wait_for_url(re.compile(r"/reading/\d+"))
        list_url = supervisor.url.split("?")[0]
        supervisor.get_by_label("新人培训二班").check()
        supervisor.get_by_role("button", name="布置", exact=True).click()
        supervisor.wait_for_url(re.compile(r"msg=flash.reading_assigned"))
        assert supervisor.locator("#person-progress tbody tr").count() == 4
        _fits(supervisor, LAPTOP["width"])

        trainee = browsing.page("trainee_ma", viewport=PHONE, lang="en")
        trainee.goto("/")
        section = trainee.locator("section.to-read")
        assert title in section.inner_text() and "Due" in section.inner_text()
        assert int(trainee.locator("#bell .bell-count").inner_text()) >= 1
        _fits(trainee, PHONE["width"])
        mine = next(item for item in _my_reading(live_server) if item["title"] == title)
        unread = next(item for item in mine["items"] if not item["read"])
        section.locator(f'.reading-items a[href="/cases/{unread["case_id"]}"]').click()
        trainee.wait_for_url(f"**/cases/{unread['case_id']}")
        trainee.goto("/me/reading")
        entry = trainee.locator(f"#list-{mine['id']}")
        assert f"{mine['read'] + 1} of 2 read" in entry.inner_text()
        _fits(trainee, PHONE["width"])

        supervisor.goto(list_url)
        row = supervisor.locator('#person-progress tr[data-username="trainee_ma"]')
        assert f"{mine['read'] + 1} / 2" in row.inner_text()
        if mine["read"] + 1 < 2:
            row.get_by_role("button", name="提醒").click()
            supervisor.wait_for_url(re.compile(r"msg=flash.reading_reminded"))
            trainee.goto("/me/notifications")
            assert "Reminder" in trainee.locator("#notifications").inner_text()


def _my_reading(server) -> list[dict]:
    with api(server, "trainee_ma") as client:
        return client.get("/api/me/reading").json()["items"]


class TestNotifications:
    def test_the_bell_tells_an_author_of_the_approval_on_a_phone(self, browsing, live_server):
        title = unique("深夜帮客人找回遗失的证件")
        case_id = submit_by_api(live_server, "agent_li", title)
        with api(live_server, "sup_zhang") as client:
            response = client.post(f"/api/cases/{case_id}/review", json={"decision": "approve", "comment": "写得好"})
        assert response.status_code == 200
        page = browsing.page("agent_li", viewport=PHONE)
        page.goto("/cases/mine")
        bell = page.locator("#bell")
        assert bell.is_visible() and int(bell.locator(".bell-count").inner_text()) >= 1
        bell.click()
        page.wait_for_url("**/me/notifications")
        item = page.locator(".notification", has_text=title).first
        assert "已通过审核" in item.inner_text() and "写得好" in item.inner_text()
        _fits(page, PHONE["width"])
        page.get_by_role("button", name="全部标为已读").click()
        page.wait_for_url(re.compile(r"msg=flash.notifications_read"))
        assert page.locator("#bell .bell-count").count() == 0
        assert page.locator(".notification.is-unread").count() == 0

    def test_choosing_what_one_is_told_in_english_on_a_laptop(self, browsing):
        page = browsing.page("trainee_he", viewport=LAPTOP, lang="en")
        page.goto("/me/notifications")
        page.get_by_role("link", name="Notification settings").click()
        page.wait_for_url("**/me/notifications/settings")
        box = page.get_by_label("Weekly digest of newly featured cases · In the app")
        box.uncheck()
        page.get_by_role("button", name="Save settings").click()
        page.wait_for_url(re.compile(r"msg=flash.notification_settings_saved"))
        assert "Notification settings saved." in page.locator(".flash").inner_text()
        assert not page.get_by_label("Weekly digest of newly featured cases · In the app").is_checked()
        assert page.get_by_label("New reading assignments, due dates and reminders · In the app").is_checked()
