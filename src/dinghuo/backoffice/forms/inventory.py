"""Forms of the inventory pages."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dinghuo.core import regions
from dinghuo.inventory.models import StockMovement

MAX_QTY = Decimal("99999999999")


class StockFilterForm(forms.Form):
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), coerce=int, empty_value=None, required=False)
    q = forms.CharField(
        label=_("Search"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("SKU code, name or barcode")}),
    )
    low = forms.BooleanField(label=_("Low stock only"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *StockMovement.Kind.choices], required=False
    )

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", _("All warehouses"))] + [
            (w.pk, f"{w.code} {w.name}") for w in warehouses
        ]

    def value(self, name: str):
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None


class AdjustForm(forms.Form):
    MODES = [("set", _("Set the counted quantity")), ("delta", _("Add or remove"))]

    mode = forms.ChoiceField(
        label=_("Adjustment"),
        choices=MODES,
        initial="set",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    qty = forms.DecimalField(
        label=_("Quantity (base units)"),
        max_digits=14,
        decimal_places=3,
        max_value=MAX_QTY,
        min_value=-MAX_QTY,
        help_text=_("For “add or remove”, a negative number removes."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("e.g. 月末盘点, 破损报废."))

    def clean(self):
        data = super().clean()
        if data.get("mode") == "set" and data.get("qty") is not None and data["qty"] < 0:
            self.add_error("qty", _("A counted quantity cannot be negative."))
        if data.get("mode") == "delta" and data.get("qty") == 0:
            self.add_error("qty", _("Enter a quantity other than zero."))
        return data


class SafetyForm(forms.Form):
    safety_stock = forms.DecimalField(
        label=_("Safety stock (base units)"), min_value=Decimal(0), max_value=MAX_QTY, max_digits=14, decimal_places=3
    )


class WarehouseForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=80)
    region_code = forms.CharField(
        label=_("Region"), max_length=20, help_text=_("A region code or name, e.g. 440106 or 天河区.")
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def clean_region_code(self):
        text = self.cleaned_data["region_code"].strip()
        region = regions.get(text)
        if region is None:
            try:
                region = regions.parse_address(text).region
            except regions.AddressError:
                region = None
        if region is None:
            raise forms.ValidationError(_("Unknown region “%(code)s”."), params={"code": text})
        return region.code
