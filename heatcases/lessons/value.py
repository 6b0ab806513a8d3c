"""Customer value at risk: a customer's value per business line, the share of it each defect class loses, and the
value of a lesson computed from them (PRODUCT.md, "Lessons from complaints").

A customer's value = revenue per order × orders per year × years of loyalty; the seed's defaults are 1,000 元 × 1
× 5 = 5,000 元 for every line, and a class A defect loses all of it, B 40 %, C 20 %. The settings are versions
in ``customer_value_setting`` (the latest in force; none yet: the defaults). This module reads the database only
through its session and imports no other domain, so the cases domain can price a lesson when it is approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from heatcases.models import CustomerValueSetting
from heatcases.vocab import BUSINESS_LINE_CODES, DEFECT_CLASS_CODES

LINE_KEYS = ("revenue_per_order", "orders_per_year", "years")
DEFAULT_LINE = {"revenue_per_order": 1000, "orders_per_year": 1, "years": 5}
DEFAULT_SHARES = {"A": 1.0, "B": 0.4, "C": 0.2}


@dataclass(frozen=True)
class CustomerValue:
    """The settings in force: ``lines[line][key]`` and ``shares[class]``."""

    lines: dict[str, dict[str, float]]
    shares: dict[str, float]

    def customer_value(self, business_line: str) -> float:
        line = self.lines.get(business_line) or DEFAULT_LINE
        return line["revenue_per_order"] * line["orders_per_year"] * line["years"]

    def value_at_risk(self, business_line: str, defect_class: str) -> int:
        """What a defect of this class costs in customer value on this line, in whole 元."""
        return round(self.customer_value(business_line) * self.shares.get(defect_class, 0.0))


def defaults() -> CustomerValue:
    return CustomerValue(lines={line: dict(DEFAULT_LINE) for line in BUSINESS_LINE_CODES}, shares=dict(DEFAULT_SHARES))


def merged(base: CustomerValue, lines: dict | None, shares: dict | None) -> CustomerValue:
    """``base`` with the lines and shares given (a line's keys left out keep their values)."""
    new_lines = {line: dict(values) for line, values in base.lines.items()}
    for line, values in (lines or {}).items():
        if line in new_lines:
            new_lines[line].update({key: values[key] for key in LINE_KEYS if values.get(key) is not None})
    new_shares = dict(base.shares)
    new_shares.update({code: float(share) for code, share in (shares or {}).items() if code in DEFECT_CLASS_CODES})
    return CustomerValue(new_lines, new_shares)


def latest(session: Session) -> CustomerValueSetting | None:
    return session.exec(
        select(CustomerValueSetting).order_by(CustomerValueSetting.changed_at.desc(), CustomerValueSetting.id.desc())
    ).first()


def current(session: Session) -> CustomerValue:
    """The settings in force: the latest stored version over the defaults."""
    row = latest(session)
    return merged(defaults(), row.lines, row.shares) if row else defaults()


def value_at_risk(session: Session, business_line: str, defect_class: str | None) -> int | None:
    """A lesson's value at risk under the settings in force (None without a defect class)."""
    if not defect_class:
        return None
    return current(session).value_at_risk(business_line, defect_class)
