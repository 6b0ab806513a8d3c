"""The hourly view rollup (``view_stat``): kept up to date with every counted view, rebuildable from ``case_view``.

Per-period views by team, HEAT value and business line read a few hundred rollup rows per day instead of
every view. Rows are keyed by UTC hour, so a period of local days maps onto whole hours (exact for every
time zone whose offset is a whole number of hours, Asia/Shanghai included).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Connection, Engine, String, cast, delete, event, func, insert, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from heatcases.models import Case, CaseTag, CaseView, ViewStat


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _add(connection: Connection, rows: list[dict]) -> None:
    """Add views to rollup rows, creating them as needed (in key order: concurrent writers never deadlock)."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = ViewStat.__table__
    for row in sorted(rows, key=lambda r: (r["hour"], r["dimension"], r["key"])):
        statement = module.insert(table).values(**row)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.hour, table.c.dimension, table.c.key],
                set_={
                    "views": table.c.views + statement.excluded.views,
                    "opened": table.c.opened + statement.excluded.opened,
                },
            )  # fmt: skip
        )


def rows_for(connection: Connection, views: list[CaseView]) -> list[dict]:
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
            counts[(_hour(view.viewed_at), dimension, key, "views")] += 1
            if view.impression_id is not None:
                counts[(_hour(view.viewed_at), dimension, key, "opened")] += 1
    merged: dict[tuple, dict] = {}
    for (hour, dimension, key, measure), count in counts.items():
        row = merged.setdefault((hour, dimension, key), {"hour": hour, "dimension": dimension, "key": key,
                                                          "views": 0, "opened": 0})  # fmt: skip
        row[measure] += count
    return list(merged.values())


@event.listens_for(OrmSession, "after_flush")
def _count_views(session: OrmSession, _flush_context) -> None:
    views = [obj for obj in session.new if isinstance(obj, CaseView)]
    if views:
        connection = session.connection()
        _add(connection, rows_for(connection, views))


def _hour_expression(connection: Connection):
    if connection.dialect.name == "postgresql":
        return func.date_trunc("hour", CaseView.viewed_at, "UTC")
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff', the format the rollup's own rows are written in.
    return func.substr(CaseView.viewed_at, 1, 13).concat(":00:00.000000")


def rebuild(connection: Connection) -> int:
    """Recompute the whole rollup from ``case_view`` (after bulk loads); returns the rows written.

    Safe while a server records views (on SQLite the transaction holds the database's write lock).
    """
    hour = _hour_expression(connection)
    opened = func.count(CaseView.impression_id)
    from_views = select(hour).select_from(CaseView)
    with_case = from_views.join(Case, Case.id == CaseView.case_id)
    sources = [
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
    written = 0
    for source in sources:
        result = connection.execute(insert(table).from_select(["hour", "dimension", "key", "views", "opened"], source))
        written += max(result.rowcount or 0, 0)
    return written


def in_step(connection: Connection) -> bool:
    """Whether the rollup holds every counted view (bulk loads and hand edits bypass it)."""
    views = connection.execute(select(func.count()).select_from(CaseView)).scalar_one()
    rolled = connection.execute(
        select(func.coalesce(func.sum(ViewStat.views), 0)).where(ViewStat.dimension == "all")
    ).scalar_one()
    return views == rolled


def catch_up(engine: Engine) -> bool:
    """Rebuild the rollup when it disagrees with ``case_view``; True when it had to (run at server start)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(4242002)"))  # one starting worker rebuilds
        if in_step(connection):
            return False
        rebuild(connection)
        return True
