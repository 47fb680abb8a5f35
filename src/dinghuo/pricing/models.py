"""Price lists (with volume tiers and validity windows) and promotions."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField, QuantityField
from dinghuo.core.tenancy import TenantModel


class PriceList(TenantModel):
    """A set of prices that applies to some dealers during a window.

    Which dealers it targets follows from ``kind``: a contract list names one dealer, a group list a
    price group, a regional list a city or province code, a tier list a dealer tier, and the list
    price list everybody. The price engine picks, for each SKU, the price from the applicable list
    of highest precedence (contract > group > city > province > tier > list by default; a tenant
    may reorder them), then the volume tier (``min_qty``) the line's base quantity reaches.
    """

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Dealer contract")
        GROUP = "group", _("Price group")
        REGION = "region", _("Region")
        TIER = "tier", _("Dealer tier")
        LIST = "list", _("List price")

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    dealer = models.ForeignKey(
        "dealers.Dealer", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("dealer")
    )
    price_group = models.ForeignKey(
        "dealers.PriceGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("price group"),
    )
    tier = models.ForeignKey(
        "dealers.DealerTier", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("tier")
    )
    region_code = models.CharField(_("region"), max_length=6, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="price_list_code_unique"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lt=models.F("valid_to")),
                name="price_list_window_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(kind="contract") & Q(dealer__isnull=False))
                | (Q(kind="group") & Q(price_group__isnull=False))
                | (Q(kind="region") & ~Q(region_code=""))
                | (Q(kind="tier") & Q(tier__isnull=False))
                | Q(kind="list"),
                name="price_list_target_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceListItem(TenantModel):
    """A SKU's tax-inclusive price per base unit from ``min_qty`` base units on (阶梯价)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="price_items")
    min_qty = QuantityField(_("from quantity"), default=Decimal(1))
    price = MoneyField(_("price"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["sku_id", "min_qty"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "sku", "min_qty"], name="price_item_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_item_not_negative"),
            models.CheckConstraint(condition=Q(min_qty__gt=0), name="price_item_min_qty_positive"),
        ]
        indexes = [models.Index(fields=["sku", "price_list"], name="price_item_sku")]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.price}≥{self.min_qty}"


class Promotion(TenantModel):
    """A promotion. ``rules`` holds the kind-specific parameters (see pricing/promotions.py):

    - threshold (满减): {"threshold": "500.00", "off": "50.00", "repeat": true}
    - gift (满赠/搭赠): {"buy_qty": "10", "gift_sku": 12, "gift_qty": "1", "repeat": true}
      or {"threshold": "1000.00", "gift_sku": 12, "gift_qty": "2"}
    - percent (折扣): {"percent": "8"}  — 8 % off the lines in scope
    - flash (秒杀): {"sku": 7, "price": "19.90"} with ``total_cap`` and ``per_dealer_cap``

    ``scope`` limits the lines that count: {"skus": [...], "categories": [...], "brands": [...]}
    (empty means all). ``tiers`` and ``regions`` limit the dealers it applies to. Promotions of the
    same non-empty ``exclusive_group`` never apply together (the best one wins); a non-stackable
    promotion applies only to lines no other promotion touched.
    """

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("Spend X save Y (满减)")
        GIFT = "gift", _("Buy X get Y (满赠/搭赠)")
        PERCENT = "percent", _("Percentage discount")
        FLASH = "flash", _("Flash sale (秒杀)")

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    rules = models.JSONField(_("rules"), default=dict)
    scope = models.JSONField(_("applies to"), default=dict, blank=True)
    tiers = models.JSONField(_("dealer tiers"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    stackable = models.BooleanField(_("stacks with others"), default=True)
    exclusive_group = models.CharField(_("exclusive group"), max_length=30, blank=True)
    valid_from = models.DateTimeField(_("starts"))
    valid_to = models.DateTimeField(_("ends"))
    total_cap = QuantityField(_("total quantity cap"), null=True, blank=True)
    per_dealer_cap = QuantityField(_("per-dealer cap"), null=True, blank=True)
    sold_qty = QuantityField(_("sold"), default=Decimal(0))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-priority", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="promotion_code_unique"),
            models.CheckConstraint(condition=Q(valid_from__lt=models.F("valid_to")), name="promotion_window_ordered"),
            # A flash sale never sells past its cap, whatever the code does.
            models.CheckConstraint(
                condition=Q(total_cap__isnull=True) | Q(sold_qty__lte=models.F("total_cap")),
                name="promotion_within_cap",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "is_active", "valid_to"], name="promotion_active")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PromotionUsage(TenantModel):
    """How much of a capped promotion one dealer has taken (per-dealer caps)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="usages")
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.CASCADE, related_name="+")
    qty = QuantityField(default=Decimal(0))
    cap = QuantityField(null=True, blank=True)  # the promotion's per-dealer cap, copied so a CHECK can hold it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "dealer"], name="promotion_usage_unique"),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(qty__lte=models.F("cap")), name="promotion_usage_within_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id}/{self.dealer_id}: {self.qty}"
