"""Django admin for price lists (with their prices inline) and promotions: superusers, across tenants.

Saves keep the services' rules: a list's target must match its kind and belong to the list's
tenant, windows must be ordered, two overlapping lists of one target may not price the same SKU,
and a promotion's rules, scope, tiers, regions and caps are validated and normalised like
``promotion_create`` does. The list or promotion is audited by ``TenantAdmin``; price changes
made in the inline are audited here, in the same transaction. The real back office comes later.
"""

from __future__ import annotations

import contextlib
import copy

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.forms.models import BaseInlineFormSet, construct_instance
from django.utils.translation import gettext as _

from dinghuo.core.admin_base import TenantAdmin
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import DomainError
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.pricing import services
from dinghuo.pricing.models import PriceList, PriceListItem, Promotion


def _admin_actor(request, tenant_id: int) -> Actor:
    return Actor(
        tenant_id=tenant_id,
        user_id=request.user.pk,
        role="superuser",
        kind="system",
        label=request.user.get_username(),
        via="admin",
    )


class TenantChoiceFix:
    """TenantAdmin adds a ``tenant_choice`` form field on add pages, which the admin then passes back
    as a model field name (a FieldError). Drop it from ``fields``; TenantAdmin adds it again."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        if kwargs.get("fields"):
            kwargs["fields"] = [f for f in kwargs["fields"] if f != "tenant_choice"]
        return super().get_form(request, obj, change=change, **kwargs)


def _form_tenant_id(form: forms.ModelForm) -> int | None:
    if form.instance.tenant_id:
        return form.instance.tenant_id
    choice = (getattr(form, "cleaned_data", None) or {}).get("tenant_choice")
    return choice.pk if choice is not None else None


class PriceListForm(forms.ModelForm):
    class Meta:
        model = PriceList
        fields = (
            "code",
            "name",
            "kind",
            "dealer",
            "price_group",
            "tier",
            "region_code",
            "valid_from",
            "valid_to",
            "is_active",
        )

    def clean(self) -> dict:
        data = super().clean()
        tenant_id = _form_tenant_id(self)
        if tenant_id is None or self._errors:
            return data
        probe = construct_instance(self, copy.copy(self.instance), self._meta.fields)
        try:
            with tenant_context(tenant_id):
                services.check_price_list(probe)
        except DomainError as exc:
            raise forms.ValidationError(f"{exc.message} {exc.as_dict()['detail'] or ''}".strip())
        return data

    def _post_clean(self) -> None:
        super()._post_clean()
        tenant_id = _form_tenant_id(self)
        if tenant_id is not None and not self.errors:
            with contextlib.suppress(DomainError), tenant_context(tenant_id):
                services.check_price_list(self.instance)  # drops a target that does not match the kind


class PriceListItemForm(forms.ModelForm):
    """A tier's quantity and price, refused with the services' words (not a database CHECK's name)."""

    class Meta:
        model = PriceListItem
        fields = ("sku", "min_qty", "price")

    def clean_min_qty(self):
        qty = self.cleaned_data.get("min_qty")
        if qty is not None and not 0 < qty <= services.MAX_QTY:
            raise forms.ValidationError(_("The quantity must be greater than zero, with at most 3 decimals."))
        return qty

    def clean_price(self):
        price = self.cleaned_data.get("price")
        if price is not None and not 0 <= price <= services.MAX_PRICE:
            raise forms.ValidationError(_("The price must be zero or more, in yuan and fen."))
        return price


class PriceItemFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        parent: PriceList = self.instance
        if parent.tenant_id is None or any(self.errors):
            return
        sku_ids = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            sku = data.get("sku")
            if sku is not None and sku.tenant_id != parent.tenant_id:
                form.add_error("sku", _("This SKU belongs to another tenant."))
                continue
            if sku is not None:
                sku_ids.append(sku.pk)
        if not parent.is_active or not sku_ids:
            return
        with tenant_context(parent.tenant_id):
            clashes = services.overlapping(parent, sku_ids=sku_ids)
        if clashes:
            raise forms.ValidationError(
                "; ".join(
                    _("price list %(other)s prices SKU %(sku)s for the same dealers in an overlapping period")
                    % {"other": other, "sku": sku}
                    for other, sku, _i in clashes
                )
            )


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    form = PriceListItemForm
    formset = PriceItemFormSet
    fields = ("sku", "min_qty", "price")
    raw_id_fields = ("sku",)
    extra = 0

    def get_queryset(self, request):
        return PriceListItem.unscoped.select_related("sku").order_by("sku__code", "min_qty")


@admin.register(PriceList)
class PriceListAdmin(TenantChoiceFix, TenantAdmin):
    form = PriceListForm
    list_display = ("code", "name", "kind", "target", "valid_from", "valid_to", "is_active", "item_count")
    list_select_related = ("tenant", "dealer", "price_group", "tier")
    list_filter = ("tenant", "kind", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("dealer", "price_group", "tier")
    inlines = [PriceListItemInline]

    def get_queryset(self, request):
        return PriceList.unscoped.annotate(item_count=Count("items"))

    @admin.display(description="target")
    def target(self, obj: PriceList) -> str:
        return str(obj.dealer or obj.price_group or obj.tier or obj.region_code or "—")

    @admin.display(description="prices", ordering="item_count")
    def item_count(self, obj: PriceList) -> int:
        return obj.item_count

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        if not change and form.cleaned_data.get("tenant_choice") is not None:
            obj.tenant = form.cleaned_data["tenant_choice"]  # so the inline's checks know the tenant
        return obj

    def save_formset(self, request, form, formset, change):
        parent: PriceList = form.instance
        before = {(i.sku_id, i.min_qty): i.price for i in PriceListItem.unscoped.filter(price_list_id=parent.pk)}
        with tenant_context(parent.tenant_id, _admin_actor(request, parent.tenant_id)):
            items = formset.save(commit=False)
            for item in items:
                item.tenant_id = parent.tenant_id
                item.save()
            for item in formset.deleted_objects:
                item.delete()
            after = {(i.sku_id, i.min_qty): i.price for i in PriceListItem.unscoped.filter(price_list_id=parent.pk)}
            changed = sorted({k for k in before.keys() | after.keys() if before.get(k) != after.get(k)})
            if changed:
                audit_write(
                    events=[
                        AuditEvent.of(
                            "price_item.set",
                            parent,
                            before={"prices": [[k[0], str(k[1]), str(before[k])] for k in changed if k in before]},
                            after={"prices": [[k[0], str(k[1]), str(after[k])] for k in changed if k in after]},
                            reason="admin",
                        )
                    ]
                )


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = (
            "code",
            "name",
            "kind",
            "rules",
            "scope",
            "tiers",
            "regions",
            "priority",
            "stackable",
            "exclusive_group",
            "valid_from",
            "valid_to",
            "total_cap",
            "per_dealer_cap",
            "is_active",
        )

    def _post_clean(self) -> None:
        super()._post_clean()
        tenant_id = _form_tenant_id(self)
        if tenant_id is None or self.errors:
            return
        try:
            with tenant_context(tenant_id):
                services.clean_promotion(self.instance)
        except DomainError as exc:
            self.add_error(None, f"{exc.message} {exc.as_dict()['detail'] or ''}".strip())
            return
        if self.instance.total_cap is not None and self.instance.sold_qty > self.instance.total_cap:
            self.add_error(
                "total_cap",
                _("%(sold)s are already sold, more than the new cap") % {"sold": self.instance.sold_qty},
            )


@admin.register(Promotion)
class PromotionAdmin(TenantChoiceFix, TenantAdmin):
    form = PromotionForm
    list_display = ("code", "name", "kind", "priority", "valid_from", "valid_to", "sold_qty", "total_cap", "is_active")
    list_filter = ("tenant", "kind", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("sold_qty",)

    def get_queryset(self, request):
        return Promotion.unscoped.all()
