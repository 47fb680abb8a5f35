from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.models import User
from dinghuo.accounts.roles import Role
from dinghuo.core import regions
from dinghuo.dealers.models import Dealer, DealerTier, PriceGroup, ServiceRecord


def _region_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(r.code, r.name) for r in regions.provinces()]


class DealerForm(forms.Form):
    code = forms.CharField(label=_("Dealer code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=120)
    short_name = forms.CharField(label=_("Short name"), max_length=40, required=False)
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=DealerTier.objects.all())
    price_group = forms.ModelChoiceField(label=_("Price group"), queryset=PriceGroup.objects.all(), required=False)
    sales_rep = forms.ModelChoiceField(label=_("Sales rep"), queryset=User.objects.none(), required=False)
    parent = forms.ModelChoiceField(label=_("Parent dealer"), queryset=Dealer.objects.all(), required=False)
    region_code = forms.CharField(
        label=_("Home region"), max_length=6, help_text=_("Six-digit region code, e.g. 440300 for 深圳市.")
    )
    contact_name = forms.CharField(label=_("Contact"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    tax_id = forms.CharField(label=_("Unified social credit code"), max_length=30, required=False)
    invoice_title = forms.CharField(label=_("Invoice title"), max_length=120, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=120, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=60, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, editing: Dealer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Users are not tenant-scoped; their sales-rep memberships in this tenant are.
        self.fields["sales_rep"].queryset = User.objects.filter(pk__in=_sales_rep_ids()).order_by("username")
        if editing is not None:
            self.fields["code"].disabled = True
            self.fields["parent"].queryset = Dealer.objects.exclude(pk=editing.pk)

    def clean_region_code(self):
        code = self.cleaned_data["region_code"].strip()
        if regions.get(code) is None:
            raise forms.ValidationError(_("Unknown region code “%(code)s”."), params={"code": code})
        return code


def _sales_rep_ids():
    from dinghuo.accounts.models import Membership

    return Membership.objects.filter(role=Role.SALES_REP, is_active=True).values("user_id")


class DealerStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Dealer.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class RegionsForm(forms.Form):
    regions = forms.CharField(
        label=_("Authorised regions"),
        help_text=_("Region codes or names separated by commas, e.g. 440000, 深圳市, 南山区."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_regions(self):
        out, bad = [], []
        for part in [p.strip() for p in self.cleaned_data["regions"].replace("，", ",").split(",") if p.strip()]:
            region = regions.get(part)
            if region is None:
                try:
                    region = regions.parse_address(part).region
                except regions.AddressError:
                    region = None
            (out if region else bad).append(region.code if region else part)
        if bad:
            raise forms.ValidationError(_("Unknown regions: %(names)s"), params={"names": "、".join(bad)})
        if not out:
            raise forms.ValidationError(_("Choose at least one region."))
        return out


class AddressForm(forms.Form):
    receiver = forms.CharField(label=_("Receiver"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=30)
    text = forms.CharField(
        label=_("Address"),
        max_length=240,
        help_text=_("The full address as written, e.g. 广东省深圳市南山区科苑路15号; we recognise the region."),
    )
    label = forms.CharField(label=_("Label"), max_length=40, required=False)
    is_default = forms.BooleanField(label=_("Default address"), required=False)


class ServiceRecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceRecord.Kind.choices)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class CreditForm(forms.Form):
    """Credit limit and payment terms: finance's job (``dealers.credit.manage``), always audited."""

    credit_limit = forms.DecimalField(
        label=_("Credit limit (¥)"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)
    reason = forms.CharField(label=_("Reason"), max_length=300, help_text=_("Recorded in the audit log."))


class TierForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=60)
    rank = forms.IntegerField(
        label=_("Rank"), min_value=0, max_value=1000, initial=0, help_text=_("Higher ranks are better tiers.")
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if DealerTier.objects.filter(code=code).exists():
            raise forms.ValidationError(_("The code “%(code)s” is already used."), params={"code": code})
        return code


class PriceGroupForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=60)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if PriceGroup.objects.filter(code=code).exists():
            raise forms.ValidationError(_("The code “%(code)s” is already used."), params={"code": code})
        return code
