"""Forms of the dealer portal: they parse and validate input; the services decide."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.roles import DEALER_ROLES, Role
from dinghuo.core.money import fmt
from dinghuo.orders.models import Order

QTY_MAX = Decimal("99999999")
TOKEN = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", _("The form has expired; please reload the page."))


def _qty_field(*, allow_zero: bool = False, label=None) -> forms.DecimalField:
    return forms.DecimalField(
        label=label or _("Quantity"),
        max_digits=14,
        decimal_places=3,
        min_value=Decimal(0) if allow_zero else None,
        max_value=QTY_MAX,
        error_messages={
            "required": _("Enter a quantity."),
            "invalid": _("Enter a number, e.g. 2 or 2.5."),
            "min_value": _("The quantity cannot be negative."),
            "max_value": _("The quantity is too large."),
            "max_decimal_places": _("Use at most 3 decimal places."),
            "max_digits": _("The quantity is too large."),
            "max_whole_digits": _("The quantity is too large."),
        },
    )


class AddToCartForm(forms.Form):
    """One SKU, a unit and a quantity (catalog lists, product pages, one-tap reorder)."""

    sku = forms.IntegerField(min_value=1, max_value=2**63 - 1, error_messages={"invalid": _("Choose an item.")})
    unit = forms.CharField(label=_("Unit"), max_length=10, required=False)
    qty = _qty_field()

    def clean_qty(self) -> Decimal:
        qty = self.cleaned_data["qty"]
        if qty <= 0:
            raise forms.ValidationError(_("Enter a quantity greater than zero."))
        return qty


class CartLineForm(forms.Form):
    """A new quantity for a cart line; 0 removes the line."""

    qty = _qty_field(allow_zero=True)


class QuickOrderForm(forms.Form):
    text = forms.CharField(
        label=_("Codes and quantities"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("One item per line: a SKU code or barcode, then the quantity and optionally the unit."),
        error_messages={"required": _("Paste or type at least one line.")},
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        error_messages={"required": _("Choose the file to import."), "empty": _("The file is empty.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file (save older .xls files as .xlsx first)."))
        limit = getattr(settings, "DINGHUO_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB); the limit is %(limit)s MB."),
                params={"size": round(upload.size / 1048576, 1), "limit": round(limit / 1048576, 1)},
            )
        return upload


def new_token() -> str:
    """A per-form token: one rendered checkout form, one order, however often it is submitted."""
    return secrets.token_urlsafe(24)


class MoneyInput(forms.NumberInput):
    def __init__(self, attrs=None):
        super().__init__({"step": "0.01", "min": "0", "inputmode": "decimal", **(attrs or {})})


def _money_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        widget=MoneyInput(),
        error_messages={
            "invalid": _("Enter an amount, e.g. 100 or 99.50."),
            "min_value": _("The amount cannot be negative."),
            "max_decimal_places": _("Use at most 2 decimal places."),
            "max_digits": _("The amount is too large."),
            "max_whole_digits": _("The amount is too large."),
        },
    )


class CheckoutForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, validators=[TOKEN], max_length=64)
    address = forms.TypedChoiceField(
        label=_("Ship to"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a ship-to address."), "invalid_choice": _("Choose a ship-to address.")},
    )
    pay_prepaid = _money_field(_("From prepaid balance"))
    pay_rebate = _money_field(_("From rebate balance"))
    requested_date = forms.DateField(
        label=_("Requested delivery date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, e.g. 2026-06-30.")},
    )
    note = forms.CharField(
        label=_("Note for the supplier"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, addresses=(), account=None, total: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.total = total
        self.fields["address"].choices = [(a.pk, str(a)) for a in addresses]
        self.addresses = list(addresses)

    def clean_requested_date(self) -> dt.date | None:
        day = self.cleaned_data.get("requested_date")
        if day is not None:
            today = timezone.localdate()
            if day < today:
                raise forms.ValidationError(_("The delivery date cannot be in the past."))
            if day > today + dt.timedelta(days=366):
                raise forms.ValidationError(_("Choose a date within the next year."))
        return day

    def clean_pay_prepaid(self) -> Decimal:
        value = self.cleaned_data.get("pay_prepaid") or Decimal("0.00")
        if self.account is not None and value > self.account.prepaid:
            raise forms.ValidationError(
                _("Your prepaid balance is %(balance)s."), params={"balance": fmt(self.account.prepaid)}
            )
        return value

    def clean_pay_rebate(self) -> Decimal:
        value = self.cleaned_data.get("pay_rebate") or Decimal("0.00")
        if self.account is not None and value > self.account.rebate:
            raise forms.ValidationError(
                _("Your rebate balance is %(balance)s."), params={"balance": fmt(self.account.rebate)}
            )
        return value

    def clean(self):
        data = super().clean()
        prepaid, rebate = data.get("pay_prepaid"), data.get("pay_rebate")
        if self.total is not None and prepaid is not None and rebate is not None and prepaid + rebate > self.total:
            self.add_error(
                "pay_rebate" if rebate else "pay_prepaid",
                forms.ValidationError(
                    _("Prepaid and rebate together cannot exceed the order total of %(total)s."),
                    params={"total": fmt(self.total)},
                ),
            )
        return data

    def pay_credit(self) -> Decimal | None:
        if self.total is None or not hasattr(self, "cleaned_data"):
            return None
        prepaid = self.cleaned_data.get("pay_prepaid") or Decimal(0)
        rebate = self.cleaned_data.get("pay_rebate") or Decimal(0)
        return max(self.total - prepaid - rebate, Decimal(0))


class SubUserForm(forms.Form):
    """A dealer admin adds a user of its own dealer (accounts.services.dealer_user_create decides)."""

    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=60)
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in Role if r in DEALER_ROLES])
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput(render_value=False), min_length=8, strip=False
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class OrderFilterForm(forms.Form):
    """Filters of the order list; bad values are reported next to the field and ignored."""

    q = forms.CharField(label=_("Order number or SKU code"), max_length=60, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, e.g. 2026-06-30.")},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, e.g. 2026-06-30.")},
    )

    GROUPS = {
        "open": ",".join(
            [Order.Status.SUBMITTED, Order.Status.PENDING_REVIEW, Order.Status.APPROVED, Order.Status.PICKING]
        ),
        "shipping": ",".join([Order.Status.PARTIALLY_SHIPPED, Order.Status.SHIPPED]),
        "done": ",".join([Order.Status.DELIVERED, Order.Status.COMPLETED]),
        "closed": ",".join([Order.Status.CANCELLED, Order.Status.REJECTED]),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *Order.Status.choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def values(self) -> dict:
        """The valid filters (an invalid field counts as not given)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "date_from": data.get("date_from") if "date_from" not in self.errors else None,
            "date_to": data.get("date_to") if "date_to" not in self.errors else None,
        }


# --- catalog search parameters --------------------------------------------------------------------

SORT_CHOICES = ("relevance", "price_asc", "price_desc", "sales", "newest")
_ATTR = re.compile(r"^[\w.-]{1,40}$")


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**63 else None


def _money(value: str | None) -> Decimal | None:
    value = (value or "").strip().replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and Decimal(0) <= amount < Decimal("1e12") else None


SHELF_LIFE_BOUNDS = (30, 90, 180, 365)


class CatalogFilterForm(forms.Form):
    """The catalog's choice filters: a bad value is reported next to its control and ignored."""

    shelf_life_max = forms.TypedChoiceField(
        label=_("Shelf life"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a shelf life from the list.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shelf_life_max"].choices = [
            ("", _("Any shelf life")),
            *((str(n), gettext("Up to %(n)s days") % {"n": n}) for n in SHELF_LIFE_BOUNDS),
        ]


class CatalogParams:
    """The catalog page's query string, parsed leniently: a bad value is dropped, never a 500."""

    def __init__(self, query) -> None:
        self.form = CatalogFilterForm(query)
        self.shelf_life_max: int | None = self.form.cleaned_data["shelf_life_max"] if self.form.is_valid() else None
        self.q = (query.get("q") or "").strip()[:100]
        self.category = _int(query.get("category"))
        self.brands = tuple(sorted({i for i in (_int(v) for v in query.getlist("brand")) if i}))[:20]
        self.tags = tuple(sorted({i for i in (_int(v) for v in query.getlist("tag")) if i}))[:20]
        self.price_min = _money(query.get("price_min"))
        self.price_max = _money(query.get("price_max"))
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            self.price_min, self.price_max = self.price_max, self.price_min
        self.in_stock = query.get("in_stock") in ("1", "on", "true")
        sort = query.get("sort") or "relevance"
        self.sort = sort if sort in SORT_CHOICES else "relevance"
        page = _int(query.get("page"))
        self.page = min(page or 1, 500)
        self.match = (query.get("match") or "").strip()[:200]
        self.attributes: dict[str, tuple[str, ...]] = {}
        self.ranges: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        self.attr_values: list[str] = []
        for raw in query.getlist("attr")[:30]:
            code, sep, value = raw.partition(":")
            code, value = code.strip(), value.strip()
            if not sep or not value or not _ATTR.match(code) or len(value) > 100:
                continue
            if ".." in value:
                low, _sep, high = value.partition("..")
                low_d, high_d = _money(low), _money(high)
                if (low.strip() and low_d is None) or (high.strip() and high_d is None):
                    continue
                self.ranges[code] = (low_d, high_d)
            else:
                self.attributes[code] = (*self.attributes.get(code, ()), value)
            self.attr_values.append(f"{code}:{value}")

    @property
    def filtered(self) -> bool:
        return bool(
            self.category
            or self.brands
            or self.tags
            or self.attr_values
            or self.in_stock
            or self.shelf_life_max is not None
            or self.price_min is not None
            or self.price_max is not None
        )
