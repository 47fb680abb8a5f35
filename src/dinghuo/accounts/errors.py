from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, DomainError, NotFound, ValidationError


class UsernameTaken(Conflict):
    code = "username_taken"
    message_template = _("The username “%(username)s” is already taken.")


class RoleInvalid(ValidationError):
    code = "role_invalid"
    message_template = _("“%(role)s” is not a valid role here.")


class UserNotFound(NotFound):
    code = "user_not_found"
    message_template = _("User not found.")


class LoginThrottled(DomainError):
    code = "login_throttled"
    status = 429
    message_template = _("Too many failed sign-ins. Please wait %(minutes)s minutes and try again.")


class PasswordResetThrottled(DomainError):
    code = "password_reset_throttled"
    status = 429
    message_template = _("Too many password reset requests. Please wait %(minutes)s minutes and try again.")


class CannotDisableSelf(ValidationError):
    code = "cannot_disable_self"
    message_template = _("You cannot disable your own account.")


class LastOwner(ValidationError):
    code = "last_owner"
    message_template = _("A tenant must keep at least one active owner.")
