from django.contrib import admin

from dinghuo.notify.models import Notification, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "topic", "aggregate_type", "aggregate_id", "created_at", "dispatched_at"]
    list_filter = ["topic"]
    search_fields = ["aggregate_id"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]

    def get_queryset(self, request):
        return OutboxEvent.unscoped.select_related("tenant")

    def has_add_permission(self, request):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Read-only here (the secrets never show): tenants manage their subscriptions in the back office."""

    list_display = ["id", "tenant", "url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url"]
    fields = ["tenant", "url", "description", "events", "is_active", "previous_secret_expires_at", "created_at"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return WebhookSubscription.unscoped.select_related("tenant")

    def has_add_permission(self, request):
        return False  # made by the tenant in its back office (the secret is shown to it once)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "topic", "subscription", "status", "attempts", "response_code", "created_at"]
    list_filter = ["status", "topic"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def get_queryset(self, request):
        return WebhookDelivery.unscoped.select_related("tenant", "subscription")

    def has_add_permission(self, request):
        return False


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(admin.ModelAdmin):
    list_display = ["id", "delivery", "number", "started_at", "response_code", "response_ms", "error"]
    readonly_fields = [f.name for f in WebhookAttempt._meta.fields]

    def get_queryset(self, request):
        return WebhookAttempt.unscoped.all()

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "title", "user", "dealer", "created_at", "read_at"]

    def get_queryset(self, request):
        return Notification.unscoped.select_related("tenant")
