"""GET /healthz and GET /readyz, which a load balancer asks without logging in; `heatcases index status`."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from heatcases.app import create_app
from heatcases.cli import app as cli
from heatcases.config import Settings


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_once_the_index_has_caught_up(client, agent, supervisor, submit):
    case = submit(agent)
    supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": "好"})
    body = client.get("/readyz").json()
    assert client.get("/readyz").status_code == 200
    assert body["ready"] and body["database"] and body["index_current"] and body["caught_up"]
    assert body["documents"] == 1 and body["lag_changes"] == 0 and body["lag_seconds"] == 0


def test_readyz_is_not_ready_before_the_index_is_built(settings):
    """A new machine: an empty data folder, the index not yet built (its start-up has not run)."""
    fresh = create_app(settings.model_copy(update={"data_dir": settings.data_dir / "new-machine"}))
    web = TestClient(fresh)  # without `with`: the start-up that builds the index does not run
    response = web.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] and not response.json()["index_current"] and not response.json()["ready"]
    fresh.state.engine.dispose()


def test_readyz_says_when_the_database_does_not_answer(settings, tmp_path):
    broken = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", data_dir=tmp_path,
                      secret_key=settings.secret_key)  # fmt: skip
    fresh = create_app(broken)
    response = TestClient(fresh).get("/readyz")
    assert response.status_code == 503 and response.json()["database"] is False
    assert TestClient(fresh).get("/healthz").status_code == 200  # alive all the same
    fresh.state.engine.dispose()


def test_index_status_prints_cases_and_changes_waiting(app, settings, agent, supervisor, submit, monkeypatch):
    case = submit(agent)
    supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": "好"})
    for name, value in (
        ("HEATCASES_DATABASE_URL", settings.database_url),
        ("HEATCASES_DATA_DIR", str(settings.data_dir)),
    ):
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["index", "status"])
    assert result.exit_code == 0, result.output
    assert "1 cases" in result.output and "changes not yet in it: 0" in result.output
    assert "cursor: none" not in result.output and "replicas of this database (1)" in result.output
    assert f"{settings.data_dir.resolve() / 'index'}: " in result.output  # as it last reported (every 30 s)
    shutil.rmtree(app.state.search.index.path)
    result = CliRunner().invoke(cli, ["index", "status"])
    assert result.exit_code == 1 and "missing" in result.output
