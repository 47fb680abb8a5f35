from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import DomainError, NotAuthenticated, NotFound, ValidationError


class ApiKeyInvalid(NotAuthenticated):
    code = "api_key_invalid"
    message_template = _("The API key is not valid.")


class ApiKeyRevoked(NotAuthenticated):
    code = "api_key_revoked"
    message_template = _("The API key was revoked or has expired.")


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    message_template = _("API key not found.")


class ScopeInvalid(ValidationError):
    code = "scope_invalid"
    message_template = _("These scopes cannot be given to this key: %(scopes)s")


class CursorInvalid(ValidationError):
    code = "cursor_invalid"
    message_template = _("The cursor is not valid; start again from the first page.")


class MalformedBody(DomainError):
    code = "malformed_json"
    status = 400
    message_template = _("The request body is not valid JSON.")


class NulCharacter(DomainError):
    code = "invalid_characters"
    status = 400
    message_template = _("The request contains a NUL character, which no field accepts.")


class BodyTooLarge(DomainError):
    code = "body_too_large"
    status = 413
    message_template = _("The request body is larger than %(limit)s bytes.")


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    message_template = _("This method is not allowed here.")


class RouteNotFound(NotFound):
    code = "not_found"
    message_template = _("There is no such API endpoint.")


class CsrfFailed(DomainError):
    code = "csrf_failed"
    status = 403
    message_template = _("The CSRF check failed; reload the page and try again, or use an API key.")


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"
    message_template = _("Shipment not found.")


class AccountNotFound(NotFound):
    code = "account_not_found"
    message_template = _("Credit account not found.")


class LineInvalid(ValidationError):
    code = "line_invalid"
    message_template = _("Line %(line)s: %(reason)s")


class ValueOutOfRange(DomainError):
    """A number (an id, a page, a quantity) too large for the database to compare or store."""

    code = "value_out_of_range"
    status = 422
    message_template = _("A number in the request is out of range.")


class LengthRequired(DomainError):
    """A body streamed without its length (``Transfer-Encoding: chunked``): it would be read as empty."""

    code = "length_required"
    status = 411
    message_template = _("Send the request body with a Content-Length header (chunked bodies are not accepted).")
