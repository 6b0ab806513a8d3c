"""The hourly view rollup heals itself: a server start and `heatcases rollup` rebuild it from the views."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from heatcases import db
from heatcases.app import create_app
from heatcases.cli import app as cli
from heatcases.models import CaseView, User, ViewStat


def rolled_views(engine) -> int:
    with db.session_scope(engine) as session:
        return session.execute(select(func.sum(ViewStat.views)).where(ViewStat.dimension == "all")).scalar() or 0


@pytest.fixture
def bulk_views(app, approved_case, trainee, supervisor) -> int:
    """Three views written straight into case_view, as a bulk load does, bypassing the rollup."""
    with db.session_scope(app.state.engine) as session:
        readers = session.execute(select(User.id).where(User.username.in_([trainee.username, supervisor.username])))
        reader_ids = list(readers.scalars())
        rows = [{"case_id": approved_case["id"], "user_id": user_id, "viewed_at": db.utcnow()}
                for user_id in (*reader_ids, reader_ids[0])]  # fmt: skip
        session.execute(insert(CaseView.__table__), rows)
        session.commit()
    assert rolled_views(app.state.engine) == 0
    return len(rows)


def test_a_server_start_rebuilds_a_rollup_that_misses_views(settings, app, bulk_views, supervisor):
    with TestClient(create_app(settings)) as restarted:
        body = restarted.get("/api/metrics/summary", headers=supervisor.headers).json()
    assert rolled_views(app.state.engine) == bulk_views
    assert body["by_tag"]["heartwarming"]["views"] == bulk_views


def test_the_rollup_command_rebuilds_it(settings, app, bulk_views, monkeypatch):
    monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["rollup"])
    assert result.exit_code == 0, result.output
    assert "rolled up" in result.output
    assert rolled_views(app.state.engine) == bulk_views
