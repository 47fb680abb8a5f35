"""Payments in (还款, 预存) and out (退款), how each was applied, and online payment providers."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField
from dinghuo.core.tenancy import TenantModel


class Payment(TenantModel):
    """Money received from a dealer (or paid back to it), and what it settled.

    An incoming payment waits as ``pending`` until finance confirms it (a transfer voucher, an
    acceptance bill) or the provider's signed notification arrives (online); confirming applies it
    once: to the chosen or the oldest open receivables, any rest to the prepaid balance. ``applied``
    + ``to_prepaid`` always equals ``amount`` once confirmed. A refund (``direction`` out) takes
    money out of the prepaid balance back to the dealer's bank account.
    """

    class Direction(models.TextChoices):
        IN = "in", _("Received")
        OUT = "out", _("Paid out")

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        BILL = "bill", _("Acceptance bill")
        CASH = "cash", _("Cash")
        ONLINE = "online", _("Online payment")
        CREDIT_NOTE = "credit_note", _("Credit note")
        PREPAID = "prepaid", _("From the prepaid balance")

    class Purpose(models.TextChoices):
        RECEIVABLES = "receivables", _("Settle receivables")
        TOPUP = "topup", _("Prepaid top-up")
        REFUND = "refund", _("Refund to bank")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("payment number"), max_length=32)
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.PROTECT, related_name="payments")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.IN)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    amount = MoneyField(_("amount"))
    applied = MoneyField(_("applied to receivables"), default=Decimal(0))
    to_prepaid = MoneyField(_("to prepaid balance"), default=Decimal(0))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # receivable ids the payer or finance chose; empty = the oldest first
    targets = models.JSONField(default=list, blank=True)
    # bank transfer / cash / refund
    payer_name = models.CharField(_("payer or payee"), max_length=120, blank=True)
    payer_account = models.CharField(_("bank account"), max_length=60, blank=True)
    bank_ref = models.CharField(_("bank reference"), max_length=60, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    # the voucher (汇款凭证) the dealer uploaded: a private file, served by a permission-checked view
    voucher = models.FileField(_("voucher"), max_length=200, blank=True)
    voucher_name = models.CharField(max_length=120, blank=True)
    voucher_type = models.CharField(max_length=40, blank=True)
    voucher_size = models.PositiveIntegerField(default=0)
    # acceptance bill (承兑汇票)
    bill_number = models.CharField(_("bill number"), max_length=40, blank=True)
    bill_due_date = models.DateField(_("bill due date"), null=True, blank=True)
    bill_issuer = models.CharField(_("accepting bank"), max_length=120, blank=True)
    # online
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_trade_no = models.CharField(_("provider trade number"), max_length=64, blank=True)
    provider_data = models.JSONField(default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="payment_number_unique"),
            models.UniqueConstraint(
                fields=["provider", "provider_trade_no"],
                condition=~Q(provider_trade_no=""),
                name="payment_provider_trade_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(applied__gte=0) & Q(to_prepaid__gte=0) & Q(amount__gte=F("applied") + F("to_prepaid")),
                name="payment_split_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="payment_status_time"),
            models.Index(fields=["tenant", "dealer", "created_at"], name="payment_dealer_time"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class PaymentApplication(TenantModel):
    """A part of a payment settling a part of one receivable (one row per payment and receivable)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="applications")
    receivable = models.ForeignKey("finance.Receivable", on_delete=models.PROTECT, related_name="applications")
    amount = MoneyField(_("amount"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "receivable"], name="application_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}→{self.receivable_id}: {self.amount}"


class PaymentProvider(TenantModel):
    """A tenant's merchant account with an online payment provider (Alipay's open platform).

    Keys are PEM text: the app's RSA private key (signs requests) and the provider's public key
    (verifies its responses and notifications). Managed by superusers in the admin.
    """

    code = models.CharField(_("provider"), max_length=20)
    enabled = models.BooleanField(_("enabled"), default=True)
    app_id = models.CharField(_("app id"), max_length=64)
    seller_id = models.CharField(_("seller id"), max_length=64, blank=True)
    gateway = models.URLField(_("gateway"), default="https://openapi.alipay.com/gateway.do")
    app_private_key = models.TextField(_("app private key (PEM)"))
    provider_public_key = models.TextField(_("provider public key (PEM)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment provider")
        verbose_name_plural = _("payment providers")
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="payment_provider_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.app_id}"
