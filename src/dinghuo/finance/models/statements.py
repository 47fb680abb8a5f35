"""Statements (对账单): a dealer's period, line by line, derived from the ledger and its documents."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField
from dinghuo.core.tenancy import TenantModel


class Statement(TenantModel):
    """One dealer's account over ``period_start``..``period_end`` (inclusive, local dates).

    The balance is what the dealer owes net: open receivables less its prepaid balance. Every line
    is one document's effect (an order paid from prepaid, a shipment on credit, a payment, a
    refund, a credit note) summed from the ledger entries that reference it, so the same period
    always yields the same lines; ``digest`` fingerprints them. Rebates have their own balance.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DISPUTED = "disputed", _("Disputed")
        RESOLVED = "resolved", _("Dispute resolved")

    number = models.CharField(_("statement number"), max_length=32)
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.PROTECT, related_name="statements")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    opening_balance = MoneyField(_("opening balance"))
    closing_balance = MoneyField(_("closing balance"))
    rebate_opening = MoneyField(_("rebate opening balance"), default=Decimal(0))
    rebate_closing = MoneyField(_("rebate closing balance"), default=Decimal(0))
    totals = models.JSONField(default=dict)  # {category: {"debit": "…", "credit": "…"}}
    line_count = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64)
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dispute_reason = models.CharField(_("dispute"), max_length=500, blank=True)
    disputed_lines = models.JSONField(default=list, blank=True)  # line seq numbers
    disputed_at = models.DateTimeField(null=True, blank=True)
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="statement_number_unique"),
            models.UniqueConstraint(fields=["dealer", "period_start", "period_end"], name="statement_period_once"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="statement_period"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "period_end"], name="statement_status")]

    def __str__(self) -> str:
        return self.number


class StatementLine(TenantModel):
    class Section(models.TextChoices):
        ACCOUNT = "account", _("Account movements")
        REBATE = "rebate", _("Rebates")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField()
    section = models.CharField(max_length=8, choices=Section.choices, default=Section.ACCOUNT)
    date = models.DateField()
    category = models.CharField(max_length=16)
    doc_type = models.CharField(max_length=20)
    doc_id = models.CharField(max_length=64)
    doc_number = models.CharField(max_length=40)
    description = models.CharField(max_length=200)
    debit = MoneyField(default=Decimal(0))  # raises what the dealer owes (or its rebate balance)
    credit = MoneyField(default=Decimal(0))  # lowers it
    balance = MoneyField()
    entry_ids = models.JSONField(default=list)  # the ledger entries this line sums

    class Meta:
        ordering = ["statement_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["statement", "seq"], name="statement_line_seq")]

    def __str__(self) -> str:
        return f"{self.statement_id}#{self.seq}"
