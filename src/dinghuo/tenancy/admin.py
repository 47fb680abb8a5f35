from django.contrib import admin

from dinghuo.tenancy.models import Tenant


@admin.register(Tenant)
class TenantModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "status", "is_demo", "created_at")
    list_filter = ("status", "is_demo")
    search_fields = ("code", "name")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from dinghuo.core.audit import ensure_chain_heads

        ensure_chain_heads(obj.pk)
