from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "dinghuo.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from dinghuo.notify.models import WebhookSubscription
        from dinghuo.notify.tasks import forget_subscriptions

        post_save.connect(forget_subscriptions, sender=WebhookSubscription, dispatch_uid="notify-forget-on-save")
        post_delete.connect(forget_subscriptions, sender=WebhookSubscription, dispatch_uid="notify-forget-on-delete")
