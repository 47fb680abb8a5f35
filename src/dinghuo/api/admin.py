from django.contrib import admin

from dinghuo.api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only across tenants (only hashes are stored); tenants make and revoke keys in their back office."""

    list_display = ["prefix", "tenant", "name", "user", "dealer", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    fields = ["tenant", "name", "prefix", "user", "membership", "dealer", "scopes", "rate_limit", "expires_at",
              "created_by", "created_at", "last_used_at", "revoked_at", "revoked_reason"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return ApiKey.unscoped.select_related("tenant", "user", "dealer")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
