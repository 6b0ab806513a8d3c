"""The "most viewed" order: counts read from the database, each process on its own, a few seconds late."""

from __future__ import annotations

import time

import numpy as np
from sqlalchemy import update

from heatcases import db
from heatcases.models import Case
from heatcases.search.views import ViewCounts


def approve(supervisor, case_id: int) -> None:
    response = supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve", "comment": "好"})
    assert response.status_code == 200, response.text


def most_viewed(actor) -> list[int]:
    return [hit["id"] for hit in actor.get("/api/search", params={"sort": "views"}).json()["hits"]]


def test_views_reach_the_most_viewed_order_within_the_refresh_period(app, trainee, supervisor, agent, submit):
    older, newer = submit(agent, title="行李延误的安抚"), submit(agent, title="航班取消后的改签")
    for case in (older, newer):
        approve(supervisor, case["id"])
    assert most_viewed(trainee) == [newer["id"], older["id"]]  # no views yet: the newest first
    for reader in (trainee, supervisor):
        reader.get(f"/api/cases/{older['id']}")
    supervisor.get(f"/api/cases/{newer['id']}")
    deadline = time.monotonic() + 10  # the tests' refresh period is 0.5 s
    while (order := most_viewed(trainee)) != [older["id"], newer["id"]]:
        assert time.monotonic() < deadline, order
        time.sleep(0.1)


def test_counts_of_views_made_by_another_process_are_read_after_the_period(app, trainee, supervisor, agent, submit):
    case = submit(agent, title="航班取消后的改签")
    approve(supervisor, case["id"])
    counts = ViewCounts(app.state.engine, every=0.3)  # another worker's, on the same database
    ids = np.array([case["id"], case["id"] + 1000], dtype=np.int64)
    assert counts.of(ids).tolist() == [0, 0]
    trainee.get(f"/api/cases/{case['id']}")
    supervisor.get(f"/api/cases/{case['id']}")
    assert counts.of(ids).tolist() == [0, 0]  # within the period: what was read
    time.sleep(0.35)
    assert counts.of(ids).tolist() == [2, 0]


def test_a_count_changed_without_a_view_is_read_at_the_next_full_read(app, supervisor, agent, submit, monkeypatch):
    case = submit(agent, title="航班取消后的改签")
    approve(supervisor, case["id"])
    counts = ViewCounts(app.state.engine, every=0)
    assert counts.of(np.array([case["id"]])).tolist() == [0]
    with db.session_scope(app.state.engine) as session:  # e.g. the demo's reading history, loaded at once
        session.execute(update(Case).where(Case.id == case["id"]).values(views=7))
        session.commit()
    assert counts.of(np.array([case["id"]])).tolist() == [0]  # no view row since: not in the recent read
    monkeypatch.setattr("heatcases.search.views.FULL_READ_SECONDS", 0)
    deadline = time.monotonic() + 5  # the full read runs on a thread of its own
    while (found := counts.of(np.array([case["id"]])).tolist()) != [7] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert found == [7]
