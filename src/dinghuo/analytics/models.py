"""Reporting facts: order lines rolled up by dealer × month × category, kept current incrementally.

Reports and dashboards read these instead of scanning millions of order lines; ``refresh_facts``
recomputes only the (dealer, month) cells whose orders changed since the last refresh.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField, QuantityField
from dinghuo.core.tenancy import TenantModel


class SalesFact(TenantModel):
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # first day of the month, local time
    category = models.ForeignKey("catalog.Category", on_delete=models.CASCADE, related_name="+")
    orders = models.PositiveIntegerField(default=0)
    lines = models.PositiveIntegerField(default=0)
    qty_base = QuantityField(default=Decimal(0))
    amount = MoneyField(default=Decimal(0))
    tax = MoneyField(default=Decimal(0))

    class Meta:
        verbose_name = _("sales fact")
        verbose_name_plural = _("sales facts")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dealer", "month", "category"], name="sales_fact_cell")
        ]
        indexes = [models.Index(fields=["tenant", "month"], name="sales_fact_month")]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m} {self.category_id}: {self.amount}"


class FactWatermark(TenantModel):
    """Up to when (orders.updated_at) the facts of a tenant are current."""

    refreshed_to = models.DateTimeField(null=True, blank=True)
    sku_sales_at = models.DateTimeField(null=True, blank=True)  # the moment SkuSales's window ends at

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="fact_watermark_tenant")]

    def __str__(self) -> str:
        return f"facts to {self.refreshed_to}"


SKU_SALES_WINDOW_DAYS = 90  # search's "best-selling in your region" counts this many days


class SkuSales(TenantModel):
    """Base units of a SKU ordered for one province (the first two digits of the ship-to region)
    in the ``SKU_SALES_WINDOW_DAYS`` up to ``FactWatermark.sku_sales_at``, cancelled and rejected orders
    left out. Rebuilt by ``refresh_sku_sales`` (``refresh_facts`` runs it), and read by search's
    "best-selling in your region" sort while it is fresh: summed live, that sort reads every line
    each candidate SKU ever sold — 200 ms for a category of 1,000 SKUs over a million lines."""

    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+")
    province = models.CharField(max_length=2)
    qty_base = QuantityField(default=Decimal(0))

    class Meta:
        verbose_name = _("SKU sales by province")
        verbose_name_plural = _("SKU sales by province")
        constraints = [models.UniqueConstraint(fields=["tenant", "sku", "province"], name="sku_sales_cell")]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.province}: {self.qty_base}"
