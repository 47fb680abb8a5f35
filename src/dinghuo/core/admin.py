from django.contrib import admin

from dinghuo.core import admin_base  # noqa: F401  (superuser-only admin site)
from dinghuo.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("created_at", "tenant", "actor_label", "via", "action", "object_type", "object_id", "object_repr")
    list_filter = ("tenant", "action", "object_type")
    search_fields = ("object_id", "object_repr", "actor_label", "action")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
