"""Helpers for metrics tests: put recorded activity at chosen instants (UTC, as stored)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from heatcases import db
from heatcases.metrics import rollup
from heatcases.models import Case, CaseEvent, CaseView, Impression, SearchQuery


def utc(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    """Moves what the API recorded to the instants a test needs."""

    def __init__(self, engine):
        self.engine = engine

    def _run(self, statement) -> None:
        """Run an UPDATE, then roll the views up again: moved views belong to other hours now."""
        with db.session_scope(self.engine) as session:
            session.execute(statement)
            rollup.rebuild(session.connection())
            session.commit()

    def submitted(self, case_id: int, when: str) -> None:
        self._run(update(Case).where(Case.id == case_id).values(created_at=utc(when)))
        self._run(
            update(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.action == "submit")
            .values(created_at=utc(when))
        )

    def event(self, case_id: int, action: str, when: str) -> None:
        self._run(
            update(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.action == action)
            .values(created_at=utc(when))
        )

    def views(self, case_id: int, when: str) -> None:
        self._run(update(CaseView).where(CaseView.case_id == case_id).values(viewed_at=utc(when)))

    def impressions(self, case_id: int, when: str) -> None:
        self._run(update(Impression).where(Impression.case_id == case_id).values(shown_at=utc(when)))

    def searches(self, when: str) -> None:
        self._run(update(SearchQuery).values(searched_at=utc(when)))

    def everything(self, when: str) -> None:
        """Every recorded row at one instant (one case's story inside one period)."""
        for model, column in ((Case, "created_at"), (CaseEvent, "created_at"), (CaseView, "viewed_at"),
                              (Impression, "shown_at"), (SearchQuery, "searched_at")):  # fmt: skip
            self._run(update(model).values({column: utc(when)}))


@pytest.fixture
def clock(app) -> Clock:
    return Clock(app.state.engine)


@pytest.fixture
def summary(supervisor):
    """summary(from, to, **params) -> the JSON summary, asserting 200."""

    def get(date_from: str, date_to: str, **params) -> dict:
        response = supervisor.get("/api/metrics/summary", params={"from": date_from, "to": date_to, **params})
        assert response.status_code == 200, response.text
        return response.json()

    return get
