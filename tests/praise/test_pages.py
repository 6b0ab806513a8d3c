"""Praise evidence on the pages: the upload form (and what it says of personal data), the case page's
pictures, PDFs and video, the review queue's waiting evidence, approve and remove."""

from __future__ import annotations

from bs4 import BeautifulSoup

from heatcases.i18n import translate
from tests.conftest import csrf_from
from tests.praise import files

REVIEW = {"decision": "approve", "comment": "好案例"}


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def post_file(web, case_id: int, name: str, data: bytes, caption: str = "", mime: str = "image/jpeg"):
    token = csrf_from(web.get(f"/cases/{case_id}/attachments/new").text)
    return web.post(
        f"/cases/{case_id}/attachments",
        data={"csrftoken": token, "caption": caption},
        files={"file": (name, data, mime)},
    )


class TestUploadPage:
    def test_it_says_personal_data_in_a_picture_cannot_be_masked(self, agent, approved_case, browser):
        web = browser(agent.username)
        html = page(web.get(f"/cases/{approved_case['id']}/attachments/new"))
        assert translate("praise.privacy", "zh") in html.select_one("#privacy-note").text
        field = html.select_one("input[type=file]#file")
        assert "video/webm" in field["accept"] and html.select_one("label[for=file]")
        assert html.select_one("form.upload-form")["enctype"] == "multipart/form-data"

    def test_in_english_too(self, agent, approved_case, browser):
        web = browser(agent.username)
        web.cookies.set("heat_lang", "en")
        html = page(web.get(f"/cases/{approved_case['id']}/attachments/new"))
        assert "cannot mask personal data" in html.select_one("#privacy-note").text

    def test_an_author_uploads_a_letter_that_waits_for_approval(self, agent, approved_case, browser, samples):
        web = browser(agent.username)
        response = post_file(web, approved_case["id"], "感谢信.jpg", samples["jpg"], caption="王女士的感谢信")
        assert response.status_code == 303
        assert response.headers["location"] == f"/cases/{approved_case['id']}?msg=flash.praise_pending#evidence"
        html = page(web.get(response.headers["location"]))
        item = html.select_one("#evidence .evidence-item")
        assert item.select_one(".badge-pending").text == translate("praise.pending", "zh")
        assert "王女士的感谢信" in item.text
        image = item.select_one("img")
        assert image["src"].endswith("/thumbnail") and image["alt"]
        assert web.get(image["src"]).headers["content-type"] == "image/jpeg"

    def test_a_disguised_file_comes_back_with_the_reason(self, agent, approved_case, browser):
        web = browser(agent.username)
        response = post_file(web, approved_case["id"], "photo.jpg", files.disguised_html(), caption="假图片")
        assert response.status_code == 422
        html = page(response)
        assert html.select_one("#upload-error").text == translate("praise.rejected.type", "zh")
        assert html.select_one("#caption")["value"] == "假图片"
        assert not page(web.get(f"/cases/{approved_case['id']}")).select(".evidence-item")

    def test_a_form_without_its_csrf_token_is_refused(self, agent, approved_case, browser, samples):
        web = browser(agent.username)
        response = web.post(
            f"/cases/{approved_case['id']}/attachments", files={"file": ("a.jpg", samples["jpg"], "image/jpeg")}
        )
        assert response.status_code == 403


class TestCasePage:
    def test_a_video_plays_in_place_and_readers_see_approved_evidence(
        self, agent, supervisor, trainee, approved_case, browser, upload, samples
    ):
        upload(supervisor, approved_case["id"], samples["webm"], "thanks.webm", caption="客人的感谢视频")
        upload(supervisor, approved_case["id"], samples["pdf"], "letter.pdf")
        upload(agent, approved_case["id"], samples["png"], "pending.png")  # waits: not for the trainee
        html = page(browser(trainee.username).get(f"/cases/{approved_case['id']}"))
        video = html.select_one("#evidence video")
        assert video["src"].startswith("/attachments/") and "controls" in video.attrs
        assert video["poster"].endswith("/thumbnail")
        pdf_link = html.select_one("#evidence a[download]")
        assert pdf_link and pdf_link["href"].startswith("/attachments/")
        assert len(html.select("#evidence .evidence-item")) == 2
        assert not html.select("#evidence .badge-pending")
        assert not html.select("#evidence form"), "a reader may not remove evidence"
        assert not html.select_one("#evidence a[href$='/attachments/new']")

    def test_a_case_without_evidence_shows_no_section_to_readers(self, trainee, approved_case, browser):
        assert page(browser(trainee.username).get(f"/cases/{approved_case['id']}")).select_one("#evidence") is None

    def test_the_video_is_served_in_ranges_to_the_page(self, supervisor, trainee, approved_case, browser, upload,
                                                       samples):  # fmt: skip
        item = upload(supervisor, approved_case["id"], samples["webm"], "thanks.webm").json()
        web = browser(trainee.username)
        response = web.get(f"/attachments/{item['id']}", headers={"Range": "bytes=0-99"})
        assert response.status_code == 206 and len(response.content) == 100
        assert response.headers["content-type"] == "video/webm"


class TestReviewQueue:
    def test_evidence_on_an_approved_case_waits_in_the_queue_and_is_approved_there(
        self, agent, other_agent, supervisor, approved_case, browser, upload, samples
    ):
        item = upload(agent, approved_case["id"], samples["jpg"], "banner.jpg").json()
        web = browser(supervisor.username)
        html = page(web.get("/review"))
        waiting = html.select_one("#evidence")
        assert waiting.select_one(f"#attachment-{item['id']}")
        form = waiting.select_one(f"form[action='/attachments/{item['id']}/approve']")
        response = web.post(form["action"], data={"csrftoken": csrf_from(web.get("/review").text), "next": "/review"})
        assert response.status_code == 303 and response.headers["location"].startswith("/review?msg=")
        assert page(web.get("/review")).select_one("#evidence") is None
        assert other_agent.get(item["url"]).status_code == 200

    def test_a_pending_case_shows_the_evidence_approved_with_it(self, agent, supervisor, browser, submit, upload,
                                                                samples):  # fmt: skip
        case = submit(agent)
        upload(agent, case["id"], samples["webm"], "thanks.webm")
        card = page(browser(supervisor.username).get("/review")).select_one(f"#case-{case['id']}")
        assert card.select_one(".card-evidence video")

    def test_the_author_removes_evidence_from_the_case_page(self, agent, approved_case, browser, upload, samples):
        item = upload(agent, approved_case["id"], samples["png"], "oops.png").json()
        web = browser(agent.username)
        html = page(web.get(f"/cases/{approved_case['id']}"))
        form = html.select_one(f"form[action='/attachments/{item['id']}/delete']")
        token = form.select_one("[name=csrftoken]")["value"]
        response = web.post(form["action"], data={"csrftoken": token, "next": ""})
        assert response.status_code == 303
        assert agent.get(item["url"]).status_code == 404
