from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import NotFound, ValidationError


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    message_template = _("Webhook subscription not found.")


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    message_template = _("Webhook delivery not found.")


class WebhookUrlInvalid(ValidationError):
    code = "webhook_url_invalid"
    message_template = _("The webhook URL is not usable: %(reason)s")


class EventTypeUnknown(ValidationError):
    code = "event_type_unknown"
    message_template = _("Unknown event types: %(events)s")
