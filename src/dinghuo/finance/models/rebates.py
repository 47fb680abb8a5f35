"""Rebate programmes (返利政策) and what they accrued, with the calculation kept line by line."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField
from dinghuo.core.tenancy import TenantModel


class RebateProgramme(TenantModel):
    """A percentage of each dealer's paid purchases over a period, optionally for one category (and
    its sub-categories) or one dealer tier, optionally tiered by volume: ``tiers`` is a list of
    ``{"from": "100000.00", "percent": "3.00"}``; the highest tier the period's basis reaches sets
    the percentage for the whole basis, ``percent`` applies below the first tier."""

    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Yearly")

    name = models.CharField(_("name"), max_length=80)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices, default=Period.QUARTER)
    percent = models.DecimalField(_("rebate %"), max_digits=5, decimal_places=2)
    tiers = models.JSONField(_("volume tiers"), default=list, blank=True)
    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
    )
    dealer_tier = models.ForeignKey(
        "dealers.DealerTier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dealer tier"),
    )
    active = models.BooleanField(_("active"), default=True)
    starts_on = models.DateField(_("valid from"))
    ends_on = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rebate programme")
        verbose_name_plural = _("rebate programmes")
        ordering = ["-active", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100), name="rebate_percent_range")
        ]

    def __str__(self) -> str:
        return self.name


class RebateAccrual(TenantModel):
    """What one programme accrued for one dealer over one period, credited to its rebate balance."""

    number = models.CharField(_("accrual number"), max_length=32)
    programme = models.ForeignKey(RebateProgramme, on_delete=models.PROTECT, related_name="accruals")
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.PROTECT, related_name="rebate_accruals")
    period = models.CharField(_("period"), max_length=10)  # "2026-Q3", "2026-10", "2026"
    period_start = models.DateField()
    period_end = models.DateField()
    basis = MoneyField(_("basis"))
    percent = models.DecimalField(_("rebate %"), max_digits=5, decimal_places=2)
    amount = MoneyField(_("rebate"))
    explanation = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("accrued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rebate accrual")
        verbose_name_plural = _("rebate accruals")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "dealer", "period_start"], name="rebate_accrual_once"),
            models.UniqueConstraint(fields=["tenant", "number"], name="rebate_accrual_number_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(basis__gte=0), name="rebate_accrual_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class RebateBasisLine(TenantModel):
    """One shipped order line counted in an accrual's basis: the calculation, shown."""

    accrual = models.ForeignKey(RebateAccrual, on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey("orders.Shipment", on_delete=models.PROTECT, related_name="+")
    order_number = models.CharField(max_length=32)
    shipment_number = models.CharField(max_length=32)
    sku_code = models.CharField(max_length=40)
    name = models.CharField(max_length=240)
    shipped_on = models.DateField()
    shipped_value = MoneyField()
    rebate_paid = MoneyField(default=Decimal(0))  # the share the dealer paid with rebates (not counted)
    basis = MoneyField()

    class Meta:
        ordering = ["shipped_on", "id"]

    def __str__(self) -> str:
        return f"{self.accrual_id}: {self.order_number} {self.sku_code} {self.basis}"
