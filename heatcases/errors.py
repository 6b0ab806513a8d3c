"""Errors that carry their own status; one handler renders them for the API and for pages."""

from __future__ import annotations


class HeatcasesError(Exception):
    status_code = 400
    # Key into the page messages (heatcases.i18n) for the friendly error page.
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


class NotFound(HeatcasesError):
    status_code = 404
    message_key = "error.404"


class InvalidTransition(HeatcasesError):
    status_code = 409
    message_key = "error.409"


class Conflict(HeatcasesError):
    status_code = 409
    message_key = "error.409"


class InvalidInput(HeatcasesError):
    """A field that fails a rule beyond the payload's shape; names the field like FastAPI's 422."""

    status_code = 422
    message_key = "error.422"

    def __init__(self, field: str, detail: str, *, message_key: str | None = None):
        super().__init__(detail, message_key=message_key)
        self.field = field
