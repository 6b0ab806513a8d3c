"""The record of changes to accounts and teams: who, what, to whom, when (``user_change``)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from heatcases.models import User, UserChange

COMMAND_LINE = "command line"  # the actor of changes made with the `heatcases` command
DIRECTORY = "directory"  # the actor of changes a directory sign-in or sync made


def record(session: Session, actor: User | str | None, action: str, target: str, detail: dict | None = None) -> None:
    """Add one change to the session's transaction (it is written with the change or not at all)."""
    if isinstance(actor, User):
        actor_id, actor_name = actor.id, actor.username
    else:
        actor_id, actor_name = None, actor or COMMAND_LINE
    session.add(UserChange(actor_id=actor_id, actor_name=actor_name, action=action, target=target, detail=detail or {}))


def list_changes(session: Session, *, page: int = 1, per_page: int = 50, target: str | None = None):
    """(total, changes) newest first, optionally of one user or team."""
    query = select(UserChange)
    count = select(func.count()).select_from(UserChange)
    if target:
        query, count = query.where(UserChange.target == target), count.where(UserChange.target == target)
    total = session.exec(count).one()
    rows = session.exec(
        query.order_by(UserChange.created_at.desc(), UserChange.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return total, list(rows)
