"""Row locks for notify. Every select_for_update of a webhook subscription is taken here."""

from dinghuo.notify.errors import WebhookNotFound
from dinghuo.notify.models import WebhookSubscription


def lock_subscription(*, subscription_id: int) -> WebhookSubscription:
    """The tenant's subscription, locked until the end of the transaction; WebhookNotFound if it has none."""
    sub = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    if sub is None:
        raise WebhookNotFound()
    return sub
