"""Typed domain errors.

Each error has a stable ``code`` (for API clients and tests), an HTTP ``status`` (used only by
the HTTP layers), a translatable message template and optional ``detail`` data naming the field,
row or line at fault. Apps define their own in ``<app>/errors.py``; the API maps them once
(``config/api.py``) and pages once (``core/middleware.py`` and ``core/forms.py``).
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: str = "error"
    status: int = 400
    message_template: Any = _("The request could not be completed.")

    def __init__(self, message: Any = None, /, *, detail: dict | list | None = None, **params: Any):
        if message is not None:
            self.message_template = message
        self.params = params
        self.detail = detail if detail is not None else {}
        super().__init__(self.code)

    @property
    def message(self) -> str:
        """Rendered in the active language at the moment it is read."""
        text = str(self.message_template)
        if self.params:
            try:
                return text % {k: str(v) for k, v in self.params.items()}
            except (KeyError, ValueError, TypeError):
                return text
        return text

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "detail": _plain(self.detail)}

    def __str__(self) -> str:  # shows in logs and test failures
        return f"{self.code}: {self.message}"


def _plain(value: Any) -> Any:
    """Make lazy strings and nested containers JSON-safe."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


class ValidationError(DomainError):
    """Bad input: ``detail`` maps field names (or row numbers) to messages."""

    code = "invalid"
    status = 400
    message_template = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message_template = _("Not found.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    message_template = _("You do not have permission to do this.")


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message_template = _("Please sign in.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message_template = _("The object was changed by someone else; please reload and try again.")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message_template = _("Too many requests; please retry in %(retry_after)s seconds.")

    def __init__(self, *, retry_after: int = 1, **kwargs: Any):
        super().__init__(retry_after=retry_after, **kwargs)
        self.retry_after = retry_after


class Overloaded(DomainError):
    code = "overloaded"
    status = 503
    message_template = _("The service is busy; please retry in %(retry_after)s seconds.")

    def __init__(self, *, retry_after: int = 1, **kwargs: Any):
        super().__init__(retry_after=retry_after, **kwargs)
        self.retry_after = retry_after


class TenantContextMissing(RuntimeError):
    """A programming error: tenant-scoped data was queried outside a tenant context."""


REQUIRED = _("This field is required.")
UNKNOWN_FIELD = _("This field is not known.")
NOT_EDITABLE = _("This field cannot be changed.")
