"""The most viewed cases of a period, per HEAT value and per business line."""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, literal, select, union_all
from sqlmodel import Session

from heatcases.metrics.periods import Period
from heatcases.metrics.schemas import TopCase, TopCases
from heatcases.metrics.scope import EVERYONE, Scope, within
from heatcases.models import Case, CaseTag, CaseView
from heatcases.vocab import BUSINESS_LINE_CODES, TAGS


def top_cases(session: Session, tz: ZoneInfo, period: Period, scope: Scope = EVERYONE, limit: int = 5) -> TopCases:
    """The most viewed cases of the period per HEAT value and per business line."""
    bounds = period.utc_bounds(tz)
    # Each case's views in the period, counted once and ranked within each value and each business line.
    per_case = (
        select(CaseView.case_id.label("case_id"), func.count().label("views"))
        .where(within(CaseView.viewed_at, bounds), *scope.of_case(CaseView.case_id))
        .group_by(CaseView.case_id)
        .cte("per_case")
    )

    def ranked(kind: str, key, join):
        rank = func.row_number().over(partition_by=key, order_by=(per_case.c.views.desc(), per_case.c.case_id))
        inner = join(select(literal(kind).label("kind"), key.label("key"), per_case.c.case_id, per_case.c.views,
                            rank.label("rank")).select_from(per_case)).subquery()  # fmt: skip
        return select(inner.c.kind, inner.c.key, inner.c.case_id, inner.c.views).where(inner.c.rank <= limit)

    by_tag = ranked("tag", CaseTag.tag, lambda q: q.join(CaseTag, CaseTag.case_id == per_case.c.case_id))
    by_line = ranked("line", Case.business_line, lambda q: q.join(Case, Case.id == per_case.c.case_id))
    rows = session.execute(union_all(by_tag, by_line)).all()
    ids = {case_id for _kind, _key, case_id, _views in rows}
    cases = {row.id: row for row in session.execute(select(Case.id, Case.title, Case.featured).where(Case.id.in_(ids)))}
    viewers = dict(
        session.execute(
            select(CaseView.case_id, func.count(distinct(CaseView.user_id)))
            .where(CaseView.case_id.in_(ids), within(CaseView.viewed_at, bounds))
            .group_by(CaseView.case_id)
        ).all()
    )
    out: dict[str, dict[str, list[TopCase]]] = {"tag": defaultdict(list), "line": defaultdict(list)}
    for kind, key, case_id, views in sorted(rows, key=lambda row: (row[0], row[1], -row[3], row[2])):
        case = cases[case_id]
        out[kind][key].append(
            TopCase(id=case_id, title=case.title, featured=case.featured, views=views, unique_viewers=viewers[case_id])
        )
    return TopCases(
        date_from=period.start,
        to=period.end,
        by_tag={tag: out["tag"].get(tag, []) for tag in TAGS},
        by_business_line={line: out["line"].get(line, []) for line in BUSINESS_LINE_CODES},
    )


__all__ = [
    "top_cases",
]
