"""Turning cases into index documents: the library's cases as the word index keeps them."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from heatcases import db
from heatcases.cases import service as case_service
from heatcases.models import Case, CaseBehavior, CaseServqual, CaseTag
from heatcases.search.index import CaseDocument
from heatcases.vocab import canonical_behaviors, canonical_servqual, canonical_tags

_DOCUMENT_COLUMNS = (Case.id, Case.title, Case.body, Case.business_line, Case.featured, Case.created_at,
                     Case.occurred_on, Case.status, Case.archived, Case.kind, Case.lesson,
                     Case.defect_class)  # fmt: skip


def searchable_body(body: str, lesson: str | None) -> str:
    """What a case's words are found in beside its title: the story, and a lesson's lesson after it."""
    return f"{body}\n\n{lesson}" if lesson else body


def _documents(connection, condition) -> tuple[list, list[CaseDocument]]:
    """(the case rows matching ``condition``, the index documents of those in the library).

    Plain rows, not ORM objects: a rebuild is CPU-bound. The condition should use the primary key
    only; with the status in the WHERE clause SQLite walks the status index instead.
    """
    scanned = connection.execute(select(*_DOCUMENT_COLUMNS).where(condition).order_by(Case.id)).all()
    rows = [row for row in scanned if case_service.is_listed(row)]
    if not rows:
        return scanned, []
    ids = [row.id for row in rows]
    tags: dict[int, list[str]] = {}
    for case_id, tag in connection.execute(select(CaseTag.case_id, CaseTag.tag).where(CaseTag.case_id.in_(ids))):
        tags.setdefault(case_id, []).append(tag)
    behaviors: dict[int, list[str]] = {}
    for case_id, code in connection.execute(
        select(CaseBehavior.case_id, CaseBehavior.behavior).where(CaseBehavior.case_id.in_(ids))
    ):
        behaviors.setdefault(case_id, []).append(code)
    elements: dict[int, list[str]] = {}
    for case_id, code in connection.execute(
        select(CaseServqual.case_id, CaseServqual.element).where(CaseServqual.case_id.in_(ids))
    ):
        elements.setdefault(case_id, []).append(code)
    documents = [
        CaseDocument(
            id=row.id,
            title=row.title,
            body=searchable_body(row.body, row.lesson),
            tags=canonical_tags(tags.get(row.id, [])),
            behaviors=canonical_behaviors(behaviors.get(row.id, [])),
            business_line=row.business_line,
            featured=row.featured,
            created_at=row.created_at,
            occurred_on=row.occurred_on,
            kind=row.kind,
            defect_class=row.defect_class,
            servqual=canonical_servqual(elements.get(row.id, [])),
        )  # fmt: skip
        for row in rows
    ]
    return scanned, documents


def documents_for(engine: Engine, case_ids) -> list[CaseDocument]:
    """The index documents of those of ``case_ids`` that are in the library."""
    with db.reader(engine).connect() as connection:
        return _documents(connection, Case.id.in_(list(case_ids)))[1]


def searchable_documents(engine: Engine, *, batch: int = 2000) -> Iterator[list[CaseDocument]]:
    """Every case in the library, in batches by id (keyset pagination: no growing OFFSET)."""
    last_id = 0
    while True:
        with db.reader(engine).connect() as connection:
            scanned, documents = _documents(
                connection, Case.id.in_(select(Case.id).where(Case.id > last_id).order_by(Case.id).limit(batch))
            )
        if not scanned:
            return
        last_id = scanned[-1].id
        if documents:
            yield documents


def count_searchable(engine: Engine) -> int:
    with Session(db.reader(engine)) as session:
        return session.exec(
            select(func.count()).select_from(Case).where(Case.status == "approved", Case.archived.is_(False))
        ).one()
