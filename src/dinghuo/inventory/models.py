"""Warehouses, stock per SKU per warehouse, and the movement ledger stock rows must equal."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import QuantityField
from dinghuo.core.tenancy import TenantModel


class Warehouse(TenantModel):
    """A warehouse of the tenant, or of a dealer (which then ships its sub-dealers' orders)."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=80)
    owner_dealer = models.ForeignKey(
        "dealers.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warehouses",
        verbose_name=_("owned by dealer"),
    )
    region_code = models.CharField(_("region"), max_length=6)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="warehouse_code_unique")]

    def __str__(self) -> str:
        return self.name


class Stock(TenantModel):
    """On hand and reserved quantities of one SKU in one warehouse, in base units.

    ``available`` = on_hand − reserved. The CHECK constraint is the last line of defence against
    overselling: reserved never exceeds on hand unless the SKU allows backorders (``backorder_ok``
    is copied from the SKU so the database can see it).
    """

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="stocks")
    on_hand = QuantityField(_("on hand"), default=Decimal(0))
    reserved = QuantityField(_("reserved"), default=Decimal(0))
    safety_stock = QuantityField(_("safety stock"), default=Decimal(0))
    backorder_ok = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="stock_unique"),
            models.CheckConstraint(
                condition=Q(backorder_ok=True) | Q(reserved__lte=F("on_hand")), name="stock_no_oversell"
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(backorder_ok=True) | Q(on_hand__gte=0), name="stock_on_hand_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "sku"], name="stock_sku")]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.safety_stock > 0 and self.available <= self.safety_stock


class StockMovement(TenantModel):
    """One change of a stock row. For every stock row: on_hand = Σ on_hand_delta, reserved = Σ reserved_delta."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ADJUSTMENT = "adjustment", _("Adjustment")
        RESERVATION = "reservation", _("Reservation")
        RELEASE = "release", _("Release")
        SHIPMENT = "shipment", _("Shipment")
        RETURN = "return", _("Return")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        SYNC = "sync", _("WMS sync")

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    on_hand_delta = QuantityField(default=Decimal(0))
    reserved_delta = QuantityField(default=Decimal(0))
    ref_type = models.CharField(max_length=30, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=200, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [models.Index(fields=["tenant", "ref_type", "ref_id"], name="movement_ref")]

    def __str__(self) -> str:
        return f"{self.kind} {self.stock_id} {self.on_hand_delta}/{self.reserved_delta}"


class StockSync(TenantModel):
    """A WMS stock push, remembered by its sync id so that a retried push applies once."""

    class Mode(models.TextChoices):
        SNAPSHOT = "snapshot", _("Full snapshot")
        DELTA = "delta", _("Deltas")

    sync_id = models.CharField(max_length=80)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    lines = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "sync_id"], name="stock_sync_unique")]

    def __str__(self) -> str:
        return self.sync_id


class LowStockAlert(TenantModel):
    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="alerts")
    available = QuantityField()
    safety_stock = QuantityField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("low-stock alert")
        verbose_name_plural = _("low-stock alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["stock"], condition=Q(resolved_at__isnull=True), name="one_open_alert_per_stock"
            )
        ]

    def __str__(self) -> str:
        return f"low {self.stock_id}"
