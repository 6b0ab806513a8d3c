"""The customer-value settings page (admins): a customer's value per business line, the share each defect class
loses, and the history of changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import Field, ValidationError, create_model

from heatcases.deps import AdminPageUser, SessionDep
from heatcases.lessons import service, value
from heatcases.lessons.schemas import CustomerValueUpdate
from heatcases.templating import render
from heatcases.vocab import BUSINESS_LINE_CODES, DEFECT_CLASS_CODES

router = APIRouter(include_in_schema=False)

HISTORY_SHOWN = 20


def field_name(line: str, key: str) -> str:
    """A number's field in the form: ``flight-years``; a share's: ``shares-A``."""
    return f"{line}-{key}"


# The form as posted: every number as typed (CustomerValueUpdate then applies the rules).
ValueForm = create_model(
    "ValueForm",
    **{
        field_name(line, key).replace("-", "_"): (str, Field("", max_length=40, alias=field_name(line, key)))
        for line in (*BUSINESS_LINE_CODES, "shares")
        for key in (value.LINE_KEYS if line != "shares" else DEFECT_CLASS_CODES)
    },
)


def _page(request: Request, session, *, form: dict | None = None, errors: list[str] | None = None):
    context = {
        "settings": service.to_public(value.current(session)),
        "history": service.history(session, limit=HISTORY_SHOWN),
        "form": form or {},
        "errors": errors or [],
    }
    return render(request, "lessons/customer_value.html", context, status_code=422 if errors else 200)


@router.get("/settings/customer-value")
def customer_value_page(request: Request, user: AdminPageUser, session: SessionDep):
    """The settings in force, a form to change them, and who changed them when."""
    return _page(request, session)


@router.post("/settings/customer-value")
def change_customer_value(
    request: Request, user: AdminPageUser, session: SessionDep, posted: Annotated[ValueForm, Form()]
):
    """Save the form: every number 0 or more, a share at most 1; on a wrong number show the form again."""
    form = {field_name(*name.split("_", 1)): typed.strip() for name, typed in posted.model_dump().items()}
    change = {
        "lines": {
            line: {key: form[field_name(line, key)] or None for key in value.LINE_KEYS} for line in BUSINESS_LINE_CODES
        },
        "shares": {code: form[field_name("shares", code)] or None for code in DEFECT_CLASS_CODES},
    }
    try:
        data = CustomerValueUpdate.model_validate(change)
    except ValidationError as error:
        errors = [field_name(*(str(part) for part in item["loc"][-2:])) for item in error.errors()]
        return _page(request, session, form=form, errors=errors)
    service.update_settings(session, user, data)
    return RedirectResponse("/settings/customer-value?msg=flash.lesson_value_saved", status_code=303)
