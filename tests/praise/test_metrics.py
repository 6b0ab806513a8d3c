"""The metrics' praise evidence: approved cases with the customer's praise attached, by kind, per period."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import update

from heatcases import db
from heatcases.db import utcnow
from heatcases.models import CaseAttachment

REVIEW = {"decision": "approve", "comment": "好案例"}


def backdate(app, attachment_id: int, days: int) -> None:
    with db.session_scope(app.state.engine) as session:
        session.execute(
            update(CaseAttachment)
            .where(CaseAttachment.id == attachment_id)
            .values(approved_at=utcnow() - timedelta(days=days))
        )
        session.commit()


def test_cases_with_approved_evidence_count_by_kind(app, agent, supervisor, submit, upload, samples):
    letter_and_video = submit(agent)
    supervisor.post(f"/api/cases/{letter_and_video['id']}/review", json=REVIEW)
    upload(supervisor, letter_and_video["id"], samples["jpg"], "letter.jpg")
    upload(supervisor, letter_and_video["id"], samples["png"], "second-letter.png")  # the same case and kind
    upload(supervisor, letter_and_video["id"], samples["webm"], "thanks.webm")
    pdf_case = submit(agent, title="另一个案例：客人写来感谢信")
    upload(agent, pdf_case["id"], samples["pdf"], "letter.pdf")
    waiting = submit(agent, title="还在等审核的案例")
    upload(agent, waiting["id"], samples["jpg"])  # pending with its case: not counted
    approved_case_pending_evidence = submit(agent, title="已通过但证据未审核")
    supervisor.post(f"/api/cases/{approved_case_pending_evidence['id']}/review", json=REVIEW)
    upload(agent, approved_case_pending_evidence["id"], samples["mp4"], "thanks.mp4")  # waits: not counted
    supervisor.post(f"/api/cases/{pdf_case['id']}/review", json=REVIEW)  # approves its PDF with it
    old = upload(supervisor, pdf_case["id"], samples["webm"], "old.webm").json()
    backdate(app, old["id"], 40)  # approved in the previous 30 days: the PDF case's first evidence

    evidence = supervisor.get("/api/metrics/summary").json()["praise_evidence"]
    # The PDF case counted when its first evidence (the old video) was approved: in the previous period; its PDF,
    # its first of that kind, in this one.
    assert evidence["current"] == {"cases": 1, "image": 1, "pdf": 1, "video": 1}
    assert evidence["previous"] == {"cases": 1, "image": 0, "pdf": 0, "video": 1}
    assert evidence["change_pct"] == {"cases": 0.0, "image": None, "pdf": None, "video": 0.0}

    html = BeautifulSoup(supervisor.client.get("/dashboard").text, "html.parser")  # no cookie: not logged in
    assert html.select_one("[data-evidence-figure]") is None


def test_the_dashboard_shows_them(agent, supervisor, approved_case, upload, samples, browser):
    upload(supervisor, approved_case["id"], samples["webm"], "thanks.webm")
    html = BeautifulSoup(browser(supervisor.username).get("/dashboard").text, "html.parser")
    figures = {node["data-evidence-figure"]: node.text.strip() for node in html.select("[data-evidence-figure]")}
    assert figures == {"cases": "1", "image": "0", "pdf": "0", "video": "1"}


def test_a_team_sees_its_own(supervisor, approved_case, upload, samples, make_actor):
    upload(supervisor, approved_case["id"], samples["jpg"])
    assert supervisor.get("/api/metrics/summary?team=一组").json()["praise_evidence"]["current"]["cases"] == 1
    make_actor("agent", team="二组")
    assert supervisor.get("/api/metrics/summary?team=二组").json()["praise_evidence"]["current"]["cases"] == 0


def test_a_case_whose_praise_is_attached_counts_as_praised(agent, supervisor, submit, upload, samples):
    """``praised`` (the headline figure, the breakdowns, the trend): cases whose author named a praise, and those
    whose praise a supervisor approved as evidence; a case with both, or with several files, counts once."""
    named = submit(agent, title="作者写明了表扬的案例", praise="letter")
    attached = submit(agent, title="后来附上感谢信的案例", praise=None)
    both = submit(agent, title="既写明又附上表扬的案例", praise="video")
    waiting = submit(agent, title="表扬证据还没审核的案例", praise=None)
    for case in (named, attached, both, waiting):
        supervisor.post(f"/api/cases/{case['id']}/review", json=REVIEW)
    upload(supervisor, attached["id"], samples["jpg"], "letter.jpg")
    upload(supervisor, attached["id"], samples["pdf"], "letter.pdf")
    upload(supervisor, both["id"], samples["webm"], "thanks.webm")
    upload(agent, waiting["id"], samples["jpg"], "pending.jpg")  # not approved yet: not counted
    summary = supervisor.get("/api/metrics/summary").json()
    assert summary["current"]["submissions"] == 4 and summary["current"]["praised"] == 3
    assert sum(bucket["praised"] for bucket in supervisor.get("/api/metrics/trend").json()["buckets"]) == 3
