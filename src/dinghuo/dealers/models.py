from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dinghuo.core import regions
from dinghuo.core.tenancy import TenantModel


class DealerTier(TenantModel):
    """普通/银牌/金牌 …: configurable per tenant; ``rank`` orders them (higher is better)."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)

    class Meta:
        verbose_name = _("dealer tier")
        verbose_name_plural = _("dealer tiers")
        ordering = ["rank", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="tier_code_unique")]

    def __str__(self) -> str:
        return self.name


class PriceGroup(TenantModel):
    """A named group of dealers sharing contract prices (e.g. 连锁商超, 餐饮渠道)."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("price group")
        verbose_name_plural = _("price groups")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="price_group_code_unique")]

    def __str__(self) -> str:
        return self.name


class Dealer(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    code = models.CharField(_("dealer code"), max_length=30)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    tier = models.ForeignKey(DealerTier, on_delete=models.PROTECT, related_name="dealers", verbose_name=_("tier"))
    price_group = models.ForeignKey(
        PriceGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dealers",
        verbose_name=_("price group"),
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="represented_dealers",
        verbose_name=_("sales rep"),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent dealer"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    region_code = models.CharField(_("home region"), max_length=6, help_text=_("Province, city or district code."))
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    tax_id = models.CharField(_("unified social credit code"), max_length=30, blank=True)
    invoice_title = models.CharField(_("invoice title"), max_length=120, blank=True)
    bank_name = models.CharField(_("bank"), max_length=120, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=60, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="dealer_code_unique")]
        indexes = [models.Index(fields=["tenant", "sales_rep"], name="dealer_rep")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def region_name(self) -> str:
        return regions.display_name(self.region_code) if regions.get(self.region_code) else self.region_code


class DealerRegion(TenantModel):
    """A region (province, city or district) where the dealer is authorised to sell."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="regions", verbose_name=_("dealer"))
    region_code = models.CharField(_("region"), max_length=6)

    class Meta:
        verbose_name = _("authorised region")
        verbose_name_plural = _("authorised regions")
        constraints = [models.UniqueConstraint(fields=["dealer", "region_code"], name="dealer_region_unique")]

    def __str__(self) -> str:
        return regions.display_name(self.region_code) if regions.get(self.region_code) else self.region_code


class Address(TenantModel):
    """A ship-to address, with its province/city/district codes."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("dealer"))
    label = models.CharField(_("label"), max_length=40, blank=True)
    receiver = models.CharField(_("receiver"), max_length=60)
    phone = models.CharField(_("phone"), max_length=30)
    province_code = models.CharField(_("province"), max_length=6)
    city_code = models.CharField(_("city"), max_length=6, blank=True)
    district_code = models.CharField(_("district"), max_length=6, blank=True)
    detail = models.CharField(_("street address"), max_length=200)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]

    def __str__(self) -> str:
        return f"{self.region_name}{self.detail}"

    @property
    def region_code(self) -> str:
        return self.district_code or self.city_code or self.province_code

    @property
    def region_name(self) -> str:
        return regions.display_name(self.region_code) if regions.get(self.region_code) else ""


class Contact(TenantModel):
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("dealer"))
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class ServiceRecord(TenantModel):
    """Service history: visits, calls, complaints, training — who, when, what."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        COMPLAINT = "complaint", _("Complaint")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    dealer = models.ForeignKey(
        Dealer, on_delete=models.CASCADE, related_name="service_records", verbose_name=_("dealer")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("staff")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.TextField(_("note"))
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-at"]
