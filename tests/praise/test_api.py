"""Praise evidence through the API: each allowed kind stored and served, disguised and damaged files refused,
byte ranges of a video, pending and approved evidence, and who may see, add, approve or remove it."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from heatcases import db
from heatcases.models import AttachmentBlob, CaseAttachment
from heatcases.praise import serving, storage
from tests.praise import files

REVIEW = {"decision": "approve", "comment": "好案例"}


def stored_rows(app) -> tuple[int, int]:
    with db.session_scope(app.state.engine) as session:
        return (
            session.execute(select(func.count()).select_from(CaseAttachment)).scalar_one(),
            session.execute(select(func.count()).select_from(AttachmentBlob)).scalar_one(),
        )


class TestEachAllowedKind:
    @pytest.mark.parametrize(
        ("name", "kind", "media_type"),
        [
            ("letter.jpg", "image", "image/jpeg"),
            ("banner.png", "image", "image/png"),
            ("photo.webp", "image", "image/webp"),
            ("letter.pdf", "pdf", "application/pdf"),
            ("thanks.mp4", "video", "video/mp4"),
            ("thanks.webm", "video", "video/webm"),
            ("iphone.mov", "video", "video/mp4"),
        ],
    )
    def test_a_supervisor_attaches_it_and_readers_fetch_it(
        self, approved_case, supervisor, trainee, upload, samples, name, kind, media_type
    ):
        data = samples[name.rsplit(".", 1)[1]]
        response = upload(supervisor, approved_case["id"], data, name, caption="王女士的感谢")
        assert response.status_code == 201, response.text
        item = response.json()
        assert (item["kind"], item["media_type"], item["status"]) == (kind, media_type, "approved")
        assert item["filename"].endswith("." + media_type.split("/")[1].replace("jpeg", "jpg"))
        assert item["thumbnail_url"], "every kind gets a thumbnail"
        content = trainee.get(item["url"])
        assert content.status_code == 200
        assert content.headers["content-type"].startswith(media_type)
        assert content.headers["accept-ranges"] == "bytes"
        assert len(content.content) == item["size"]
        thumbnail = trainee.get(item["thumbnail_url"])
        assert thumbnail.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(thumbnail.content)).size[0] <= 480
        listed = trainee.get(f"/api/cases/{approved_case['id']}/attachments").json()["items"]
        assert [entry["id"] for entry in listed] == [item["id"]]

    def test_pictures_are_re_encoded_without_their_exif_location(self, approved_case, supervisor, upload, samples):
        assert b"Exif" in samples["jpg"] and b"PhoneMaker" in samples["jpg"]
        item = upload(supervisor, approved_case["id"], samples["jpg"], "IMG_0001.jpg").json()
        stored = supervisor.get(item["url"]).content
        picture = Image.open(io.BytesIO(stored))
        assert picture.format == "JPEG" and picture.size == (64, 48)
        assert not picture.getexif(), "no EXIF at all: no GPS, no camera"
        assert b"PhoneMaker" not in stored

    def test_a_photo_is_turned_upright_by_its_exif_orientation(self, approved_case, supervisor, upload):
        rotated = files.image_bytes("JPEG", size=(64, 48), gps=False, orientation=6)  # "rotate 90° to view"
        item = upload(supervisor, approved_case["id"], rotated, "sideways.jpg").json()
        assert (item["width"], item["height"]) == (48, 64)

    def test_a_video_keeps_its_frames_but_loses_the_location_in_its_metadata(
        self, approved_case, supervisor, upload, samples
    ):
        assert b"loci" in samples["mp4"] and b"13812345678" in samples["mp4"]  # where it was taken; a title
        item = upload(supervisor, approved_case["id"], samples["mp4"], "VID_0001.mp4").json()
        stored = supervisor.get(item["url"]).content
        assert b"loci" not in stored and b"13812345678" not in stored
        assert item["duration_seconds"] == pytest.approx(1.0, abs=0.1)
        assert (item["width"], item["height"]) == (160, 120)

    def test_personal_data_in_the_file_name_and_caption_is_masked(self, approved_case, supervisor, upload, samples):
        item = upload(supervisor, approved_case["id"], samples["png"], "王先生13812345678.png",
                      caption="客人电话 13812345678").json()  # fmt: skip
        assert item["filename"] == "王先生138****5678.png"
        assert item["caption"] == "客人电话 138****5678"


class TestRefused:
    @pytest.mark.parametrize(
        ("name", "data", "reason"),
        [
            ("photo.jpg", files.disguised_html(), "not a JPEG, PNG, WebP, PDF, MP4 or WebM"),
            ("photo.png", b"MZ\x90\x00" + b"\x00" * 200, "not a JPEG, PNG, WebP, PDF, MP4 or WebM"),
            ("scan.jpg", files.fake_jpeg(), "cannot be read"),
            ("letter.pdf", files.fake_pdf(), "cannot be read"),
            ("thanks.mp4", files.fake_mp4(), "cannot be read"),
            ("animation.gif", b"GIF89a" + b"\x00" * 100, "not a JPEG, PNG, WebP, PDF, MP4 or WebM"),
        ],
    )
    def test_a_disguised_or_damaged_file_is_refused_and_nothing_is_kept(
        self, app, approved_case, supervisor, upload, name, data, reason
    ):
        response = upload(supervisor, approved_case["id"], data, name)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "file"]
        assert reason in response.json()["detail"][0]["msg"]
        assert stored_rows(app) == (0, 0)

    def test_an_svg_claiming_to_be_a_png_is_refused(self, approved_case, supervisor, upload):
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        assert upload(supervisor, approved_case["id"], svg, "x.png", content_type="image/png").status_code == 422

    def test_a_file_over_the_size_setting_is_413(self, app, settings, approved_case, supervisor, upload, samples):
        app.state.settings = settings.model_copy(update={"max_attachment_bytes": 2048})
        response = upload(supervisor, approved_case["id"], samples["pdf"], "big.pdf")
        assert response.status_code == 413, response.text
        assert stored_rows(app) == (0, 0)

    def test_a_body_over_the_upload_limit_is_413_before_it_is_read(self, client, approved_case, supervisor):
        headers = {**supervisor.headers, "content-type": "multipart/form-data; boundary=x",
                   "content-length": str(60 * 1024 * 1024)}  # fmt: skip
        response = client.post(f"/api/cases/{approved_case['id']}/attachments", content=b"--x--", headers=headers)
        assert response.status_code == 413

    def test_other_bodies_keep_the_one_mebibyte_limit(self, client, supervisor):
        response = client.post("/api/cases", content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                               headers={**supervisor.headers, "content-type": "application/json"})  # fmt: skip
        assert response.status_code == 413

    def test_a_chunked_upload_over_the_limit_is_413(self, app, settings, client, approved_case, supervisor):
        app.state.settings = settings.model_copy(update={"max_attachment_bytes": 2048})

        def chunks():
            yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
            for _ in range(200):
                yield b"\x00" * 1024
            yield b"\r\n--x--\r\n"

        # The middleware was built with the app's first settings: 50 MiB; the route refuses past 2 KiB.
        headers = {**supervisor.headers, "content-type": "multipart/form-data; boundary=x"}
        response = client.post(f"/api/cases/{approved_case['id']}/attachments", content=chunks(), headers=headers)
        assert response.status_code == 413


class TestRanges:
    @pytest.fixture
    def video(self, approved_case, supervisor, upload, samples) -> dict:
        return upload(supervisor, approved_case["id"], samples["webm"], "thanks.webm").json()

    def test_a_range_of_a_video_is_206_with_its_content_range(self, video, trainee):
        whole = trainee.get(video["url"]).content
        response = trainee.get(video["url"], headers={"Range": "bytes=100-299"})
        assert response.status_code == 206
        assert response.headers["content-range"] == f"bytes 100-299/{video['size']}"
        assert response.headers["content-length"] == "200"
        assert response.content == whole[100:300]

    def test_open_and_suffix_ranges(self, video, trainee):
        whole = trainee.get(video["url"]).content
        tail = trainee.get(video["url"], headers={"Range": "bytes=-10"})
        assert (tail.status_code, tail.content) == (206, whole[-10:])
        rest = trainee.get(video["url"], headers={"Range": "bytes=1000-"})
        assert rest.content == whole[1000:]
        assert rest.headers["content-range"] == f"bytes 1000-{video['size'] - 1}/{video['size']}"

    def test_a_range_past_the_end_is_416(self, video, trainee):
        response = trainee.get(video["url"], headers={"Range": f"bytes={video['size']}-"})
        assert response.status_code == 416
        assert response.headers["content-range"] == f"bytes */{video['size']}"

    def test_an_unchanged_file_is_304(self, video, trainee):
        etag = trainee.get(video["url"]).headers["etag"]
        assert trainee.get(video["url"], headers={"If-None-Match": etag}).status_code == 304

    def test_a_range_across_stored_pieces_and_the_slice_limit(self, monkeypatch, app, approved_case, supervisor,
                                                                upload):  # fmt: skip
        monkeypatch.setattr(storage, "CHUNK_BYTES", 500)  # a small video still spans many pieces
        monkeypatch.setattr(serving, "MAX_SLICE", 1200)
        data = files.video_bytes("webm", frames=48)
        item = upload(supervisor, approved_case["id"], data, "long.webm").json()
        whole = supervisor.get(item["url"]).content
        assert len(whole) == item["size"] and stored_rows(app)[1] > 3
        response = supervisor.get(item["url"], headers={"Range": "bytes=1500-"})
        assert response.status_code == 206
        assert response.headers["content-range"] == f"bytes 1500-2699/{item['size']}"  # at most one slice
        assert response.content == whole[1500:2700]


class TestWhoMay:
    def test_those_who_may_not_read_the_case_get_404(self, agent, other_agent, trainee, supervisor, submit, upload,
                                                     samples):  # fmt: skip
        case = submit(agent)  # pending: its author's and supervisors' only
        item = upload(agent, case["id"], samples["jpg"]).json()
        for outsider in (other_agent, trainee):
            assert outsider.get(item["url"]).status_code == 404
            assert outsider.get(item["thumbnail_url"]).status_code == 404
            assert outsider.get(f"/api/cases/{case['id']}/attachments").status_code == 404
            assert outsider.delete(item["url"]).status_code == 404
            assert upload(outsider, case["id"], samples["jpg"]).status_code in (403, 404)
        assert agent.get(item["url"]).status_code == 200
        assert supervisor.get(item["url"]).status_code == 200

    def test_without_a_token_401(self, client, approved_case, supervisor, upload, samples):
        item = upload(supervisor, approved_case["id"], samples["jpg"]).json()
        assert client.get(item["url"]).status_code == 401

    def test_a_reader_who_did_not_write_the_case_may_not_attach_or_remove(
        self, approved_case, supervisor, other_agent, trainee, upload, samples
    ):
        item = upload(supervisor, approved_case["id"], samples["jpg"]).json()
        for reader in (other_agent, trainee):
            assert upload(reader, approved_case["id"], samples["jpg"]).status_code == 403
            assert reader.delete(item["url"]).status_code == 403
            assert reader.post(f"{item['url']}/approve").status_code == 403

    def test_an_archived_case_s_evidence_is_hidden_with_it(self, approved_case, supervisor, trainee, upload, samples):
        item = upload(supervisor, approved_case["id"], samples["jpg"]).json()
        supervisor.post(f"/api/cases/{approved_case['id']}/archive")
        assert trainee.get(item["url"]).status_code == 404


class TestApproval:
    def test_an_author_s_evidence_is_approved_with_the_case(self, agent, other_agent, supervisor, submit, upload,
                                                           samples):  # fmt: skip
        case = submit(agent)
        item = upload(agent, case["id"], samples["png"], "banner.png").json()
        assert item["status"] == "pending"
        queue = supervisor.get("/api/attachments/pending").json()["items"]
        assert queue == [], "a pending case's evidence waits with the case, not in this list"
        supervisor.post(f"/api/cases/{case['id']}/review", json=REVIEW)
        listed = other_agent.get(f"/api/cases/{case['id']}/attachments").json()["items"]
        assert [(entry["id"], entry["status"], entry["approved_by"]) for entry in listed] == [
            (item["id"], "approved", "sup_zhang")
        ]
        assert other_agent.get(item["url"]).status_code == 200

    def test_a_rejected_case_keeps_its_evidence_pending(self, agent, supervisor, submit, upload, samples):
        case = submit(agent)
        item = upload(agent, case["id"], samples["png"]).json()
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "reject", "comment": "请补充"})
        assert agent.get(f"/api/cases/{case['id']}/attachments").json()["items"][0]["status"] == "pending"
        assert item["id"]

    def test_evidence_added_to_an_approved_case_waits_for_a_supervisor(self, approved_case, agent, other_agent,
                                                                      supervisor, upload, samples):  # fmt: skip
        item = upload(agent, approved_case["id"], samples["webm"], "thanks.webm").json()
        assert item["status"] == "pending"
        assert other_agent.get(item["url"]).status_code == 404
        assert other_agent.get(f"/api/cases/{approved_case['id']}/attachments").json()["items"] == []
        assert [e["id"] for e in supervisor.get("/api/attachments/pending").json()["items"]] == [item["id"]]
        approved = supervisor.post(f"{item['url']}/approve")
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert other_agent.get(item["url"]).status_code == 200
        assert supervisor.get("/api/attachments/pending").json()["items"] == []

    def test_the_author_removes_their_evidence_and_its_bytes(self, app, approved_case, agent, upload, samples):
        item = upload(agent, approved_case["id"], samples["pdf"], "letter.pdf").json()
        assert agent.delete(item["url"]).status_code == 204
        assert agent.get(item["url"]).status_code == 404
        assert stored_rows(app) == (0, 0)

    def test_only_supervisors_approve(self, approved_case, agent, upload, samples):
        item = upload(agent, approved_case["id"], samples["jpg"]).json()
        assert agent.post(f"{item['url']}/approve").status_code == 403
        assert agent.get("/api/attachments/pending").status_code == 403
