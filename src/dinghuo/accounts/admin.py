from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.models import Membership, User
from dinghuo.core.admin_base import TenantAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("tenant", "role", "dealer", "is_active")
    readonly_fields = ("tenant", "role", "dealer")
    can_delete = False

    def get_queryset(self, request):
        return Membership.unscoped.select_related("tenant", "dealer")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "phone", "is_active", "is_superuser", "last_login")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Dinghuo"), {"fields": ("display_name", "phone", "language")}),
    )
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            from dinghuo.accounts.services import end_sessions

            end_sessions(obj)


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ("user", "role", "dealer", "is_active", "created_at")
    list_select_related = ("tenant", "user", "dealer")
    search_fields = ("user__username", "user__display_name")
    raw_id_fields = ("user", "dealer")

    def get_queryset(self, request):
        return Membership.unscoped.select_related("tenant", "user", "dealer")
