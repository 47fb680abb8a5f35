"""Superusers configure a tenant's online payment provider (app id, keys, gateway) here.

The audit row of a change records which fields changed, never the keys themselves.
"""

from django import forms
from django.contrib import admin
from django.db import transaction

from dinghuo.core.admin_base import TenantAdmin
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.finance.models import PaymentProvider

SECRET_FIELDS = ("app_private_key",)
MASKED = "••••••"


class PaymentProviderForm(forms.ModelForm):
    class Meta:
        model = PaymentProvider
        fields = ("code", "enabled", "app_id", "seller_id", "gateway", "app_private_key", "provider_public_key")
        widgets = {"app_private_key": forms.PasswordInput(render_value=False)}

    def clean_app_private_key(self):
        value = self.cleaned_data.get("app_private_key", "")
        if not value and self.instance.pk:
            return self.instance.app_private_key  # left empty: keep the stored key
        from dinghuo.finance.providers.alipay import load_private_key

        try:
            load_private_key(value)
        except (ValueError, TypeError):
            raise forms.ValidationError("Not an RSA private key (PEM, or the bare base64 from Alipay's key tool).")
        return value


@admin.register(PaymentProvider)
class PaymentProviderAdmin(TenantAdmin):
    form = PaymentProviderForm
    list_display = ("code", "app_id", "enabled", "gateway")

    def get_queryset(self, request):
        return PaymentProvider.unscoped.all()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.tenant = form.cleaned_data["tenant_choice"]
        actor = Actor(tenant_id=obj.tenant_id, user_id=request.user.pk, role="superuser", kind="system",
                      label=request.user.get_username(), via="admin")  # fmt: skip
        after = {f: (MASKED if f in SECRET_FIELDS else getattr(obj, f)) for f in PaymentProviderForm.Meta.fields}
        with transaction.atomic(), tenant_context(obj.tenant_id, actor):
            obj.save()
            audit_write(
                events=[
                    AuditEvent.of("payment_provider.saved", obj, after={**after, "changed": list(form.changed_data)})
                ]
            )

    def delete_model(self, request, obj):
        actor = Actor(tenant_id=obj.tenant_id, user_id=request.user.pk, role="superuser", kind="system",
                      label=request.user.get_username(), via="admin")  # fmt: skip
        with transaction.atomic(), tenant_context(obj.tenant_id, actor):
            audit_write(events=[AuditEvent.of("payment_provider.deleted", obj, before={"code": obj.code})])
            obj.delete()
