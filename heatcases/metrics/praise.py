"""Praise evidence in a period (README, "Praise evidence"): the approved cases whose customer praise is attached
as evidence, in all and per kind (a picture, a PDF, a video).

A case counts once, in the period in which its first approved evidence was approved (per kind: its first
evidence of that kind), so a second letter never counts the case again; only approved cases count (an archived
case keeps its figure). Read from ``case_attachment`` through the shared tables, not the praise domain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, literal, select, union_all
from sqlmodel import Session

from heatcases.metrics.schemas import EVIDENCE_KEYS, EvidenceChange, EvidenceFigures, PraiseEvidence
from heatcases.metrics.scope import EVERYONE, Scope, percent_change, within
from heatcases.models import Case, CaseAttachment

KINDS = ("image", "pdf", "video")


def evidence_figures(session: Session, bounds: tuple[datetime, datetime], scope: Scope = EVERYONE) -> EvidenceFigures:
    """Cases with approved praise evidence first approved in the period: in all (``cases``) and per kind."""
    approved = (
        select(CaseAttachment.case_id, CaseAttachment.kind, CaseAttachment.approved_at)
        .join(Case, Case.id == CaseAttachment.case_id)
        .where(CaseAttachment.status == "approved", Case.status == "approved", *scope.case_conditions())
        .subquery()
    )
    per_kind = select(approved.c.case_id, approved.c.kind, func.min(approved.c.approved_at).label("first")).group_by(
        approved.c.case_id, approved.c.kind
    )
    per_case = select(approved.c.case_id, literal("cases"), func.min(approved.c.approved_at)).group_by(
        approved.c.case_id
    )
    firsts = union_all(per_kind, per_case).subquery()
    kind, first = firsts.c[1], firsts.c[2]
    rows = session.execute(select(kind, func.count()).where(within(first, bounds)).group_by(kind)).all()
    return EvidenceFigures(**dict(rows))


def praise_evidence(session: Session, bounds, previous_bounds, scope: Scope = EVERYONE) -> PraiseEvidence:
    current = evidence_figures(session, bounds, scope)
    previous = evidence_figures(session, previous_bounds, scope)
    change = EvidenceChange(
        **{key: percent_change(getattr(current, key), getattr(previous, key)) for key in EVIDENCE_KEYS}
    )
    return PraiseEvidence(current=current, previous=previous, change_pct=change)
