"""Review quality in Chromium: the queue's keys mark the checklist and decide, the author reads the checklist as
feedback; a calibration round scored on the page shows its agreement; the checklist, calibration, turnaround and
feedback pages at laptop and phone width, in Chinese and English."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.test_journeys import api, submit_by_api, unique


def _checklist(server) -> dict[str, int]:
    with api(server, "sup_zhang") as client:
        return {item["code"]: item["id"] for item in client.get("/api/review/checklist").json()}


def _no_sideways_scroll(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


class TestQueueKeys:
    def test_number_keys_mark_items_and_a_approves_then_the_author_reads_the_feedback(self, browsing, live_server):
        title = unique("清单按键测试")
        case_id = submit_by_api(live_server, "agent_li", title)
        page = browsing.page("sup_zhang")
        page.goto("/review?sort=newest")
        card = page.locator(f"#case-{case_id}")
        card.wait_for()
        assert "已等待" in card.locator(".waited").inner_text()
        card.focus()
        page.keyboard.press("1")  # item 1: met
        page.keyboard.press("4")
        page.keyboard.press("4")  # item 4: not met
        page.keyboard.press("7")
        page.keyboard.press("7")
        page.keyboard.press("7")  # item 7: round again to not assessed
        assert card.locator('.checklist-item[data-key="1"] input[value="met"]').is_checked()
        assert card.locator('.checklist-item[data-key="4"] input[value="not_met"]').is_checked()
        assert card.locator('.checklist-item[data-key="7"] input[value=""]').is_checked()
        card.locator('.checklist-item[data-key="4"] .checklist-note').fill("结果写得不够具体")
        card.focus()
        page.keyboard.press("a")
        card.wait_for(state="detached")
        assert page.locator("#queue-status").is_visible()

        ids = _checklist(live_server)
        with api(live_server, "agent_li") as author:
            review = author.get(f"/api/cases/{case_id}/reviews").json()[0]
        marks = {mark["item_id"]: mark for mark in review["checklist"]}
        assert review["decision"] == "approve"
        assert marks[ids["situation"]]["met"] is True and marks[ids["outcome"]]["met"] is False
        assert marks[ids["outcome"]]["note"] == "结果写得不够具体" and marks[ids["plain_language"]]["met"] is None

        for lang, text in (("zh", "达标 1 项 · 未达标 1 项"), ("en", "1 met · 1 not met")):
            author_page = browsing.page("agent_li", lang=lang)
            author_page.goto(f"/cases/{case_id}")
            feedback = author_page.locator("#review-feedback")
            assert text in feedback.inner_text()
            assert "结果写得不够具体" in feedback.locator('[data-code="outcome"]').inner_text()


class TestCalibrationInTheBrowser:
    def test_a_member_scores_on_the_page_and_reads_the_agreement(self, browsing, live_server):
        cases = [submit_by_api(live_server, "agent_li", unique("校准案例")) for _ in range(2)]
        with api(live_server, "sup_zhang") as zhang:
            created = zhang.post("/api/calibration/rounds", json={
                "title": unique("浏览器校准"), "case_ids": cases, "supervisors": ["sup_zhang", "sup_huang", "admin"]
            }).json()  # fmt: skip
            for username, outcome_met in (("sup_zhang", True), ("sup_huang", False)):
                with api(live_server, username) as member:
                    marks = [{"case_id": case["id"], "item_id": item["id"],
                              "met": outcome_met if item["code"] == "outcome" else True}
                             for case in created["cases"] for item in created["items"]]  # fmt: skip
                    assert member.put(f"/api/calibration/rounds/{created['id']}/scores",
                                      json={"scores": marks}).status_code == 200  # fmt: skip
        page = browsing.page("admin", viewport=PHONE)
        page.goto("/calibration")
        page.get_by_role("link", name=created["title"]).click()
        page.wait_for_url(re.compile(rf"/calibration/{created['id']}$"))
        _no_sideways_scroll(page, PHONE)
        for radio in page.locator('#score-form input[value="met"]').all():
            radio.check()
        page.get_by_role("button", name="提交我的打分").click()
        page.wait_for_url(re.compile(r"msg=flash.scores_saved"))
        assert page.locator("#round-status").inner_text() == "已全部打分"
        outcome = page.locator('#agreement-items tr[data-code="outcome"]')
        assert "33%" in outcome.inner_text()  # of three pairs, one agreed, on each case
        assert page.locator("#disagreements > li").count() == 2
        _no_sideways_scroll(page, PHONE)
        with api(live_server, "agent_li") as author:
            assert {author.get(f"/api/cases/{case}").json()["status"] for case in cases} == {"pending"}


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_at_both_widths_in_both_languages(browsing, live_server, viewport, lang):
    english = lang == "en"
    with api(live_server, "sup_zhang") as zhang:
        rounds = zhang.get("/api/calibration/rounds").json()
    pages = [
        ("sup_zhang", "/review", "#queue", "Review checklist" if english else "审核清单"),
        ("sup_zhang", "/dashboard", "#turnaround", "Review turnaround" if english else "审核时效"),
        ("sup_zhang", "/calibration", "#new-round", "Start a round" if english else "发起一轮校准"),
        ("admin", "/admin/checklist", "#checklist-items", "No personal data left" if english else "没有遗留个人信息"),
    ]
    if rounds:
        pages.append(("sup_zhang", f"/calibration/{rounds[0]['id']}", "#round-members",
                      "Supervisors" if english else "参加的主管"))  # fmt: skip
    for username, path, selector, text in pages:
        page = browsing.page(username, viewport=viewport, lang=lang)
        response = page.goto(path)
        assert response.status == 200, path
        page.locator(selector).first.wait_for()
        if selector == "#queue" and page.locator(".review-card").count() == 0:
            text = "Nothing waiting" if english else "没有待审核"
        if selector == "#checklist-items":
            assert page.locator(f"#checklist-items input[value='{text}']").count() == 1, path
        else:
            assert text in page.locator("main").inner_text(), path
        _no_sideways_scroll(page, viewport)
