"""Reports only read: on SQLite a long report never holds the write lock that views and submissions need."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from heatcases.models import Case


def test_a_report_in_progress_does_not_hold_up_a_submission(app, agent, submit):
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never block writers")
    done = threading.Event()
    with app.state.read_engine.connect() as report:
        report.begin()
        assert report.execute(select(func.count()).select_from(Case)).scalar_one() == 0  # a report's snapshot
        writer = threading.Thread(target=lambda: (submit(agent), done.set()))
        writer.start()
        # With the write lock held by the report, the submission would wait for the 30 s busy timeout.
        assert done.wait(timeout=5), "the submission waited for the report"
        assert report.execute(select(func.count()).select_from(Case)).scalar_one() == 0  # still its snapshot
    writer.join()


def test_a_slow_report_over_http_does_not_hold_up_a_submission(app, client, supervisor, agent, submit, monkeypatch):
    """The whole request path: the caller's token lookup must not keep the write lock while the report runs."""
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never block writers")
    from heatcases.metrics import summary as metrics_summary

    started, release = threading.Event(), threading.Event()
    original = metrics_summary.summary

    def slow_summary(*args, **kwargs):
        started.set()
        release.wait(timeout=10)
        return original(*args, **kwargs)

    monkeypatch.setattr(metrics_summary, "summary", slow_summary)
    report = threading.Thread(target=lambda: supervisor.get("/api/metrics/summary"))
    report.start()
    assert started.wait(timeout=5)
    done = threading.Event()
    writer = threading.Thread(target=lambda: (submit(agent), done.set()))
    writer.start()
    try:
        assert done.wait(timeout=5), "the submission waited for the report's request"
    finally:
        release.set()
        report.join()
        writer.join()
