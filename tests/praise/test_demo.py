"""The demo's praise evidence: a thank-you letter and a thank-you video, approved with their cases."""

from __future__ import annotations

from heatcases import db
from heatcases.demo import DEMO_PASSWORD, load_demo


def test_the_demo_attaches_a_letter_and_a_video_approved_with_their_cases(app, client):
    with db.session_scope(app.state.engine) as session:
        load_demo(session)
    token = client.post("/api/auth/token", json={"username": "trainee_xu", "password": DEMO_PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    cases = client.get("/api/cases?per_page=100", headers=headers).json()["items"]
    evidence = [
        item
        for case in cases
        for item in client.get(f"/api/cases/{case['id']}/attachments", headers=headers).json()["items"]
    ]
    assert sorted((item["kind"], item["status"]) for item in evidence) == [("image", "approved"), ("video", "approved")]
    video = next(item for item in evidence if item["kind"] == "video")
    ranged = client.get(video["url"], headers={**headers, "Range": "bytes=0-1023"})
    assert ranged.status_code == 206 and ranged.headers["content-type"] == "video/webm"
    supervisor = client.post("/api/auth/token", json={"username": "sup_zhang", "password": DEMO_PASSWORD}).json()
    summary = client.get(
        "/api/metrics/summary?preset=90d", headers={"Authorization": f"Bearer {supervisor['access_token']}"}
    )
    assert summary.json()["praise_evidence"]["current"]["cases"] >= 1
