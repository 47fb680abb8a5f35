from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, NotFound, ValidationError


class CreditLimitExceeded(Conflict):
    code = "credit_limit_exceeded"
    message_template = _("This order needs %(needed)s of credit but only %(available)s is available.")


class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    message_template = _("The %(balance)s balance is %(available)s, less than the %(needed)s asked for.")


class PaymentMixInvalid(ValidationError):
    code = "payment_mix_invalid"
    message_template = _("The payment amounts do not add up to the order total: %(reason)s")


class AmountInvalid(ValidationError):
    code = "amount_invalid"
    message_template = _("The amount must be a positive number with at most two decimal places.")


class OverdueBlocked(Conflict):
    code = "overdue_blocked"
    message_template = _("Orders on credit are blocked: %(amount)s is overdue since %(since)s.")


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message_template = _("Payment not found.")


class PaymentInvalid(ValidationError):
    code = "payment_invalid"
    message_template = _("The payment cannot be recorded: %(reason)s")


class PaymentTooLarge(ValidationError):
    code = "payment_too_large"
    message_template = _("The amount %(amount)s is more than the %(limit)s allowed here.")


class PaymentAlreadyProcessed(Conflict):
    code = "payment_already_processed"
    message_template = _("Payment %(number)s is already %(status)s; it cannot be applied or changed again.")


class ReceivableChoiceInvalid(ValidationError):
    code = "receivable_choice_invalid"
    message_template = _("Choose open receivables of this dealer: %(reason)s")


class VoucherInvalid(ValidationError):
    code = "voucher_invalid"
    message_template = _("The voucher must be a photo or scan (JPEG, PNG, WebP) or a PDF: %(reason)s")


class VoucherTooLarge(ValidationError):
    code = "voucher_too_large"
    status = 413
    message_template = _("The voucher is too large (%(size)s MB); the limit is %(limit)s MB.")


class ProviderUnavailable(Conflict):
    code = "provider_unavailable"
    status = 502
    message_template = _("The payment provider could not take the payment: %(reason)s")


class NotificationRejected(ValidationError):
    code = "notification_rejected"
    message_template = _("The payment notification was refused: %(reason)s")


class RebateInvalid(ValidationError):
    code = "rebate_invalid"
    message_template = _("The rebate programme is not valid: %(reason)s")


class PeriodInvalid(ValidationError):
    code = "period_invalid"
    message_template = _("The period is not valid: %(reason)s")


class StatementNotFound(NotFound):
    code = "statement_not_found"
    message_template = _("Statement not found.")


class StatementStateInvalid(Conflict):
    code = "statement_state_invalid"
    message_template = _("Statement %(number)s is %(status)s: %(reason)s")


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    message_template = _("Invoice not found.")


class AlreadyInvoiced(Conflict):
    code = "already_invoiced"
    message_template = _("These lines are already on an invoice: %(lines)s")


class InvoiceInvalid(ValidationError):
    code = "invoice_invalid"
    message_template = _("The invoice cannot be made: %(reason)s")


class SellerDetailsMissing(ValidationError):
    code = "seller_details_missing"
    message_template = _(
        "A VAT special invoice cannot be issued without the seller's %(fields)s: the tenant admin fills it in "
        "under Finance → Seller details."
    )


class InvoiceStateInvalid(Conflict):
    code = "invoice_state_invalid"
    message_template = _("Invoice %(number)s is %(status)s: %(reason)s")


class SettingInvalid(ValidationError):
    code = "setting_invalid"
    message_template = _("The setting is not valid: %(reason)s")
