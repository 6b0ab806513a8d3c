"""Errors that carry their own status; one handler renders them for the API and for pages."""

from __future__ import annotations

from pydantic import BaseModel


class HeatcasesError(Exception):
    status_code = 400
    # Key into the page messages (heatcases.i18n, the catalogs in heatcases/locale/) for the friendly error page.
    message_key = "error.generic"

    def __init__(self, detail: str = "", *, message_key: str | None = None):
        super().__init__(detail)
        self.detail = detail or self.__class__.__name__
        if message_key:
            self.message_key = message_key


class NotAuthenticated(HeatcasesError):
    status_code = 401
    message_key = "error.401"


class PermissionDenied(HeatcasesError):
    status_code = 403
    message_key = "error.403"


class PasswordChangeRequired(PermissionDenied):
    """A person signed in with a one-time password: they choose their own before anything else."""

    message_key = "profile.must_change"


class NotFound(HeatcasesError):
    status_code = 404
    message_key = "error.404"


class InvalidTransition(HeatcasesError):
    status_code = 409
    message_key = "error.409"


class Conflict(HeatcasesError):
    status_code = 409
    message_key = "error.409"


class PayloadTooLarge(HeatcasesError):
    """A file (or body) over its configured size."""

    status_code = 413
    message_key = "error.413"


class InvalidInput(HeatcasesError):
    """A field that fails a rule beyond the payload's shape; names the field like FastAPI's 422."""

    status_code = 422
    message_key = "error.422"

    def __init__(self, field: str, detail: str, *, message_key: str | None = None):
        super().__init__(detail, message_key=message_key)
        self.field = field


# --- the errors as the OpenAPI document declares them -------------------------------------------

ERROR_DESCRIPTIONS = {
    400: "The body could not be parsed",
    401: "No valid bearer token (or, for a token request, wrong username or password)",
    403: "The caller's role may not do this",
    404: "No such case, or the caller may not see it",
    409: "Not allowed from the case's current state",
    413: "The body is larger than the configured limit (1 MiB by default)",
}


class ErrorMessage(BaseModel):
    """The body of every API error but 422 (whose ``detail`` lists the fields at fault)."""

    detail: str


def error_responses(*codes: int) -> dict:
    """The ``responses=`` of a route that can answer these errors, each with its ``{"detail": ...}`` body.

    The schema is written out rather than given as a ``model``: errors are JSON even where the route's
    own answer is not (the CSV exports).
    """
    content = {"application/json": {"schema": ErrorMessage.model_json_schema()}}
    return {code: {"description": ERROR_DESCRIPTIONS[code], "content": content} for code in codes}
