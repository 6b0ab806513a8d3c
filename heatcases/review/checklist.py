"""The review checklist: the items a supervisor marks met / not met while deciding, edited by admins (add,
reword in both languages, retire, restore, reorder), every change kept as a ``ChecklistChange``.

The default set, drawn from the product, is written by the server at start when the table is empty
(``ensure_defaults``): once an admin has edited the list, retired items stay rows, so it is never written again.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from heatcases.db import begin_write, session_scope, utcnow
from heatcases.errors import InvalidInput, NotFound
from heatcases.i18n import translate
from heatcases.models import ChecklistChange, ChecklistItem, User
from heatcases.privacy import mask_fields

LABEL_MAX = 200
# The items the queue's keys reach (1-9).
MAX_ACTIVE = 9

DEFAULT_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("situation", "情况交代清楚", "The situation is clear"),
    (
        "behavior",
        "点明所体现的行为，且与所选 HEAT 标签一致",
        "The behaviour shown is named and matches the HEAT tags chosen",
    ),
    ("concrete", "客服的做法具体", "What the agent did is concrete"),
    ("outcome", "写明了结果", "The outcome is stated"),
    ("takeaway", "有值得他人借鉴的心得", "There is a takeaway for others"),
    ("privacy", "没有遗留个人信息", "No personal data left"),
    ("plain_language", "语言平实易懂", "Plain language"),
)


def _invalid(field: str, key: str) -> InvalidInput:
    return InvalidInput(field, translate(key, "en"), message_key=key)


def ensure_defaults(engine: Engine) -> int:
    """Write the default items when the checklist has never had any; returns how many were written. Several
    processes starting at once write them once (the codes are unique)."""
    with session_scope(engine) as session:
        begin_write(session)
        if session.exec(select(func.count()).select_from(ChecklistItem)).one():
            session.commit()
            return 0
        module = postgresql if engine.dialect.name == "postgresql" else sqlite
        now = utcnow()
        written = 0
        for position, (code, zh, en) in enumerate(DEFAULT_ITEMS, start=1):
            values = {"code": code, "label_zh": zh, "label_en": en, "position": position, "active": True,
                      "created_at": now, "updated_at": now}  # fmt: skip
            statement = module.insert(ChecklistItem.__table__).values(**values).on_conflict_do_nothing()
            written += session.execute(statement.returning(ChecklistItem.id)).first() is not None
        session.commit()
        return written


def items(session: Session, *, include_retired: bool = False) -> list[ChecklistItem]:
    """The items in force in their order (with ``include_retired``, the retired ones after them)."""
    statement = select(ChecklistItem)
    if not include_retired:
        statement = statement.where(ChecklistItem.active.is_(True))
    statement = statement.order_by(ChecklistItem.active.desc(), ChecklistItem.position, ChecklistItem.id)
    return list(session.exec(statement))


def items_by_id(session: Session, ids) -> dict[int, ChecklistItem]:
    ids = list(ids)
    if not ids:
        return {}
    return {item.id: item for item in session.exec(select(ChecklistItem).where(ChecklistItem.id.in_(ids)))}


def item_label(item: ChecklistItem, lang: str) -> str:
    return item.label_en if lang == "en" and item.label_en else item.label_zh


def _snapshot(item: ChecklistItem) -> dict:
    return {"label_zh": item.label_zh, "label_en": item.label_en, "position": item.position, "active": item.active}


def _clean_label(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise _invalid(field, "checklist.invalid.label")
    if len(text) > LABEL_MAX:
        raise _invalid(field, "checklist.invalid.label_long")
    return mask_fields(text)[0][0]


def _record(session: Session, item: ChecklistItem, actor: User, action: str, before: dict | None) -> None:
    session.add(ChecklistChange(item_id=item.id, actor_id=actor.id, action=action, before=before,
                                after=_snapshot(item)))  # fmt: skip


def _get(session: Session, item_id: int) -> ChecklistItem:
    item = session.exec(select(ChecklistItem).where(ChecklistItem.id == item_id).with_for_update()).first()
    if item is None:
        raise NotFound("no such checklist item", message_key="checklist.not_found")
    return item


def _active_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(ChecklistItem).where(ChecklistItem.active.is_(True))).one()


def add_item(session: Session, admin: User, *, label_zh: str, label_en: str) -> ChecklistItem:
    """Add an item at the end of the list in force."""
    zh, en = _clean_label(label_zh, "label_zh"), _clean_label(label_en, "label_en")
    begin_write(session)
    if _active_count(session) >= MAX_ACTIVE:
        raise _invalid("label_zh", "checklist.invalid.too_many")
    last = session.exec(select(func.max(ChecklistItem.position))).one() or 0
    # The code names the row once it has an id; until the flush, a unique placeholder.
    item = ChecklistItem(code=uuid.uuid4().hex, label_zh=zh, label_en=en, position=last + 1)
    session.add(item)
    session.flush()
    item.code = f"item-{item.id}"
    _record(session, item, admin, "added", None)
    session.commit()
    return item


def reword_item(session: Session, admin: User, item_id: int, *, label_zh: str | None, label_en: str | None):
    """Change an item's wording in one language or both; the history keeps the old wording."""
    zh = _clean_label(label_zh, "label_zh") if label_zh is not None else None
    en = _clean_label(label_en, "label_en") if label_en is not None else None
    begin_write(session)
    item = _get(session, item_id)
    before = _snapshot(item)
    item.label_zh, item.label_en = zh or item.label_zh, en or item.label_en
    if _snapshot(item) != before:
        item.updated_at = utcnow()
        _record(session, item, admin, "reworded", before)
    session.commit()
    return item


def set_active(session: Session, admin: User, item_id: int, active: bool) -> ChecklistItem:
    """Retire an item (reviews that marked it keep it) or bring it back at the end of the list."""
    begin_write(session)
    item = _get(session, item_id)
    if item.active != active:
        if active and _active_count(session) >= MAX_ACTIVE:
            raise _invalid("active", "checklist.invalid.too_many")
        before = _snapshot(item)
        item.active, item.updated_at = active, utcnow()
        if active:
            item.position = (session.exec(select(func.max(ChecklistItem.position))).one() or 0) + 1
        _record(session, item, admin, "restored" if active else "retired", before)
    session.commit()
    return item


def move_item(session: Session, admin: User, item_id: int, position: int) -> ChecklistItem:
    """Put an item in force at ``position`` (1 = first) of the list; the others keep their order around it."""
    begin_write(session)
    item = _get(session, item_id)
    if not item.active:
        raise _invalid("position", "checklist.invalid.retired")
    order = [other for other in items(session) if other.id != item.id]
    position = max(1, min(position, len(order) + 1))
    order.insert(position - 1, item)
    before = _snapshot(item)
    for number, other in enumerate(order, start=1):
        other.position = number
    if _snapshot(item) != before:
        item.updated_at = utcnow()
        _record(session, item, admin, "moved", before)
    session.commit()
    return item


def history(session: Session, *, limit: int = 100) -> list[tuple[ChecklistChange, ChecklistItem]]:
    """The changes, latest first, each with its item."""
    rows = session.exec(
        select(ChecklistChange, ChecklistItem)
        .join(ChecklistItem, ChecklistItem.id == ChecklistChange.item_id)
        .order_by(ChecklistChange.created_at.desc(), ChecklistChange.id.desc())
        .limit(limit)
    ).unique()
    return list(rows)
