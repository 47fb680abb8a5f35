"""Per-dealer money: credit limit and exposure, prepaid (预存款) and rebate (返利) balances, the ledger,
receivables and overdue reminders."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField
from dinghuo.core.tenancy import TenantModel


class DealerAccount(TenantModel):
    """One row per dealer holding every balance the ordering hot path touches.

    Exposure = ``receivable`` (open, shipped-not-paid) + ``credit_hold`` (placed-not-shipped credit
    orders); an order on credit may only raise ``credit_hold`` while exposure stays within
    ``credit_limit`` (a guarded UPDATE), unless an authorised person overrides it, recorded.
    ``prepaid`` and ``rebate`` never go below zero (CHECK constraints). Each balance equals the sum
    of its ``LedgerEntry`` rows (by bucket). ``oldest_due_date`` is the due date of the oldest open
    receivable, so the overdue rule needs no extra query.
    """

    dealer = models.OneToOneField("dealers.Dealer", on_delete=models.CASCADE, related_name="account")
    credit_limit = MoneyField(_("credit limit"), default=Decimal(0))
    terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    credit_hold = MoneyField(_("credit held for open orders"), default=Decimal(0))
    receivable = MoneyField(_("open receivables"), default=Decimal(0))
    prepaid = MoneyField(_("prepaid balance"), default=Decimal(0))
    rebate = MoneyField(_("rebate balance"), default=Decimal(0))
    oldest_due_date = models.DateField(_("oldest open due date"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dealer account")
        verbose_name_plural = _("dealer accounts")
        constraints = [
            models.CheckConstraint(condition=Q(prepaid__gte=0), name="account_prepaid_not_negative"),
            models.CheckConstraint(condition=Q(rebate__gte=0), name="account_rebate_not_negative"),
            models.CheckConstraint(condition=Q(credit_hold__gte=0), name="account_hold_not_negative"),
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="account_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"account of {self.dealer_id}"

    @property
    def exposure(self) -> Decimal:
        return self.receivable + self.credit_hold

    @property
    def available_credit(self) -> Decimal:
        return max(Decimal(0), self.credit_limit - self.exposure)


class LedgerEntry(TenantModel):
    """One signed change of one balance of a dealer account."""

    class Bucket(models.TextChoices):
        CREDIT_HOLD = "credit_hold", _("Credit hold")
        RECEIVABLE = "receivable", _("Receivable")
        PREPAID = "prepaid", _("Prepaid")
        REBATE = "rebate", _("Rebate")

    class Kind(models.TextChoices):
        ORDER_HOLD = "order_hold", _("Order placed on credit")
        HOLD_RELEASE = "hold_release", _("Credit hold released")
        SHIPPED = "shipped", _("Goods shipped")
        ORDER_SPEND = "order_spend", _("Spent on an order")
        REFUND = "refund", _("Refund")
        PAYMENT = "payment", _("Payment")
        TOPUP = "topup", _("Top-up")
        REBATE_ACCRUAL = "rebate_accrual", _("Rebate accrued")
        CREDIT_NOTE = "credit_note", _("Credit note")
        ADJUSTMENT = "adjustment", _("Adjustment")
        OPENING = "opening", _("Opening balance")

    account = models.ForeignKey(DealerAccount, on_delete=models.PROTECT, related_name="entries")
    bucket = models.CharField(_("balance"), max_length=12, choices=Bucket.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = MoneyField(_("amount"))
    ref_type = models.CharField(max_length=30, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["account", "bucket", "created_at"], name="ledger_account_bucket"),
            models.Index(fields=["tenant", "ref_type", "ref_id"], name="ledger_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.amount:+}"


class Receivable(TenantModel):
    """Money a dealer owes for shipped goods, due ``terms_days`` after shipping."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")

    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.PROTECT, related_name="receivables")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="receivables")
    shipment = models.ForeignKey("orders.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("amount"))
    paid = MoneyField(_("paid"), default=Decimal(0))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=models.F("amount")), name="receivable_paid_within_amount"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "dealer", "status", "due_date"], name="receivable_open")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount} due {self.due_date}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


class CreditOverride(TenantModel):
    """An authorised decision to let an order exceed the credit limit or pass the overdue block."""

    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("amount over the limit"))
    approved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit override")
        verbose_name_plural = _("credit overrides")

    def __str__(self) -> str:
        return f"override {self.amount} for {self.dealer_id}"


class ReminderLog(TenantModel):
    """One reminder stage sent for one receivable (before or after its due date), so a rerun never repeats it."""

    receivable = models.ForeignKey(Receivable, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=16)  # "due_soon", "overdue_1", "overdue_7", …
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["receivable", "stage"], name="reminder_once_per_stage")]

    def __str__(self) -> str:
        return f"{self.receivable_id} {self.stage}"
