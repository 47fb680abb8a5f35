"""The catalog: categories, brands, products (SPU), SKUs, typed attributes, units, tags, media."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.core.money import MoneyField, QuantityField
from dinghuo.core.tenancy import TenantModel

VAT_RATES = [
    (Decimal("0.13"), "13%"),
    (Decimal("0.09"), "9%"),
    (Decimal("0.06"), "6%"),
    (Decimal("0.00"), "0%"),
]


class Category(TenantModel):
    """A node of the category tree. ``path`` is the chain of ids ("/3/17/42/") for subtree queries."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort = models.IntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path", "sort"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="category_code_unique")]

    def __str__(self) -> str:
        return self.name


class Brand(TenantModel):
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="brand_code_unique")]

    def __str__(self) -> str:
        return self.name


class Attribute(TenantModel):
    """A typed attribute defined for a category (and inherited by its subtree), e.g. 直径 (number, mm)."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("Number")
        TEXT = "text", _("Text")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes/no")

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("category")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=16, blank=True, help_text=_("For numbers, e.g. mm, ml, kg."))
    choices = models.JSONField(_("choices"), default=list, blank=True)
    is_filterable = models.BooleanField(_("filterable"), default=True)
    is_spec = models.BooleanField(_("distinguishes SKUs"), default=False, help_text=_("e.g. 口味, 规格"))
    sort = models.IntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        ordering = ["sort", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="attribute_code_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


class Tag(TenantModel):
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=30)
    color = models.CharField(_("colour"), max_length=20, default="secondary")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="tag_code_unique")]

    def __str__(self) -> str:
        return self.name


class Product(TenantModel):
    """A product (SPU). What a dealer orders is one of its SKUs."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ON_SALE = "on_sale", _("On sale")
        DISCONTINUED = "discontinued", _("Discontinued")

    code = models.CharField(_("product code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="products", verbose_name=_("brand")
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    tags = models.ManyToManyField(Tag, blank=True, related_name="products", verbose_name=_("tags"))
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    expiry_sensitive = models.BooleanField(_("expiry-sensitive"), default=False)
    # Region codes (province, city or district) where the product may be sold; empty means everywhere.
    sale_regions = models.JSONField(_("sale regions"), default=list, blank=True)
    sort = models.IntegerField(_("sort order"), default=0)
    # Denormalised text for keyword search: names, codes, barcodes, brand, category, pinyin and
    # initials; maintained by catalog.search.reindex_products().
    search_text = models.TextField(default="", blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sort", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="product_code_unique")]
        indexes = [models.Index(fields=["tenant", "category", "status"], name="product_category_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_on_sale(self) -> bool:
        return self.status == self.Status.ON_SALE


class Sku(TenantModel):
    """A spec combination of a product (规格/口味/包装), what an order line points at.

    Quantities (MOQ, multiple, stock) are in the SKU's base unit; ``units`` lists the pack units
    with their conversion (1 箱 = 24 瓶). ``list_price`` is the tax-inclusive price per base unit
    when no price list applies.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("product"))
    code = models.CharField(_("SKU code"), max_length=40)
    barcode = models.CharField(_("barcode"), max_length=32, blank=True, db_index=True)
    name = models.CharField(_("spec"), max_length=120, help_text=_("e.g. 500ml×24瓶 无糖"))
    spec = models.JSONField(_("spec values"), default=dict, blank=True)
    base_unit = models.CharField(_("base unit"), max_length=10, default="件")
    moq = QuantityField(_("minimum order quantity"), default=Decimal(1), validators=[MinValueValidator(Decimal(0))])
    order_multiple = QuantityField(_("order multiple"), default=Decimal(1), validators=[MinValueValidator(Decimal(0))])
    list_price = MoneyField(_("list price"), validators=[MinValueValidator(Decimal(0))])
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=4, decimal_places=2, default=Decimal("0.13"))
    allow_backorder = models.BooleanField(_("allow backorders"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True)
    sort = models.IntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["product_id", "sort", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="sku_code_unique"),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="sku_list_price_not_negative"),
            models.CheckConstraint(condition=Q(moq__gte=0) & Q(order_multiple__gt=0), name="sku_moq_multiple_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SkuUnit(TenantModel):
    """A unit a SKU can be ordered in, with its size in base units. The base unit has factor 1."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="units", verbose_name=_("SKU"))
    name = models.CharField(_("unit"), max_length=10)
    factor = QuantityField(_("base units per unit"), validators=[MinValueValidator(Decimal("0.001"))])
    barcode = models.CharField(_("barcode"), max_length=32, blank=True, db_index=True)
    is_default = models.BooleanField(_("default order unit"), default=False)
    is_whole = models.BooleanField(_("whole units only"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["factor"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "name"], name="sku_unit_name_unique"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="sku_unit_factor_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class AttributeValue(TenantModel):
    """A product's (or one SKU's) value of a typed attribute: 直径 = 50 (mm), 材质 = 不锈钢."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attribute_values")
    sku = models.ForeignKey(Sku, null=True, blank=True, on_delete=models.CASCADE, related_name="attribute_values")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="values")
    value_number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    value_text = models.CharField(max_length=200, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "sku", "attribute"], name="attribute_value_unique", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["attribute", "value_number"], name="attribute_value_number")]

    def __str__(self) -> str:
        return f"{self.attribute_id}={self.display}"

    @property
    def display(self) -> str:
        if self.value_number is not None:
            return f"{self.value_number.normalize():f}"
        if self.value_bool is not None:
            return "是" if self.value_bool else "否"
        return self.value_text


class RelatedProduct(TenantModel):
    class Kind(models.TextChoices):
        ACCESSORY = "accessory", _("Accessory (搭配)")
        COMPLEMENT = "complement", _("Complement (互补)")
        SUBSTITUTE = "substitute", _("Substitute (替代)")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="related")
    related = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    sort = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("related product")
        verbose_name_plural = _("related products")
        ordering = ["kind", "sort"]
        constraints = [
            models.UniqueConstraint(fields=["product", "related", "kind"], name="related_product_unique"),
            models.CheckConstraint(condition=~Q(product=models.F("related")), name="related_product_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}→{self.related_id} {self.kind}"


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"catalog/{instance.tenant_id}/{instance.product_id}/{filename}"


class ProductImage(TenantModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=product_image_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=product_image_path, blank=True)
    alt = models.CharField(_("description"), max_length=120, blank=True)
    sort = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.alt or self.image.name
