"""Carts, orders with their lines, allocations, timeline and shipments."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField, QuantityField
from dinghuo.core.tenancy import TenantModel


class Cart(TenantModel):
    """A dealer user's persistent cart (one per user and dealer)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "dealer"], name="cart_per_user_dealer")]

    def __str__(self) -> str:
        return f"cart {self.user_id}/{self.dealer_id}"


class CartLine(TenantModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+")
    unit = models.CharField(max_length=10)
    qty = QuantityField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["cart", "sku", "unit"], name="cart_line_unique")]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.qty} {self.unit}"


class Order(TenantModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        PENDING_REVIEW = "pending_review", _("Pending review")
        APPROVED = "approved", _("Approved")
        PICKING = "picking", _("Picking")
        PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REJECTED = "rejected", _("Rejected")

    class Channel(models.TextChoices):
        WEB = "web", _("Web portal")
        QUICK = "quick", _("Quick order")
        IMPORT = "import", _("Excel import")
        API = "api", _("API")
        ON_BEHALF = "on_behalf", _("Placed by a sales rep")

    number = models.CharField(_("order number"), max_length=32)
    dealer = models.ForeignKey(
        "dealers.Dealer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("dealer")
    )
    # Where the goods come from: the brand (null) or a parent dealer's own warehouses.
    supplier_dealer = models.ForeignKey(
        "dealers.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="supplied_orders"
    )
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf = models.BooleanField(_("placed on the dealer's behalf"), default=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    # ship-to, snapshotted at placement
    ship_to_name = models.CharField(_("receiver"), max_length=60)
    ship_to_phone = models.CharField(_("phone"), max_length=30)
    ship_to_region = models.CharField(_("region"), max_length=6)
    ship_to_address = models.CharField(_("address"), max_length=240)
    requested_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # money (tax-inclusive, CNY)
    subtotal = MoneyField(_("subtotal"))
    discount = MoneyField(_("discount"), default=Decimal(0))
    total = MoneyField(_("total"))
    tax = MoneyField(_("tax"), default=Decimal(0))
    pay_credit = MoneyField(_("on credit"), default=Decimal(0))
    pay_prepaid = MoneyField(_("from prepaid"), default=Decimal(0))
    pay_rebate = MoneyField(_("from rebate"), default=Decimal(0))
    # the rule check: [{"rule": "credit", "outcome": "review", "message": "…", "data": {…}}, …]
    checks = models.JSONField(_("rule results"), default=list, blank=True)
    promotions = models.JSONField(_("promotions applied"), default=list, blank=True)
    # flash-sale quantities claimed at placement, given back if the order is cancelled:
    # [[promotion id, sku id, "base qty"], …]
    flash_claims = models.JSONField(default=list, blank=True)
    # True once the order's credit hold / prepaid / rebate were taken (at placement, or at approval
    # for orders that waited for review); cancelling gives back only what was taken.
    funds_taken = models.BooleanField(default=False)
    credit_override = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="order_number_unique"),
            models.CheckConstraint(
                condition=Q(pay_credit__gte=0) & Q(pay_prepaid__gte=0) & Q(pay_rebate__gte=0),
                name="order_payments_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "dealer", "created_at"], name="order_dealer_time"),
            models.Index(fields=["tenant", "status", "created_at"], name="order_status_time"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(TenantModel):
    """A priced line: snapshot of the SKU, quantity in the ordered unit and in base units, price and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    sku_code = models.CharField(max_length=40)
    name = models.CharField(max_length=240)
    unit = models.CharField(max_length=10)
    unit_factor = QuantityField()
    qty = QuantityField()
    qty_base = QuantityField()
    unit_price = MoneyField()  # per ordered unit, tax-inclusive, after price list, before promotions
    list_price = MoneyField()  # per ordered unit, from the SKU's list price
    discount = MoneyField(default=Decimal(0))
    amount = MoneyField()  # qty × unit_price − discount
    tax_rate = models.DecimalField(max_digits=4, decimal_places=2)
    tax = MoneyField(default=Decimal(0))
    is_gift = models.BooleanField(default=False)
    promotion_id = models.BigIntegerField(null=True, blank=True)
    explanation = models.JSONField(default=dict)
    shipped_base = QuantityField(default=Decimal(0))
    backordered_base = QuantityField(default=Decimal(0))

    class Meta:
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_no_unique"),
            models.CheckConstraint(condition=Q(qty__gt=0) & Q(qty_base__gt=0), name="order_line_qty_positive"),
            models.CheckConstraint(
                condition=Q(shipped_base__lte=models.F("qty_base")), name="order_line_not_overshipped"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_no}"


class Allocation(TenantModel):
    """Base units of a line reserved in one warehouse (a line may be split across warehouses)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    stock = models.ForeignKey("inventory.Stock", on_delete=models.PROTECT, related_name="+")
    warehouse_id_snapshot = models.BigIntegerField()
    qty_base = QuantityField()
    shipped_base = QuantityField(default=Decimal(0))
    released_base = QuantityField(default=Decimal(0))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(shipped_base__gte=0)
                & Q(released_base__gte=0)
                & Q(qty_base__gte=models.F("shipped_base") + models.F("released_base")),
                name="allocation_within_qty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}@{self.warehouse_id_snapshot}: {self.qty_base}"

    @property
    def open_base(self):
        return self.qty_base - self.shipped_base - self.released_base


class OrderEvent(TenantModel):
    """The order's timeline: every transition and notable action, with who, when and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class Shipment(TenantModel):
    class Status(models.TextChoices):
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    number = models.CharField(_("shipment number"), max_length=32)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_no = models.CharField(_("tracking number"), max_length=60)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SHIPPED)
    amount = MoneyField(_("amount"), default=Decimal(0))
    shipped_at = models.DateTimeField(_("shipped at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["shipped_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="shipment_number_unique")]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(TenantModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="+")
    qty_base = QuantityField()
    amount = MoneyField(default=Decimal(0))

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(qty_base__gt=0), name="shipment_line_qty_positive")]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.line_id} × {self.qty_base}"
