"""The customer-value settings as the API takes and gives them (API.md, "Lessons")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from heatcases.vocab import BUSINESS_LINE_CODES, DEFECT_CLASS_CODES

BusinessLine = Literal[BUSINESS_LINE_CODES]  # type: ignore[valid-type]
DefectClass = Literal[DEFECT_CLASS_CODES]  # type: ignore[valid-type]

Amount = Annotated[float, Field(ge=0, le=10_000_000)]


class LineValue(BaseModel):
    """A customer's value on one business line: revenue per order × orders per year × years."""

    model_config = ConfigDict(extra="ignore")

    revenue_per_order: Annotated[int, Field(ge=0, le=10_000_000)]
    orders_per_year: Amount
    years: Amount


class CustomerValuePublic(BaseModel):
    lines: dict[BusinessLine, LineValue]
    shares: dict[DefectClass, float]


class CustomerValueUpdate(BaseModel):
    """Lines and shares left out keep their values; every number given must be there and not negative."""

    model_config = ConfigDict(extra="ignore")

    lines: dict[BusinessLine, LineValue] = {}
    shares: dict[DefectClass, Annotated[float, Field(ge=0, le=1)]] = {}


class CustomerValueVersion(BaseModel):
    """One change of the settings: who made it, when, and the settings it put in force."""

    id: int
    changed_by: str
    changed_at: datetime
    lines: dict[BusinessLine, LineValue]
    shares: dict[DefectClass, float]
