"""Each journey end to end in Chromium: the agent right after a call, the supervisor at the review
queue, the trainee reading by value; the language switch, a phone, and a hostile title."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest

from tests.browser.conftest import DEMO_PASSWORD, PHONE

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def api(server, username: str) -> httpx.Client:
    token = httpx.post(f"{server.url}/api/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token.json()['access_token']}"})


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def submit_by_api(server, username: str, title: str, **fields) -> int:
    payload = {
        "title": title,
        "body": "【情况】客人的航班因台风取消，带着两位老人滞留在机场。\n\n【我的做法】我帮客人改签并安排了酒店。",
        "tags": ["heartwarming"],
        "behaviors": [],
        "business_line": "flight",
        "channel": "phone",
        **fields,
    }
    with api(server, username) as client:
        response = client.post("/api/cases", json=payload)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def count(page, selector: str) -> int:
    return int(page.locator(selector).inner_text())


class TestAgentAfterACall:
    def test_from_any_page_to_a_submitted_case_with_masking_shown_first(self, browsing, live_server):
        page = browsing.page("agent_li")
        page.goto("/featured")
        started = time.monotonic()
        page.get_by_role("link", name="提交案例").first.click()
        page.wait_for_url("**/cases/new")
        title = unique("深夜航班取消，帮老人改签")
        page.get_by_label("标题").fill(title)
        page.get_by_label("情况").fill("凌晨航班取消，两位老人滞留机场，家属王先生（手机 13812345678）很着急。")
        page.get_by_label("我的做法").fill("我改签了次日早班机，并联系机场酒店安排了无障碍房间。")
        page.get_by_label("结果").fill("老人安全入住，次日准时登机。")
        page.get_by_label("心得").fill("先安顿好人，再解决票。")
        page.get_by_label("换位思考").check()  # a behaviour brings its value along
        assert page.get_by_label("H · 用心").is_checked()
        page.get_by_label("业务线").select_option(label="机票")  # a choice to make, not a default

        preview = page.locator("#mask-list")
        preview.get_by_text("138****5678").wait_for()
        assert "手机号" in preview.inner_text()
        assert "提交后以下 1 处个人信息会被遮盖" in page.locator("#mask-summary").inner_text()
        assert page.locator("#draft-status").inner_text().startswith("草稿已保存")

        page.get_by_role("button", name="提交", exact=True).click()
        page.wait_for_url(re.compile(r"/cases/\d+\?msg=flash.submitted"))
        elapsed = time.monotonic() - started
        assert page.locator("h1").inner_text() == title
        assert page.locator(".flash").inner_text() == "案例已提交，等待主管审核。"
        assert page.locator(".badge-pending").inner_text() == "待审核"
        story = page.locator(".story-parts").inner_text()
        assert "13812345678" not in story and "138****5678" in story
        # The story reads under its parts' headings, not its stored markers.
        assert page.locator(".story-heading").all_inner_texts() == ["情况", "我的做法", "结果", "心得"]
        assert "【" not in story
        assert "手机号" in page.locator(".notice").inner_text()
        assert elapsed < 60, f"the journey took {elapsed:.1f} s"

        # The supervisor sends it back; the agent sees the status and the comment.
        case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))
        with api(live_server, "sup_zhang") as supervisor:
            response = supervisor.post(
                f"/api/cases/{case_id}/review", json={"decision": "reject", "comment": "请补充结果"}
            )
            assert response.status_code == 200
        page.get_by_role("link", name="我的案例").first.click()
        card = page.locator("article.card", has_text=title)
        assert card.locator(".badge-rejected").inner_text() == "已退回"
        assert "请补充结果" in card.locator(".review-note").inner_text()
        card.get_by_role("link", name=title).click()
        assert "请补充结果" in page.locator(".review-note").inner_text()

        # Editing it keeps the story's parts apart.
        page.get_by_role("link", name="修改并重新提交").click()
        assert page.get_by_label("结果").input_value() == "老人安全入住，次日准时登机。"

    def test_a_draft_is_kept_when_the_page_is_closed(self, browsing):
        page = browsing.page("agent_wang")
        page.goto("/cases/new")
        title = unique("写到一半的案例")
        page.get_by_label("标题").fill(title)
        page.get_by_label("情况").fill("客人在电话里说护照号是 E12345678，要改签明天的航班。")
        page.get_by_label("T · 信赖").check()
        page.close(run_before_unload=True)  # before the autosave's pause: the page's last beacon keeps it

        later = browsing.page("agent_wang")
        later.goto("/cases/new")
        later.locator(".draft-notice").wait_for()
        assert later.get_by_label("标题").input_value() == title
        assert later.get_by_label("情况").input_value() == "客人在电话里说护照号是 E******78，要改签明天的航班。"
        assert later.get_by_label("T · 信赖").is_checked()
        assert "护照号" in later.locator(".draft-notice").inner_text()

        later.get_by_role("button", name="丢弃草稿，重新开始").click()
        assert later.get_by_label("标题").input_value() == ""
        assert later.locator(".flash").inner_text() == "草稿已丢弃。"


class TestSupervisorAtTheQueue:
    def test_read_approve_feature_and_reject_by_keyboard_without_leaving_the_queue(self, browsing, live_server):
        titles = [unique("队列测试") for _ in range(3)]
        ids = [submit_by_api(live_server, "agent_zhao", title) for title in titles]
        page = browsing.page("sup_zhang")
        page.goto("/review?tag=heartwarming")
        page.evaluate("window.stayedOnPage = true")
        waiting = count(page, "#queue-count")
        heart = count(page, "[data-count=heartwarming]")

        first = page.locator(f"#case-{ids[0]}")
        first.focus()
        page.keyboard.press("o")
        assert first.locator(".story-details .story").first.is_visible()
        assert not first.locator(".excerpt").is_visible()  # the excerpt gives way to the whole story
        page.keyboard.press("a")
        first.wait_for(state="detached")
        assert count(page, "#queue-count") == waiting - 1
        assert count(page, "[data-count=heartwarming]") == heart - 1
        assert page.locator("#queue-status").inner_text().startswith("案例已通过。")
        assert page.evaluate("document.activeElement.id") == f"case-{ids[1]}"  # the next case takes the focus

        page.keyboard.press("f")
        page.locator(f"#case-{ids[1]}").wait_for(state="detached")

        third = page.locator(f"#case-{ids[2]}")
        third.focus()
        third.get_by_role("button", name="退回").click()
        error = third.locator(".field-error")
        error.wait_for()
        assert error.inner_text() == "退回案例时必须填写意见。"
        assert page.evaluate("document.activeElement.name") == "comment"
        page.keyboard.type("请补充客人的反馈")
        page.keyboard.press("Control+Enter")
        third.wait_for(state="detached")
        assert count(page, "#queue-count") == waiting - 3
        assert page.evaluate("window.stayedOnPage") is True

        with api(live_server, "sup_zhang") as client:
            cases = [client.get(f"/api/cases/{case_id}").json() for case_id in ids]
        assert [(case["status"], case["featured"]) for case in cases] == [
            ("approved", False),
            ("approved", True),
            ("rejected", False),
        ]
        assert cases[2]["review_comment"] == "请补充客人的反馈"

        page.get_by_role("link", name="数据看板").first.click()
        page.wait_for_url("**/dashboard")
        assert page.locator("h1").inner_text() == "培训数据看板"

    def test_tab_order_reaches_each_decision_with_its_label(self, browsing, live_server):
        case_id = submit_by_api(live_server, "agent_zhao", unique("键盘顺序"), tags=["effortless"])
        page = browsing.page("sup_huang")
        page.goto("/review?tag=effortless")
        card = page.locator(f"#case-{case_id}")
        card.locator("summary").focus()
        names = []
        while not names or names[-1] != "退回":
            page.keyboard.press("Tab")
            names.append(
                page.evaluate(
                    "document.activeElement.labels?.[0]?.innerText || document.activeElement.getAttribute('aria-label')"
                    " || document.activeElement.innerText"
                )
            )
            assert len(names) < 30, names
        # The review checklist first (each item: its choices, one stop, then its note), then the comment and decisions.
        assert [name for name in names if name.startswith("备注：")][0] == "备注：情况交代清楚"
        assert len(names) == 7 * 2 + 4
        assert names[-4:] == ["退回意见（退回时必填）", "通过", "★ 通过并设为精选", "退回"]


class TestTraineeReading:
    def test_featured_by_value_with_progress_related_cases_and_search(self, browsing, live_server):
        title = unique("台风天帮老人改签")
        case_id = submit_by_api(live_server, "agent_zhou", title, behaviors=["empathy"])
        with api(live_server, "sup_huang") as supervisor:
            supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve"})
            assert supervisor.post(f"/api/cases/{case_id}/feature").status_code == 200
        page = browsing.page("trainee_guo")
        page.goto("/")
        column = page.locator(".value-heartwarming")
        before = column.locator(".reading-count").inner_text()
        read, total = map(int, re.match(r"(\d+) / (\d+)", before).groups())
        column.locator(".value-case:not(.is-read)").get_by_role("link", name=title).click()

        assert page.locator("h1").inner_text() == title
        assert page.locator(".chips .chip-heartwarming").first.is_visible()
        assert page.locator(".chips-quiet .chip").count() >= 1  # behaviours
        page.locator(".related li a").first.wait_for()  # filled in after the page is shown
        assert f"{read + 1} / {total} 已读" in page.locator(".reading-panel").inner_text()

        page.get_by_role("link", name="HEAT 案例库").click()
        column = page.locator(".value-heartwarming")
        assert column.locator(".reading-count").inner_text() == f"{read + 1} / {total} 已读"
        assert column.locator(".value-case.is-read", has_text=title).locator(".read-mark").is_visible()

        page.get_by_role("searchbox", name="搜索").fill("老人 航班取消")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=*")
        assert page.locator(".hit, .card").count() >= 1


class TestLanguageAndWidth:
    def test_the_english_switch_covers_the_labels_and_the_scripts_messages(self, browsing):
        page = browsing.page("agent_sun")
        page.goto("/cases/new")
        page.get_by_role("link", name="English").click()
        assert page.locator("h1").inner_text() == "Submit a case"
        page.get_by_label("Title").fill("Lost luggage found overnight")
        page.get_by_label("Situation").fill("The customer's e-mail is sun@example.com and the bag was lost.")
        page.locator("#mask-list").get_by_text("s***@example.com").wait_for()
        assert page.locator("#draft-status").inner_text().startswith("Draft saved")
        assert page.locator("#mask-summary").inner_text().startswith("These 1 items")
        chrome = page.locator("header.topbar, form#case-form label, form#case-form legend, form#case-form button, h1")
        texts = chrome.all_inner_texts()
        assert not [text for text in texts if CJK.search(text) and "中文" not in text], texts

        page.get_by_role("link", name="中文").click()
        assert page.locator("h1").inner_text() == "提交案例"

    @pytest.mark.parametrize(
        ("user", "path"), [("trainee_lin", "/"), ("agent_chen", "/cases/new"), ("sup_zhang", "/review")]
    )
    def test_a_phone_shows_the_page_without_sideways_scrolling(self, browsing, user, path):
        page = browsing.page(user, viewport=PHONE)
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.get_by_role("searchbox").first.is_visible()
        assert page.locator("h1").is_visible()


class TestHostileInput:
    def test_a_script_in_a_title_is_shown_as_text_everywhere(self, browsing, live_server):
        title = f'<script>window.pwned=1</script><img src=x onerror="window.pwned=2">{uuid.uuid4().hex[:6]}'
        case_id = submit_by_api(live_server, "agent_liu", title)
        with api(live_server, "sup_zhang") as supervisor:
            assert supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve"}).status_code == 200
        page = browsing.page("sup_zhang")
        for path in (f"/cases/{case_id}", "/", "/review", "/search?q=pwned", f"/cases/{case_id}/readers"):
            page.goto(path)
            assert page.evaluate("window.pwned") is None, path
        page.goto(f"/cases/{case_id}")
        assert page.locator("h1").inner_text() == title
        assert page.locator("h1 script, h1 img").count() == 0

    def test_long_unbroken_text_wraps_on_a_phone(self, browsing, live_server):
        title = "超长标题" + "航" * 100 + uuid.uuid4().hex[:6]
        body = "【情况】" + "https://example.com/" + "a" * 300 + "\n\n【我的做法】" + "很长的一段话" * 200
        case_id = submit_by_api(live_server, "agent_liu", title, body=body)
        page = browsing.page("agent_liu", viewport=PHONE)
        for path in (f"/cases/{case_id}", "/cases/mine"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path

    def test_error_pages_speak_the_users_language(self, browsing):
        page = browsing.page("trainee_he")
        response = page.goto("/cases/999999")
        assert response.status == 404
        assert page.locator("main").inner_text().count("找不到这个页面或案例") == 1
        page.get_by_role("link", name="返回首页").click()
        page.wait_for_url(lambda url: url.endswith("/"))
        english = browsing.page("trainee_he", lang="en")
        english.goto("/cases/new")  # a trainee may not submit
        assert "You are not allowed to do this." in english.locator("main").inner_text()
