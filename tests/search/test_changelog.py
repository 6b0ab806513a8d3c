"""The change log that every index replica follows: order, cursors, pruning, a replica gone too long."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from heatcases.db import utcnow
from heatcases.models import Case, SearchChange, SearchReplica
from heatcases.search import changelog, sync
from heatcases.search.changelog import Position
from heatcases.search.index import PENDING_NOTE_FILE, SearchIndex
from heatcases.search.sync import IndexSyncer
from tests.hardening import indexed_ids


def approve(supervisor, case_id: int) -> None:
    response = supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve", "comment": "好"})
    assert response.status_code == 200, response.text


def found(actor, q: str) -> list[int]:
    return [hit["id"] for hit in actor.get("/api/search", params={"q": q}).json()["hits"]]


@pytest.fixture
def replica(app, tmp_path):
    """A second replica of the same database in its own folder (another machine's), rebuilt at start."""
    index = SearchIndex(tmp_path / "other-machine" / "index")
    sync.rebuild(app.state.engine, index)
    return IndexSyncer(app.state.engine, index)


def test_a_change_committed_late_with_a_lower_id_is_not_skipped(app, replica, agent, supervisor, submit):
    """On PostgreSQL the transaction that took the lower id may commit last: the reader must still see it."""
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: its ids commit in order")
    early, late = (submit(agent, title=f"迟到提交的第{n}个案例")["id"] for n in (1, 2))
    first = engine.connect()  # takes the lower id, commits second
    second = engine.connect()
    try:
        first.begin()
        changelog.record(first, [early])
        second.begin()
        changelog.record(second, [late])
        second.commit()

        with engine.connect() as reader:
            batch = changelog.read(reader, Position(), limit=500)
        assert batch.case_ids == {late}  # the first transaction is still running: its row is not visible yet
        first.commit()
        with engine.connect() as reader:
            ids = dict(reader.execute(select(SearchChange.case_id, SearchChange.id)).all())
            assert ids[early] < ids[late]  # they committed in the opposite order of their ids
            after = changelog.read(reader, batch.position, limit=500)
            assert after.case_ids == {early}  # not skipped although its id is below the one read before
            assert changelog.read(reader, after.position, limit=500).case_ids == set()  # nor read twice
            assert changelog.waiting(reader, after.position) == (0, 0.0)
    finally:
        first.close()
        second.close()


def test_a_replica_follows_two_approvals_committed_out_of_order(app, replica, agent, supervisor, submit):
    """The same, end to end: another machine's index finds both cases, each written once."""
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: its ids commit in order")
    early, late = (submit(agent, title=f"乱序提交的第{n}个案例")["id"] for n in (1, 2))
    first, second = engine.connect(), engine.connect()
    try:
        first.begin()
        first.execute(update(Case).where(Case.id == early).values(status="approved"))
        changelog.record(first, [early])
        second.begin()
        second.execute(update(Case).where(Case.id == late).values(status="approved"))
        changelog.record(second, [late])
        second.commit()
        assert replica.drain().changes == 1
        assert indexed_ids(replica.index.path) == [late]
        first.commit()
        assert replica.drain().changes == 1
        assert sorted(indexed_ids(replica.index.path)) == [early, late]
        assert replica.drain().changes == 0 and replica.pending() == 0
    finally:
        first.close()
        second.close()


def test_every_replica_reads_every_change_and_the_log_is_pruned_behind_the_slowest(
    app, replica, agent, supervisor, trainee, submit
):
    case = submit(agent, title="两台机器都要找到的案例")
    approve(supervisor, case["id"])  # applied at once by this server's replica
    assert found(trainee, "两台机器") == [case["id"]]
    assert replica.pending() == 1  # the other machine has not read it yet: the row stays for it
    with Session(app.state.engine) as session:
        assert session.exec(select(SearchChange.case_id)).all() == [case["id"]]

    app.state.search.syncer._report(force=True)  # both replicas report; the other one is behind
    replica._report(force=True)
    with Session(app.state.engine) as session:
        assert session.exec(select(SearchChange.case_id)).all() == [case["id"]]
        assert len(session.exec(select(SearchReplica)).all()) == 2

    assert replica.drain().changes == 1
    assert indexed_ids(replica.index.path) == [case["id"]]
    replica._report(force=True)  # now every replica has passed the row: it goes
    with Session(app.state.engine) as session:
        assert session.exec(select(SearchChange)).all() == []


def test_a_replica_away_longer_than_the_log_keeps_rebuilds_itself(app, replica, agent, supervisor, trainee, submit):
    case = submit(agent, title="离开太久的机器回来后也能找到")
    approve(supervisor, case["id"])
    replica._report(force=True)
    with Session(app.state.engine) as session:  # the other machine has not been seen for two days
        session.exec(
            update(SearchReplica)
            .where(SearchReplica.folder == str(replica.index.path.resolve()))
            .values(seen_at=utcnow() - timedelta(days=2))
        )
        session.commit()
    app.state.search.syncer._report(force=True)  # prunes: the log no longer waits for it
    with Session(app.state.engine) as session:
        assert session.exec(select(SearchChange)).all() == []
        assert len(session.exec(select(SearchReplica)).all()) == 1

    back = IndexSyncer(app.state.engine, SearchIndex(replica.index.path))
    assert back.needs_rebuild() == "away longer than the change log keeps"
    back.catch_up()
    assert indexed_ids(back.index.path) == [case["id"]]
    assert back.needs_rebuild() is None and back.pending() == 0


def test_a_note_whose_index_commit_was_interrupted_is_dropped_and_one_committed_is_kept(app, replica):
    index = replica.index
    before = index.note()

    def generation() -> int:
        return index.index().latest_generation()

    with index.updating(timeout=1) as update_:
        update_.note = {**before, "position": Position(None, 99).public()}
        # killed after writing the pending note, before the index commit: nothing was committed
    pending = {"note": {"position": Position(None, 7).public()}}
    (index.path / PENDING_NOTE_FILE).write_text(json.dumps({**pending, "generation": generation() + 1}))
    with index.updating(timeout=1) as update_:
        assert update_.note["position"]["id"] == 99  # the uncommitted pending note was dropped
    assert not (index.path / PENDING_NOTE_FILE).exists()
    pending = {"note": {"position": Position(None, 5).public()}}
    # killed after the index commit, before settling its note: the commit happened, the note holds
    (index.path / PENDING_NOTE_FILE).write_text(json.dumps({**pending, "generation": generation()}))
    with index.updating(timeout=1) as update_:
        assert update_.note["position"]["id"] == 5


def test_an_index_copied_from_another_machine_follows_the_log_as_a_replica_of_its_own(
    app, replica, agent, supervisor, trainee, submit, tmp_path
):
    """A new machine may start from a copy of another's index folder (quicker than a rebuild)."""
    case = submit(agent, title="复制索引之后批准的案例")
    copy = tmp_path / "new-machine" / "index"
    shutil.copytree(replica.index.path, copy)
    approve(supervisor, case["id"])
    joined = IndexSyncer(app.state.engine, SearchIndex(copy))
    assert joined.needs_rebuild() is None  # it reads on from the copy's cursor instead
    joined.catch_up()
    assert indexed_ids(copy) == [case["id"]]
    assert sync.replica_of(joined.index) not in (None, sync.replica_of(replica.index))
    with Session(app.state.engine) as session:
        assert len(session.exec(select(SearchReplica)).all()) == 3  # this server's, the other one's, the copy's
