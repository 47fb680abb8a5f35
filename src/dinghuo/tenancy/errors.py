from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, NotFound, ValidationError


class TenantCodeTaken(Conflict):
    code = "tenant_code_taken"
    message_template = _("A tenant with code “%(code)s” already exists.")


class TenantCodeInvalid(ValidationError):
    code = "tenant_code_invalid"
    message_template = _(
        "“%(code)s” is not a valid tenant code: use 2–31 lowercase letters, digits or hyphens, starting with a letter."
    )


class TenantNotFound(NotFound):
    code = "tenant_not_found"
    message_template = _("Tenant “%(code)s” does not exist.")


class TenantSuspended(ValidationError):
    code = "tenant_suspended"
    status = 403
    message_template = _("This tenant is suspended.")
