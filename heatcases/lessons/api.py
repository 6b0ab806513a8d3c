"""Customer-value settings API: read by anyone signed in, changed by admins (API.md, "Lessons")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from heatcases.deps import AdminApiUser, ApiUser, SessionDep
from heatcases.errors import error_responses
from heatcases.lessons import service, value
from heatcases.lessons.schemas import CustomerValuePublic, CustomerValueUpdate, CustomerValueVersion

router = APIRouter(prefix="/api/settings", tags=["lessons"])


@router.get("/customer-value", response_model=CustomerValuePublic)
def customer_value(user: ApiUser, session: SessionDep) -> CustomerValuePublic:
    """A customer's value per business line and the share of it each defect class loses."""
    return service.to_public(value.current(session))


@router.put("/customer-value", response_model=CustomerValuePublic, responses=error_responses(403))
def change_customer_value(change: CustomerValueUpdate, user: AdminApiUser, session: SessionDep) -> CustomerValuePublic:
    """Change the settings (admins); lines and shares left out keep their values. Lessons already approved keep
    the value they were given."""
    return service.to_public(service.update_settings(session, user, change))


@router.get("/customer-value/history", response_model=list[CustomerValueVersion], responses=error_responses(403))
def customer_value_history(
    user: AdminApiUser, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[CustomerValueVersion]:
    """Every change of the settings, latest first: who, when, and the settings it put in force."""
    return service.history(session, limit=limit)
