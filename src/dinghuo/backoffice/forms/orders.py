"""Forms of the order pages: filters, review decisions, quantity edits, shipments, 代客下单."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dinghuo.orders.models import Order

MAX_QTY = Decimal("9999999")
CARRIERS = [
    "顺丰速运",
    "京东物流",
    "德邦快递",
    "中通快递",
    "圆通速递",
    "韵达快递",
    "申通快递",
    "EMS",
    "自提",
    "自有车队",
]


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Order number, dealer or SKU code")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Order.Status.choices], required=False
    )
    dealer = forms.TypedChoiceField(label=_("Dealer"), coerce=int, empty_value=None, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any channel")), *Order.Channel.choices], required=False
    )

    def __init__(self, *args, dealers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].choices = [("", _("All dealers"))] + [(d.pk, f"{d.code} {d.name}") for d in dealers]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def value(self, name: str):
        """The field's cleaned value, or None when it was not valid (bad input filters nothing)."""
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None


class ApproveForm(forms.Form):
    reason = forms.CharField(label=_("Note"), max_length=300, required=False)
    override_credit = forms.BooleanField(label=_("Override the credit limit"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("override_credit") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the credit limit is overridden."))
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


def _plain(value: Decimal) -> str:
    """480.000 → "480", 1.500 → "1.5" (what a person types)."""
    return f"{value.normalize():f}"


def _qty_field(label: str, *, max_value: Decimal | None = None, initial=None, min_value=Decimal(0)):
    return forms.DecimalField(
        label=label,
        min_value=min_value,
        max_value=max_value if max_value is not None else MAX_QTY,
        max_digits=14,
        decimal_places=3,
        initial=initial,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "class": "text-end"}),
    )


class EditQuantitiesForm(forms.Form):
    """One quantity per (non-gift) line, in the line's unit; 0 removes a line."""

    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if not line.is_gift]
        for line in self.lines:
            self.fields[f"line_{line.line_no}"] = _qty_field(f"{line.sku_code} ({line.unit})", initial=_plain(line.qty))

    def rows(self):
        return [(line, self[f"line_{line.line_no}"]) for line in self.lines]

    def clean(self):
        data = super().clean()
        if self.lines and not self.errors and not any(data.get(f"line_{line.line_no}") for line in self.lines):
            raise forms.ValidationError(_("Reject the order instead of removing every line."))
        return data

    def edits(self) -> list[tuple[int, Decimal]]:
        return [
            (line.line_no, self.cleaned_data[f"line_{line.line_no}"])
            for line in self.lines
            if self.cleaned_data[f"line_{line.line_no}"] != line.qty
        ]


class ShipForm(forms.Form):
    """What leaves one warehouse: a base quantity per line (at most what is reserved there)."""

    carrier = forms.CharField(label=_("Carrier"), max_length=40)
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=60)

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows_ = list(rows)  # [(line, open base qty here)]
        for line, open_here in self.rows_:
            self.fields[f"line_{line.pk}"] = _qty_field(
                f"{line.sku_code}", max_value=open_here, initial=_plain(open_here)
            )
        self.fields["carrier"].widget.attrs.update({"list": "carriers", "autocomplete": "off"})

    def rows(self):
        return [(line, open_here, self[f"line_{line.pk}"]) for line, open_here in self.rows_]

    def clean(self):
        data = super().clean()
        if self.rows_ and not self.errors and not any(data.get(f"line_{line.pk}") for line, _o in self.rows_):
            raise forms.ValidationError(_("Ship a positive quantity of at least one line."))
        return data

    def items(self) -> list[tuple[int, Decimal]]:
        return [
            (line.pk, self.cleaned_data[f"line_{line.pk}"])
            for line, _o in self.rows_
            if self.cleaned_data.get(f"line_{line.pk}")
        ]


class PlaceOrderForm(forms.Form):
    """代客下单: the dealer's ship-to address, a note and the lines (SKU code, quantity, unit)."""

    address = forms.TypedChoiceField(label=_("Ship to"), coerce=int)
    requested_date = forms.DateField(
        label=_("Requested delivery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].choices = [
            (a.pk, f"{a.receiver} {a.phone} · {a.region_name}{a.detail}") for a in addresses
        ]
        if addresses:
            self.fields["address"].initial = addresses[0].pk


class OrderLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU code"), max_length=40, required=False)
    qty = _qty_field(_("Quantity"), min_value=Decimal("0.001"))
    unit = forms.CharField(label=_("Unit"), max_length=10, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qty"].required = False
        self.fields["sku"].widget.attrs.update({"list": "sku-codes", "autocomplete": "off", "spellcheck": "false"})

    def clean(self):
        data = super().clean()
        sku, qty = (data.get("sku") or "").strip(), data.get("qty")
        if sku and qty is None and "qty" not in self.errors:
            self.add_error("qty", _("Enter a quantity."))
        if qty is not None and not sku:
            self.add_error("sku", _("Enter a SKU code."))
        data["sku"] = sku
        return data


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=0, min_num=1, max_num=200, absolute_max=200)
