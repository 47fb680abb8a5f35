"""Invoices (发票): requested by dealers, issued by finance against shipped lines or paid orders' lines,
voided by a red-letter reversal (红字发票). ``finance/invoices.py`` explains the rules."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField, QuantityField
from dinghuo.core.tenancy import TenantModel


class Invoice(TenantModel):
    class Kind(models.TextChoices):
        SPECIAL = "special", _("VAT special invoice (专票)")
        ORDINARY = "ordinary", _("VAT ordinary invoice (普票)")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ISSUED = "issued", _("Issued")
        SENT = "sent", _("Sent")
        VOIDED = "voided", _("Voided")
        REFUSED = "refused", _("Refused")

    number = models.CharField(_("invoice request number"), max_length=32)
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(_("invoice type"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    is_red = models.BooleanField(_("red-letter reversal"), default=False)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal", verbose_name=_("reverses")
    )
    # the buyer's tax details, snapshotted from the dealer when requested
    title = models.CharField(_("invoice title"), max_length=120)
    tax_id = models.CharField(_("taxpayer id"), max_length=30, blank=True)
    address_phone = models.CharField(_("address and phone"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank and account"), max_length=200, blank=True)
    # the seller's (the tenant's) tax details, snapshotted when issued: later edits leave old invoices alone
    seller_name = models.CharField(_("seller"), max_length=120, blank=True)
    seller_tax_id = models.CharField(_("seller's taxpayer id"), max_length=30, blank=True)
    seller_address_phone = models.CharField(_("seller's address and phone"), max_length=200, blank=True)
    seller_bank_account = models.CharField(_("seller's bank and account"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail for the invoice"), blank=True)
    total = MoneyField(_("amount incl. tax"))
    net = MoneyField(_("amount excl. tax"))
    tax = MoneyField(_("tax"))
    tax_breakdown = models.JSONField(default=list)  # [{"rate": "0.13", "gross": …, "net": …, "tax": …}]
    statement = models.ForeignKey(
        "finance.Statement", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    invoice_code = models.CharField(_("invoice code"), max_length=20, blank=True)
    invoice_no = models.CharField(_("invoice number"), max_length=40, blank=True)
    adapter = models.CharField(max_length=20, blank=True)
    adapter_note = models.CharField(max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="invoice_number_unique"),
            models.UniqueConstraint(
                fields=["tenant", "invoice_no"], condition=~Q(invoice_no=""), name="invoice_no_unique"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status", "requested_at"], name="invoice_status")]

    def __str__(self) -> str:
        return self.invoice_no or self.number


class InvoiceLine(TenantModel):
    """One invoiced order line: a shipped part of it (``shipment_line``, the shipment route), or the whole
    line of a paid order (no shipment line, the paid route). ``order_line`` is always filled.

    A shipment line sits on at most one live invoice, and so does a whole order line (partial unique
    indexes); ``OrderLineInvoicing`` keeps the two routes from covering the same order line at once.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    shipment_line = models.ForeignKey(
        "orders.ShipmentLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order_number = models.CharField(max_length=32)
    shipment_number = models.CharField(max_length=32, blank=True)  # empty on the paid route
    sku_code = models.CharField(max_length=40)
    name = models.CharField(max_length=240)
    unit = models.CharField(max_length=10)
    qty = QuantityField()
    gross = MoneyField()
    tax_rate = models.DecimalField(max_digits=4, decimal_places=2)
    net = MoneyField()
    tax = MoneyField()
    active = models.BooleanField(default=True)  # False once its invoice is voided or refused

    class Meta:
        ordering = ["invoice_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment_line"], condition=Q(active=True), name="invoice_line_invoiced_once"
            ),
            models.UniqueConstraint(
                fields=["order_line"],
                condition=Q(active=True, shipment_line__isnull=True),
                name="invoice_line_paid_invoiced_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.sku_code} {self.gross}"

    @property
    def by_payment(self) -> bool:
        return self.shipment_line_id is None


class OrderLineInvoicing(TenantModel):
    """How an order line is being invoiced right now: whole, as part of a paid order (``whole`` = 1), or
    shipment by shipment (``parts`` = its shipment lines on live invoices) — never both at once.

    The CHECK makes the database refuse the second route whatever the code does; every request,
    refusal and void changes these counters with a guarded UPDATE on rows locked in order-line
    order (``finance/locks.py``), so two racing requests for the same goods cannot both win.
    """

    order_line = models.OneToOneField("orders.OrderLine", on_delete=models.CASCADE, related_name="+")
    whole = models.PositiveSmallIntegerField(default=0)
    parts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(whole__gte=0, whole__lte=1, parts__gte=0) & (Q(whole=0) | Q(parts=0)),
                name="invoicing_whole_or_parts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id}: whole={self.whole} parts={self.parts}"
