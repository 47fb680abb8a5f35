"""Forms for finance's pages: parse and validate input; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dinghuo.finance.models import Invoice, Payment, RebateProgramme

MONEY = {"max_digits": 16, "decimal_places": 2}
DATE = forms.DateInput(attrs={"type": "date"})


class AmountField(forms.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Amount"))
        super().__init__(min_value=Decimal("0.01"), **MONEY, **kwargs)


class DealerPayForm(forms.Form):
    """The dealer's payment page: online, a bank transfer with its voucher, or an acceptance bill."""

    WAYS = [("online", _("Pay online")), ("transfer", _("Bank transfer (upload the voucher)")),
            ("bill", _("Acceptance bill"))]  # fmt: skip
    way = forms.ChoiceField(label=_("How"), choices=WAYS, initial="online", widget=forms.RadioSelect)
    purpose = forms.ChoiceField(
        label=_("For"),
        choices=[(Payment.Purpose.RECEIVABLES, _("Settle what I owe")), (Payment.Purpose.TOPUP, _("Top up prepaid"))],
        initial=Payment.Purpose.RECEIVABLES,
    )
    amount = AmountField()
    provider = forms.ChoiceField(label=_("Online payment with"), choices=[], required=False)
    voucher = forms.FileField(label=_("Transfer voucher (photo or PDF)"), required=False)
    payer_name = forms.CharField(label=_("Paid from (account name)"), max_length=120, required=False)
    bank_ref = forms.CharField(label=_("Bank reference"), max_length=60, required=False)
    paid_on = forms.DateField(label=_("Paid on"), required=False, widget=DATE)
    bill_number = forms.CharField(label=_("Bill number"), max_length=40, required=False)
    bill_due_date = forms.DateField(label=_("Bill due date"), required=False, widget=DATE)
    bill_issuer = forms.CharField(label=_("Accepting bank"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, providers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(p.code, p.label) for p in providers]
        if providers:
            self.fields["provider"].initial = providers[0].code

    def clean(self):
        data = super().clean()
        way = data.get("way")
        if way == "online" and not data.get("provider"):
            self.add_error("provider", _("Online payment is not available; upload a voucher instead."))
        if way == "transfer" and not data.get("voucher"):
            self.add_error("voucher", _("Upload the transfer voucher."))
        if way == "bill":
            for name in ("bill_number", "bill_due_date"):
                if not data.get(name):
                    self.add_error(name, _("This field is required."))
        return data


class StaffPaymentForm(forms.Form):
    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=None)
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[(m.value, m.label) for m in Payment.Method if m != Payment.Method.ONLINE],
    )
    purpose = forms.ChoiceField(
        label=_("For"),
        choices=[(Payment.Purpose.RECEIVABLES, _("Settle receivables")), (Payment.Purpose.TOPUP, _("Prepaid top-up"))],
    )
    amount = AmountField()
    payer_name = forms.CharField(label=_("Payer"), max_length=120, required=False)
    bank_ref = forms.CharField(label=_("Bank reference"), max_length=60, required=False)
    paid_on = forms.DateField(label=_("Paid on"), required=False, widget=DATE)
    bill_number = forms.CharField(label=_("Bill number"), max_length=40, required=False)
    bill_due_date = forms.DateField(label=_("Bill due date"), required=False, widget=DATE)
    bill_issuer = forms.CharField(label=_("Accepting bank"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    confirm = forms.BooleanField(label=_("Money received: confirm and apply now"), required=False, initial=True)

    def __init__(self, *args, dealers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = dealers


class RefundForm(forms.Form):
    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=None)
    amount = AmountField()
    payee_name = forms.CharField(label=_("Payee"), max_length=120, required=False)
    payee_account = forms.CharField(label=_("Bank account"), max_length=60, required=False)
    bank_ref = forms.CharField(label=_("Bank reference"), max_length=60, required=False)
    note = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, dealers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = dealers


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CreditTermsForm(forms.Form):
    credit_limit = forms.DecimalField(label=_("Credit limit"), min_value=Decimal(0), **MONEY)
    terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class FinanceSettingsForm(forms.Form):
    rebate_max_percent = forms.DecimalField(
        label=_("Rebates may pay at most (% of an order)"), min_value=Decimal(0), max_value=Decimal(100),
        max_digits=5, decimal_places=2,
    )  # fmt: skip
    payment_max_amount = forms.DecimalField(
        label=_("Largest single payment"), min_value=Decimal("0.01"), max_value=Decimal("100000000"), **MONEY
    )
    reminder_days_before = forms.IntegerField(label=_("First reminder, days before due"), min_value=0, max_value=30)


class SellerDetailsForm(forms.Form):
    """The seller's (the tenant's) tax details for invoices; the service normalises and checks them."""

    legal_name = forms.CharField(label=_("Legal name for invoices"), max_length=120, required=False,
                                 help_text=_("As registered; leave empty to use the company name."))  # fmt: skip
    tax_id = forms.CharField(label=_("Taxpayer id (unified social credit code)"), max_length=30, required=False,
                             help_text=_("18 characters, e.g. 91440101MA59ABCD2X. Needed for VAT special invoices."))  # fmt: skip
    registered_address = forms.CharField(label=_("Registered address"), max_length=160, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=120, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=60, required=False)


class StatementGenerateForm(forms.Form):
    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=None, required=False,
                                    help_text=_("Leave empty for every dealer (a month only)."))  # fmt: skip
    month = forms.RegexField(label=_("Month"), regex=r"^\d{4}-\d{1,2}$", required=False,
                             widget=forms.TextInput(attrs={"placeholder": "2026-10"}))  # fmt: skip
    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args, dealers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = dealers

    def clean(self):
        data = super().clean()
        if not data.get("month") and not (data.get("start") and data.get("end")):
            raise forms.ValidationError(_("Give a month, or a start and an end date."))
        if not data.get("month") and not data.get("dealer"):
            self.add_error("dealer", _("Choose a dealer for a date range."))
        return data


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    lines = forms.CharField(required=False)  # comma-separated line numbers (checkboxes)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class InvoiceRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Invoice type"), choices=Invoice.Kind.choices)
    email = forms.EmailField(label=_("E-mail for the invoice"), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    period = forms.ChoiceField(label=_("Period"), choices=RebateProgramme.Period.choices)
    percent = forms.DecimalField(label=_("Rebate %"), min_value=Decimal(0), max_value=Decimal(100), max_digits=5,
                                 decimal_places=2)  # fmt: skip
    tiers = forms.CharField(
        label=_("Volume tiers"), required=False, max_length=300,
        help_text=_("Optional: amount:percent pairs, e.g. 100000:3, 300000:5 — the highest tier reached applies."),
    )  # fmt: skip
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False)
    dealer_tier = forms.ModelChoiceField(label=_("Dealer tier"), queryset=None, required=False)
    starts_on = forms.DateField(label=_("Valid from"), widget=DATE)
    ends_on = forms.DateField(label=_("Valid until"), required=False, widget=DATE)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        from dinghuo.catalog.models import Category
        from dinghuo.dealers.models import DealerTier

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.order_by("path", "sort")
        self.fields["dealer_tier"].queryset = DealerTier.objects.order_by("rank")


class AccrueForm(forms.Form):
    period = forms.CharField(label=_("Period"), max_length=10, required=False,
                             widget=forms.TextInput(attrs={"placeholder": "2026-Q3"}))  # fmt: skip
