"""The transactional outbox: events written with the change that caused them, delivered later."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dinghuo.core.tenancy import TenantModel


class OutboxEvent(TenantModel):
    """An event (order.created, order.status_changed, shipment.created, stock.low …).

    Written in the same transaction as the change; a worker delivers it (webhooks, notifications)
    after commit, at least once and in order per ``aggregate``.
    """

    topic = models.CharField(_("event"), max_length=60, db_index=True)
    aggregate_type = models.CharField(max_length=40)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "aggregate_type", "aggregate_id", "id"], name="outbox_aggregate")]

    def __str__(self) -> str:
        return f"{self.topic} {self.aggregate_type}:{self.aggregate_id}"


class Notification(TenantModel):
    """An in-app notification for a user (or every user of a dealer)."""

    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    dealer = models.ForeignKey("dealers.Dealer", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=500, blank=True)
    link = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class WebhookSubscription(TenantModel):
    """A URL of the tenant's that receives signed events (order.created, stock.low …).

    ``secret`` signs every delivery; after a rotation ``previous_secret`` signs too until
    ``previous_secret_expires_at``, so a receiver can switch secrets without losing a delivery.
    The secrets are kept as given (HMAC needs them), shown to the tenant once when made. Only events
    created at or after ``created_at`` are delivered to it.
    """

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, help_text=_("Event types, or * for every event."))
    secret = models.CharField(max_length=80)
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, topic: str) -> bool:
        return "*" in self.events or topic in self.events

    def receives(self, event: OutboxEvent) -> bool:
        """Whether ``event`` is delivered here: a subscribed type, created at or after this subscription
        (a new subscription never receives the events of before it existed)."""
        return self.wants(event.topic) and event.created_at >= self.created_at


class WebhookDelivery(TenantModel):
    """One event for one subscription: delivered at least once, in order per aggregate.

    A delivery round (notify/dispatch.py, a task run by ``dinghuo worker``) claims a due delivery
    (``delivering`` with a lease), posts it outside any transaction and records the outcome:
    ``succeeded``, or ``retrying`` with an exponential backoff until ``abandoned``. A delivery whose
    worker died keeps ``delivering`` until its lease ends and is then sent again. Among the
    non-manual deliveries of one subscription and aggregate (an order, a stock row), only the oldest
    unfinished one is ever sent. A manual redelivery from the
    back office is a new row with ``manual`` set, outside that ordering.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        RETRYING = "retrying", _("Retrying")
        SUCCEEDED = "succeeded", _("Delivered")
        ABANDONED = "abandoned", _("Abandoned")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(_("event"), max_length=60)
    aggregate_type = models.CharField(max_length=40)
    aggregate_id = models.CharField(max_length=64)
    manual = models.BooleanField(_("manual redelivery"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(
                fields=["subscription", "aggregate_type", "aggregate_id", "event"], name="webhook_delivery_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.subscription_id} ({self.status})"


class WebhookAttempt(TenantModel):
    """The delivery log: one row per HTTP attempt, with the outcome."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("time"))
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}: {self.response_code or self.error}"
