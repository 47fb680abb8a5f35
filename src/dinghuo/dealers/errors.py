from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, NotFound, ValidationError


class DealerCodeTaken(Conflict):
    code = "dealer_code_taken"
    message_template = _("A dealer with code “%(code)s” already exists.")


class DealerNotFound(NotFound):
    code = "dealer_not_found"
    message_template = _("Dealer not found.")


class DealerSuspended(ValidationError):
    code = "dealer_suspended"
    status = 403
    message_template = _("Dealer %(dealer)s is suspended and cannot order.")


class SalesRepInvalid(ValidationError):
    code = "sales_rep_invalid"
    message_template = _("The sales rep must be an active sales rep of this tenant.")


class ParentInvalid(ValidationError):
    code = "parent_invalid"
    message_template = _("The parent dealer is not valid: %(reason)s")


class RegionInvalid(ValidationError):
    code = "region_invalid"
    message_template = _("Unknown region code “%(region)s”.")
