"""The hourly rollup (``view_stat``): kept with every counted view and impression, rebuildable from them.

Per-period views (in all and per team, HEAT value and business line) and impressions read a few hundred
rollup rows per day instead of every event. Rows are keyed by UTC hour; ``split`` cuts a period into the
whole hours the rollup answers and the partial hours at its ends that the raw rows answer, so figures are
exact in every time zone.
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, String, cast, delete, event, func, insert, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from heatcases.models import Case, CaseTag, CaseView, Impression, ViewStat

MEASURES = ("views", "opened", "impressions")
HOUR = timedelta(hours=1)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def split(bounds: tuple[datetime, datetime]):
    """([whole hours] or None, [partial edges]) covering ``bounds`` exactly."""
    low, high = bounds
    first = hour_of(low) if hour_of(low) == low else hour_of(low) + HOUR
    last = hour_of(high)
    if first >= last:
        return None, [bounds]
    edges = [edge for edge in ((low, first), (last, high)) if edge[0] < edge[1]]
    return (first, last), edges


@functools.cache
def _upsert(dialect: str):
    """The statement adding to rollup rows, built once per dialect (it runs with every search and view)."""
    module = postgresql if dialect == "postgresql" else sqlite
    table = ViewStat.__table__
    statement = module.insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.hour, table.c.dimension, table.c.key],
        set_={name: table.c[name] + statement.excluded[name] for name in MEASURES},
    )


def _add(connection: Connection, rows: list[dict]) -> None:
    """Add to rollup rows, creating them as needed (in key order, so concurrent writers never deadlock)."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda r: (r["hour"], r["dimension"], r["key"]))
    connection.execute(
        _upsert(connection.dialect.name), [{"views": 0, "opened": 0, "impressions": 0, **row} for row in ordered]
    )


def _view_rows(connection: Connection, views: list[CaseView]) -> list[dict]:
    """The rollup increments of some new views."""
    case_ids = {view.case_id for view in views}
    facts = {
        case_id: (team_id, line)
        for case_id, team_id, line in connection.execute(
            select(Case.id, Case.team_id, Case.business_line).where(Case.id.in_(case_ids))
        )
    }
    tags: dict[int, list[str]] = {}
    for case_id, tag in connection.execute(select(CaseTag.case_id, CaseTag.tag).where(CaseTag.case_id.in_(case_ids))):
        tags.setdefault(case_id, []).append(tag)
    counts: Counter = Counter()
    for view in views:
        team_id, line = facts.get(view.case_id, (None, None))
        keys = [("all", ""), ("team", "" if team_id is None else str(team_id)), ("line", line or "")]
        keys += [("tag", tag) for tag in tags.get(view.case_id, [])]
        for dimension, key in keys:
            counts[(hour_of(view.viewed_at), dimension, key, "views")] += 1
            if view.impression_id is not None:
                counts[(hour_of(view.viewed_at), dimension, key, "opened")] += 1
    return _merge(counts)


def _merge(counts: Counter) -> list[dict]:
    merged: dict[tuple, dict] = {}
    for (hour, dimension, key, measure), count in counts.items():
        merged.setdefault((hour, dimension, key), {"hour": hour, "dimension": dimension, "key": key})[measure] = count
    return list(merged.values())


@event.listens_for(OrmSession, "after_flush")
def _count_views(session: OrmSession, _flush_context) -> None:
    views = [obj for obj in session.new if isinstance(obj, CaseView)]
    if views:
        connection = session.connection()
        _add(connection, _view_rows(connection, views))


@event.listens_for(OrmSession, "do_orm_execute")
def _count_impressions(state: ORMExecuteState) -> None:
    """Impressions are inserted in bulk (``insert(Impression.__table__)``): count them as they go in."""
    if not state.is_insert or getattr(state.statement, "table", None) is not Impression.__table__:
        return
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters] if parameters else []
    counts = Counter((hour_of(row["shown_at"]), "all", "", "impressions") for row in rows if "shown_at" in row)
    if counts:
        _add(state.session.connection(), _merge(counts))


def _hour_expression(connection: Connection, column):
    if connection.dialect.name == "postgresql":
        return func.date_trunc("hour", column, "UTC")
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff', the format the rollup's own rows are written in.
    return func.substr(column, 1, 13).concat(":00:00.000000")


def rebuild(connection: Connection) -> int:
    """Recompute the whole rollup from ``case_view`` and ``search_impression``; returns the rows written.

    Safe while a server records views (on SQLite the transaction holds the database's write lock).
    """
    hour = _hour_expression(connection, CaseView.viewed_at)
    opened = func.count(CaseView.impression_id)
    from_views = select(hour).select_from(CaseView)
    with_case = from_views.join(Case, Case.id == CaseView.case_id)
    views = [
        from_views.add_columns(literal("all"), literal(""), func.count(), opened).group_by(hour),
        with_case.add_columns(
            literal("team"), func.coalesce(cast(Case.team_id, String), ""), func.count(), opened
        ).group_by(hour, Case.team_id),
        with_case.add_columns(literal("line"), Case.business_line, func.count(), opened).group_by(
            hour, Case.business_line
        ),
        from_views.join(CaseTag, CaseTag.case_id == CaseView.case_id)
        .add_columns(literal("tag"), CaseTag.tag, func.count(), opened)
        .group_by(hour, CaseTag.tag),
    ]
    table = ViewStat.__table__
    if connection.dialect.name == "postgresql":
        # Views recorded meanwhile wait, then add to the rebuilt rows: none is lost or counted twice.
        connection.execute(text("LOCK TABLE view_stat IN EXCLUSIVE MODE"))
    connection.execute(delete(table))
    for source in views:
        connection.execute(insert(table).from_select(["hour", "dimension", "key", "views", "opened"], source))
    shown = _hour_expression(connection, Impression.shown_at)
    per_hour = connection.execute(select(shown, func.count()).group_by(shown)).all()
    counts = Counter()
    for hour_value, count in per_hour:
        moment = (
            hour_value if isinstance(hour_value, datetime) else datetime.fromisoformat(hour_value).replace(tzinfo=UTC)
        )
        counts[(moment, "all", "", "impressions")] = count
    _add(connection, _merge(counts))
    return connection.execute(select(func.count()).select_from(table)).scalar_one()


def in_step(connection: Connection) -> bool:
    """Whether the rollup holds every counted view and impression (bulk loads and hand edits bypass it)."""
    views = connection.execute(select(func.count()).select_from(CaseView)).scalar_one()
    impressions = connection.execute(select(func.count()).select_from(Impression)).scalar_one()
    rolled = connection.execute(
        select(func.coalesce(func.sum(ViewStat.views), 0), func.coalesce(func.sum(ViewStat.impressions), 0)).where(
            ViewStat.dimension == "all"
        )
    ).one()
    return (views, impressions) == tuple(rolled)


def catch_up(engine: Engine) -> bool:
    """Rebuild the rollup when it disagrees with the events; True when it had to (run at server start)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(4242002)"))  # one starting worker rebuilds
        if in_step(connection):
            return False
        rebuild(connection)
        return True
