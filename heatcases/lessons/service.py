"""Changing the customer-value settings (admins): each change a new version, so the history stays readable."""

from __future__ import annotations

from sqlmodel import Session, select

from heatcases.db import begin_write
from heatcases.lessons import value
from heatcases.lessons.schemas import CustomerValuePublic, CustomerValueUpdate, CustomerValueVersion
from heatcases.models import CustomerValueSetting, User
from heatcases.vocab import BUSINESS_LINE_CODES, DEFECT_CLASS_CODES


def to_public(settings: value.CustomerValue) -> CustomerValuePublic:
    return CustomerValuePublic(
        lines={line: settings.lines[line] for line in BUSINESS_LINE_CODES},
        shares={code: settings.shares[code] for code in DEFECT_CLASS_CODES},
    )


def update_settings(session: Session, admin: User, change: CustomerValueUpdate) -> value.CustomerValue:
    """Put the settings with ``change`` applied in force; one transaction writes the new version."""
    begin_write(session)
    new = value.merged(
        value.current(session),
        {line: values.model_dump() for line, values in change.lines.items()},
        change.shares,
    )
    session.add(CustomerValueSetting(lines=new.lines, shares=new.shares, changed_by_id=admin.id))
    session.commit()
    return new


def history(session: Session, *, limit: int = 50) -> list[CustomerValueVersion]:
    """The versions of the settings, latest first."""
    rows = session.exec(
        select(CustomerValueSetting)
        .order_by(CustomerValueSetting.changed_at.desc(), CustomerValueSetting.id.desc())
        .limit(limit)
    ).unique()
    versions = []
    for row in rows:
        settings = value.merged(value.defaults(), row.lines, row.shares)
        public = to_public(settings)
        versions.append(
            CustomerValueVersion(
                id=row.id,
                changed_by=row.changed_by.username,
                changed_at=row.changed_at,
                lines=public.lines,
                shares=public.shares,
            )
        )
    return versions
