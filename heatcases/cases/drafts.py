"""Drafts: what an author is writing in the submit or edit form, saved as they type.

A draft survives the page being closed (the form restores it) and ends when the case is submitted
or the author discards it. Its text is masked like a submitted case's before it is stored, and the
save answers with what was found, so the form can show it before the author submits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from heatcases.db import utcnow
from heatcases.models import CaseDraft, User
from heatcases.privacy import PII_KINDS, Found, mask_personal_data
from heatcases.story import PART_CODES

NEW = "new"
TEXT_FIELDS = ("title", "body", *PART_CODES)
CHOICE_FIELDS = ("business_line", "channel", "occurred_on", "praise")
LIST_FIELDS = ("tags", "behaviors")


def slot_for(case_id: int | None) -> str:
    return f"case-{case_id}" if case_id else NEW


@dataclass(frozen=True)
class Saved:
    updated_at: datetime
    found: list[Found]  # personal data the text holds, as it is stored (masked)


def _clean(values: dict) -> dict:
    """Only the form's own fields, as strings and lists of strings."""
    fields: dict = {}
    for name in TEXT_FIELDS + CHOICE_FIELDS:
        if isinstance(values.get(name), str) and values[name]:
            fields[name] = values[name]
    for name in LIST_FIELDS:
        if isinstance(values.get(name), list):
            fields[name] = [item for item in values[name] if isinstance(item, str)]
    return fields


def save_draft(session: Session, user: User, slot: str, values: dict) -> Saved:
    """Store the form as it is now, personal data masked; one draft per author and form."""
    fields = _clean(values)
    found: dict[Found, None] = {}  # each value once, in the order written
    for name in TEXT_FIELDS:
        if name in fields:
            result = mask_personal_data(fields[name])
            fields[name] = result.text
            found.update(dict.fromkeys(result.found))
    draft = get_draft(session, user, slot)
    kinds = {item.kind for item in found} | set(draft.masked if draft else ())
    masked = [kind for kind in PII_KINDS if kind in kinds]
    now = utcnow()
    if draft is None:
        try:
            with session.begin_nested():
                session.add(CaseDraft(user_id=user.id, slot=slot, fields=fields, masked=masked, updated_at=now))
        except IntegrityError:  # the same author's other tab (or the page's last beacon) saved first
            draft = get_draft(session, user, slot)
    if draft is not None:
        draft.fields, draft.masked, draft.updated_at = fields, masked, now
        session.add(draft)
    session.commit()
    return Saved(now, list(found))


def get_draft(session: Session, user: User, slot: str) -> CaseDraft | None:
    return session.scalars(select(CaseDraft).where(CaseDraft.user_id == user.id, CaseDraft.slot == slot)).first()


def discard_draft(session: Session, user: User, slot: str) -> None:
    """Forget the draft (after the case was submitted, or when the author starts over)."""
    session.execute(delete(CaseDraft).where(CaseDraft.user_id == user.id, CaseDraft.slot == slot))
    session.commit()
