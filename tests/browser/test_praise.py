"""Praise evidence in Chromium: an agent attaches the customer's thank-you video to their case from the upload
page, a supervisor approves it in the review queue, and a trainee's case page plays it (the <video> element
loads it through byte ranges); a PDF letter and a photo show as thumbnails; phone width too."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import LAPTOP, PHONE, wait_until
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.browser.test_journeys import api, submit_by_api, unique
from tests.praise import files

REVIEW = {"decision": "approve", "comment": ""}


def approved_case(server, title: str) -> int:
    case_id = submit_by_api(server, "agent_li", title)
    with api(server, "sup_zhang") as client:
        assert client.post(f"/api/cases/{case_id}/review", json=REVIEW).status_code == 200
    return case_id


def plays(page, selector: str = "#evidence video") -> dict:
    """Wait until the page's video has loaded its metadata, then play it (muted) until time moves (generous waits:
    behaviour, not speed; headless Chromium decodes slowly while the other test pass shares the cores)."""
    video = page.locator(selector).first
    video.scroll_into_view_if_needed()
    wait_until(page, "s => document.querySelector(s).readyState >= 1", selector)
    page.evaluate(f"() => {{ const v = document.querySelector('{selector}'); v.muted = true; return v.play(); }}")
    wait_until(page, "s => document.querySelector(s).currentTime > 0", selector)
    return page.evaluate(
        f"() => {{ const v = document.querySelector('{selector}');"
        " return {duration: v.duration, width: v.videoWidth, height: v.videoHeight, state: v.readyState}; }"
    )


class TestThankYouVideo:
    def test_attached_approved_and_played_on_its_case_page(self, browsing, live_server):
        title = unique("客人发来感谢视频")
        case_id = approved_case(live_server, title)

        author = browsing.page("agent_li")
        author.goto(f"/cases/{case_id}")
        author.get_by_role("link", name="添加表扬证据").click()
        author.wait_for_url(f"**/cases/{case_id}/attachments/new")
        assert "无法自动遮盖" in author.locator("#privacy-note").inner_text()
        video = files.video_bytes("webm", frames=48)
        author.get_by_label("文件").set_input_files(
            {"name": "感谢视频.webm", "mimeType": "video/webm", "buffer": video}
        )
        author.get_by_label("说明（可选）").fill("王女士的感谢视频")
        author.get_by_role("button", name="上传").click()
        author.wait_for_url(re.compile(rf"/cases/{case_id}\?msg=flash.praise_pending"))
        assert author.locator("#evidence .badge-pending").is_visible()

        supervisor = browsing.page("sup_zhang")
        supervisor.goto("/review")
        waiting = supervisor.locator("#evidence .evidence-item", has_text="王女士的感谢视频")
        waiting.get_by_role("button", name="通过").click()
        supervisor.wait_for_url(re.compile(r"/review\?msg=flash.praise_approved"))

        trainee = browsing.page("trainee_xu")
        trainee.goto(f"/cases/{case_id}")
        assert trainee.get_by_role("heading", name="客户表扬证据").is_visible()
        seen = plays(trainee)
        assert seen["duration"] == pytest.approx(2.0, abs=0.2)
        assert (seen["width"], seen["height"]) == (160, 120)
        assert "王女士的感谢视频" in trainee.locator("#evidence figcaption").inner_text()

    def test_an_mp4_plays_too_and_a_letter_shows_as_a_thumbnail_on_a_phone(self, browsing, live_server):
        case_id = approved_case(live_server, unique("客人寄来感谢信和视频"))
        with api(live_server, "sup_zhang") as client:
            for name, data, mime in (
                ("thanks.mp4", files.video_bytes("mp4", frames=48), "video/mp4"),
                ("letter.pdf", files.pdf_bytes(), "application/pdf"),
                ("photo.jpg", files.image_bytes("JPEG", size=(800, 600)), "image/jpeg"),
            ):
                response = client.post(f"/api/cases/{case_id}/attachments", files={"file": (name, data, mime)})
                assert response.status_code == 201, response.text
        page = browsing.page("trainee_he", viewport=PHONE)
        page.goto(f"/cases/{case_id}")
        assert plays(page)["duration"] == pytest.approx(2.0, abs=0.2)
        thumbnails = page.locator("#evidence img")
        assert thumbnails.count() == 2
        for index in range(2):
            thumbnails.nth(index).scroll_into_view_if_needed()
            wait_until(page, "n => document.querySelectorAll('#evidence img')[n].naturalWidth > 0", index, timeout=10)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    def test_a_disguised_file_is_refused_in_the_readers_language(self, browsing, live_server):
        case_id = approved_case(live_server, unique("伪装文件"))
        page = browsing.page("agent_li", lang="en")
        page.goto(f"/cases/{case_id}/attachments/new")
        page.get_by_label("File").set_input_files(
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": files.disguised_html()}
        )
        page.get_by_role("button", name="Upload").click()
        assert "not a JPEG, PNG, WebP, PDF, MP4 or WebM" in page.locator("#upload-error").inner_text()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_evidence_on_the_case_page_and_in_the_queue_is_accessible(browsing, live_server, viewport):
    case_id = approved_case(live_server, unique("无障碍的表扬证据"))
    with api(live_server, "agent_li") as client:  # the author's: waits in the queue, with its buttons
        for name, data, mime in (
            ("thanks.webm", files.video_bytes("webm"), "video/webm"),
            ("letter.pdf", files.pdf_bytes(), "application/pdf"),
        ):
            response = client.post(f"/api/cases/{case_id}/attachments", files={"file": (name, data, mime)})
            assert response.status_code == 201, response.text
    for user, path in (("agent_li", f"/cases/{case_id}"), ("sup_zhang", "/review")):
        page = browsing.page(user, viewport=viewport)
        page.goto(path)
        page.locator("#evidence").scroll_into_view_if_needed()
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, f"{path}:\n{describe(violations)}"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
