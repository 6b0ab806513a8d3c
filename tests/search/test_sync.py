"""The index follows the database through the change log, and catches up after failures."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from heatcases.app import create_app
from heatcases.cli import app as cli
from heatcases.models import SearchChange, SearchReplica
from heatcases.search.changelog import SYNCER_ATTRIBUTE
from heatcases.search.index import SearchIndex


@contextlib.contextmanager
def logged(name: str):
    """The messages a logger writes meanwhile (whatever another test did to the logging configuration)."""
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def logged_changes(app) -> list[int]:
    """The cases of the change log's rows, oldest first."""
    with Session(app.state.engine) as session:
        return list(session.exec(select(SearchChange.case_id).order_by(SearchChange.id)))


def unapplied(app) -> int:
    """Changes of the log this process's index replica has not applied."""
    return app.state.search.syncer.pending()


def found(actor, q: str) -> list[int]:
    response = actor.get("/api/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


def approve(supervisor, case_id: int):
    response = supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve", "comment": "好"})
    assert response.status_code == 200, response.text


class TestQueue:
    def test_an_approval_is_searchable_when_its_response_returns_and_the_replica_has_passed_it(
        self, app, trainee, agent, supervisor, submit
    ):
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")
        approve(supervisor, case["id"])
        assert found(trainee, "独门秘籍") == [case["id"]]
        assert unapplied(app) == 0

    def test_a_failed_index_write_is_retried_and_reported(self, app, trainee, agent, supervisor, submit, monkeypatch):
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")

        def broken(self, **kwargs):
            raise OSError("disk full")

        monkeypatch.setattr(SearchIndex, "updating", broken)
        approve(supervisor, case["id"])  # the approval itself succeeds: the database is the truth
        assert found(trainee, "独门秘籍") == []
        assert unapplied(app) == 1
        with Session(app.state.engine) as session:  # the operator sees why (heatcases index status)
            assert "disk full" in session.exec(select(SearchReplica.last_error)).one()

        monkeypatch.undo()
        app.state.search.syncer.drain()
        assert found(trainee, "独门秘籍") == [case["id"]]
        assert unapplied(app) == 0
        with Session(app.state.engine) as session:
            assert session.exec(select(SearchReplica.last_error)).one() is None

    def test_a_busy_index_is_caught_up_by_the_background_thread(self, app, trainee, agent, supervisor, submit):
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")
        index = app.state.search.index
        lock = index.index().lock("WRITELOCK")
        assert lock.acquire()  # another process is writing
        try:
            app.state.search.syncer.lock_timeout = 0.1
            approve(supervisor, case["id"])
            assert found(trainee, "独门秘籍") == []
        finally:
            lock.release()
        for _ in range(100):
            if found(trainee, "独门秘籍"):
                break
            time.sleep(0.05)
        assert found(trainee, "独门秘籍") == [case["id"]]

    def test_changes_missed_by_a_crash_are_applied_when_the_server_starts(
        self, app, settings, trainee, agent, supervisor, submit
    ):
        """A process killed between its commit and its index write: the next start reads on from its cursor."""
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")
        app.state.search.stop()  # this process will "die" before writing the index: nothing applies the log
        delattr(app.state.engine, SYNCER_ATTRIBUTE)
        approve(supervisor, case["id"])
        assert unapplied(app) == 1
        assert found(trainee, "独门秘籍") == []
        restarted = create_app(settings)
        with TestClient(restarted) as web:
            hits = wait_for_hits(web, trainee, "独门秘籍")
        assert hits == [case["id"]]
        assert unapplied(restarted) == 0
        restarted.state.engine.dispose()


def wait_for_hits(web, actor, q: str) -> list[int]:
    headers = {"Authorization": f"Bearer {actor.token}"}
    hits = []
    for _ in range(200):
        hits = [hit["id"] for hit in web.get("/api/search", params={"q": q}, headers=headers).json()["hits"]]
        if hits:
            break
        time.sleep(0.05)
    return hits


class TestRebuild:
    @pytest.fixture
    def run(self, settings, monkeypatch):
        monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
        return lambda *args: CliRunner().invoke(cli, list(args))

    def test_reindex_rebuilds_a_lost_index_from_the_database(self, run, app, trainee, agent, supervisor, submit):
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")
        approve(supervisor, case["id"])
        archived = submit(agent, title="独门秘籍之二（已归档）")
        approve(supervisor, archived["id"])
        supervisor.post(f"/api/cases/{archived['id']}/archive")
        shutil.rmtree(app.state.search.index.path)
        assert found(trainee, "独门秘籍") == []
        result = run("reindex", "--procs", "1")
        assert result.exit_code == 0, result.output
        assert "indexed 1 cases" in result.output
        assert found(trainee, "独门秘籍") == [case["id"]]

    def test_a_server_starting_on_a_missing_index_rebuilds_it(self, app, settings, trainee, agent, supervisor, submit):
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")
        approve(supervisor, case["id"])
        shutil.rmtree(app.state.search.index.path)
        restarted = create_app(settings)
        with logged("heatcases.search") as messages, TestClient(restarted) as web:
            assert wait_for_hits(web, trainee, "独门秘籍") == [case["id"]]
        restarted.state.engine.dispose()
        # A first start has no index yet: the log says so, not that another version built one.
        assert [message for message in messages if "no index yet; building it from the database" in message]
        assert not [message for message in messages if "another version" in message]


def test_an_index_from_another_version_is_rebuilt_at_start(app, settings, trainee, agent, supervisor, submit):
    case = submit(agent, title="独门秘籍：接机司机迟到的处理")
    approve(supervisor, case["id"])
    (app.state.search.index.path / "FORMAT").write_text("heatcases-index 1 words 000000000000")
    restarted = create_app(settings)
    with TestClient(restarted) as web:
        assert wait_for_hits(web, trainee, "独门秘籍") == [case["id"]]
        for _ in range(100):
            if restarted.state.search.index.is_current():
                break
            time.sleep(0.05)
    assert restarted.state.search.index.is_current()
    restarted.state.engine.dispose()


class TestWhatIsLogged:
    def test_a_submission_or_an_edit_of_a_pending_case_logs_nothing_and_waits_for_no_index(self, app, agent, submit):
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")
        response = agent.patch(
            f"/api/cases/{case['id']}", json={"title": "独门秘籍：接机司机迟到了怎么办", "tags": ["trust"]}
        )
        assert response.status_code == 200, response.text
        assert logged_changes(app) == []  # search shows neither: nothing for the index to do

    def test_reading_logs_nothing_and_rewrites_no_index_document(self, app, trainee, agent, supervisor, submit):
        case = submit(agent, title="独门秘籍：接机司机迟到的处理")
        approve(supervisor, case["id"])
        documents = app.state.search.index.searcher().reader().doc_count_all()  # deleted copies included
        for reader in (trainee, supervisor):
            assert reader.get(f"/api/cases/{case['id']}").json()["views"] in (1, 2)
        assert logged_changes(app) in ([case["id"]], [])  # the approval's (or none, pruned), nothing more
        assert app.state.search.index.searcher().reader().doc_count_all() == documents
