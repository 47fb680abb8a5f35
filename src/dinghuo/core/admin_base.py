"""Django admin for superusers, across tenants. Changes made here are audited like any other."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from dinghuo.accounts.forms import AdminLoginForm
from dinghuo.core.audit import AuditEvent, audit_write, jsonable
from dinghuo.core.tenancy import Actor, tenant_context


def superuser_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = superuser_only
admin.site.login_form = AdminLoginForm  # failed sign-ins throttled as on /accounts/login/


class TenantAdmin(admin.ModelAdmin):
    """Shows the tenant, filters by it, asks for it when adding, audits every save and delete."""

    list_filter = ("tenant",)

    def get_list_display(self, request):
        return ("tenant", *super().get_list_display(request))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if kwargs.get("fields") is not None:
            kwargs["fields"] = [f for f in kwargs["fields"] if f != "tenant_choice"]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            from dinghuo.tenancy.models import Tenant

            form.base_fields["tenant_choice"] = forms.ModelChoiceField(
                queryset=Tenant.objects.order_by("code"), label="Tenant"
            )
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            obj.tenant = form.cleaned_data["tenant_choice"]
        before = jsonable(model_to_dict(form.instance.__class__.unscoped.get(pk=obj.pk))) if change else None
        actor = Actor(
            tenant_id=obj.tenant_id,
            user_id=request.user.pk,
            role="superuser",
            kind="system",
            label=request.user.get_username(),
            via="admin",
        )
        with transaction.atomic(), tenant_context(obj.tenant_id, actor):
            super().save_model(request, obj, form, change)
            audit_write(
                events=[
                    AuditEvent.of(
                        "admin.changed" if change else "admin.added",
                        obj,
                        before=before,
                        after=jsonable(model_to_dict(obj)),
                    )
                ],
            )

    def delete_model(self, request, obj):
        actor = Actor(
            tenant_id=obj.tenant_id,
            user_id=request.user.pk,
            role="superuser",
            kind="system",
            label=request.user.get_username(),
            via="admin",
        )
        with transaction.atomic(), tenant_context(obj.tenant_id, actor):
            audit_write(events=[AuditEvent.of("admin.deleted", obj, before=jsonable(model_to_dict(obj)))])
            super().delete_model(request, obj)
