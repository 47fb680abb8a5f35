"""Products and SKUs in and out of Excel (.xlsx), one row per SKU, with Chinese headers.

The file format
---------------
The headers are fixed Chinese names (the file is data, so it reads the same whatever the
interface language); English aliases are accepted on import. ``*`` marks the required columns.

======================  =========================================================================
商品编码*               product code; rows with the same code are SKUs of one product
商品名称, 分类编码        required for a new product; 分类编码 and 品牌编码 are codes
品牌编码, 状态            状态: 草稿, 在售 or 停售 (draft → on sale → discontinued → on sale again)
SKU编码*                unique in the file and in the tenant
规格, 条码               条码: checked when it looks like EAN-13/UPC-A/EAN-8/GTIN-14
基本单位                 e.g. 瓶 (default 件)
包装单位                 pack units and their size in base units: "箱=24" or "箱=24;提=6"
                        ("箱=4提" counts in another pack unit of the same cell)
默认订货单位              the base unit or one of the pack units
起订量, 倍数              in base units; "2箱" is converted with the row's units
指导价(含税)             tax-inclusive price per base unit, required for a new SKU
税率                     13%, 9%, 6% or 0% (13, 0.13 and 13% all mean 13%)
保质期(天), 标签          标签: tag codes or names, separated by commas
属性:<name>(<unit>)      one column per attribute, e.g. "属性:直径(mm)"; "attr:<code>" (or
                        "属性:<code>") works too and is what to use when two attributes share
                        a name. Attributes marked "distinguishes SKUs" are per SKU; the others
                        are per product (their rows must agree).
======================  =========================================================================

Rules: a column missing from the file leaves that field unchanged. In a column that is present,
a blank cell keeps the current value of a field that always has one (name, category, status,
base unit, default unit, MOQ, multiple, price, VAT rate) and clears an optional one (brand,
spec, barcode, pack units, shelf life, tags, attribute values). For the product columns, a row
may leave a cell blank when another row of the same product fills it in. Existing products and
SKUs are matched by code and updated; SKUs not in the file are left alone.

Validation reads the whole file and reports every problem (Excel row number and column) before
anything is written; then one transaction writes everything with bulk statements, or nothing.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import require
from dinghuo.catalog import errors
from dinghuo.catalog.models import Attribute, AttributeValue, Brand, Category, Product, Sku, SkuUnit, Tag
from dinghuo.catalog.services import (
    CleanValue,
    PlannedUnit,
    UnitSpec,
    category_ancestor_ids,
    check_status_change,
    clean_attribute_value,
    clean_barcode,
    clean_code,
    clean_price,
    clean_quantity,
    clean_text,
    clean_unit_name,
    clean_vat_rate,
    number_text,
    plan_units,
    reindex,
    units_text,
    value_of,
)
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import DomainError
from dinghuo.core.jobs import job_fail, job_finish, job_progress, job_start
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor, current_actor, current_tenant_id, stamp_tenant
from dinghuo.core.xlsx import Column, Row, Sheet, Table, XlsxTooLarge, error_report, read_table, write_workbook
from dinghuo.core.xlsx import _header_key as header_key
from dinghuo.core.xlsx import template_workbook as xlsx_template

log = logging.getLogger(__name__)

JOB_KIND = "catalog.import"
JOB_HANDLER = "dinghuo.catalog.importers:run_product_import"
BATCH = 500  # rows per bulk statement and ids per IN (…) lookup
SHEET_TITLE = "商品导入"
ATTR_PREFIX = "属性:"
STATUS_TEXT = {Product.Status.DRAFT: "草稿", Product.Status.ON_SALE: "在售", Product.Status.DISCONTINUED: "停售"}
_STATUS_WORDS = {
    **{v: k for k, v in STATUS_TEXT.items()},
    "draft": Product.Status.DRAFT,
    "on_sale": Product.Status.ON_SALE,
    "onsale": Product.Status.ON_SALE,
    "on sale": Product.Status.ON_SALE,
    "上架": Product.Status.ON_SALE,
    "discontinued": Product.Status.DISCONTINUED,
    "下架": Product.Status.DISCONTINUED,
}
_LIST_SEPARATORS = re.compile(r"[,，;；、\n]+")
_UNIT_PART = re.compile(r"^(?P<name>[^=:]+?)\s*[=:]\s*(?P<factor>\d+(?:\.\d+)?)\s*(?P<of>[^\d\s=:]*)$")
_ESCAPED_FORMULA = re.compile(r"^'\s*[=+\-@|]")
_DAYS = re.compile(r"^(\d+)\s*(天|日|d|days?)?$", re.IGNORECASE)


def _days(raw: Any) -> int:
    from dinghuo.core.xlsx import normalise_text

    match = _DAYS.match(normalise_text(raw))
    if not match:
        raise ValueError(raw)
    return int(match.group(1))


BASE_COLUMNS: tuple[Column, ...] = (
    Column(
        "product_code",
        "商品编码",
        aliases=("product code", "product", "spu"),
        example="QS-500",
        help=gettext_lazy("Product code. Rows with the same product code are SKUs of one product."),
    ),
    Column(
        "product_name",
        "商品名称",
        required=False,
        aliases=("product name",),
        example="清泉天然矿泉水",
        width=24,
        help=gettext_lazy("Required for a new product."),
    ),
    Column(
        "category",
        "分类编码",
        required=False,
        aliases=("category code", "category"),
        example="01",
        help=gettext_lazy("Category code; required for a new product."),
    ),
    Column(
        "brand",
        "品牌编码",
        required=False,
        aliases=("brand code", "brand"),
        example="QQ",
        help=gettext_lazy("Brand code; blank for none."),
    ),
    Column(
        "status",
        "状态",
        required=False,
        aliases=("status",),
        example="在售",
        width=10,
        help=gettext_lazy("草稿, 在售 or 停售; blank keeps the current status (new products: 草稿)."),
    ),
    Column(
        "sku_code",
        "SKU编码",
        aliases=("sku code", "sku"),
        example="QS-500-24",
        help=gettext_lazy("SKU code, unique in the file."),
    ),
    Column(
        "spec",
        "规格",
        required=False,
        aliases=("spec",),
        example="500ml×24瓶",
        width=20,
        help=gettext_lazy("The SKU's spec as dealers see it."),
    ),
    Column(
        "barcode",
        "条码",
        required=False,
        aliases=("barcode", "ean"),
        example="6901234567892",
        help=gettext_lazy("Optional; EAN-13 and UPC barcodes are checked."),
    ),
    Column(
        "base_unit",
        "基本单位",
        required=False,
        aliases=("base unit",),
        example="瓶",
        width=10,
        help=gettext_lazy("The unit prices, MOQ and stock count in (default 件)."),
    ),
    Column(
        "pack_units",
        "包装单位",
        required=False,
        aliases=("pack units", "units"),
        example="箱=24;提=6",
        help=gettext_lazy("Pack units with their size in base units, e.g. 箱=24 or 箱=24;提=6."),
    ),
    Column(
        "default_unit",
        "默认订货单位",
        required=False,
        aliases=("default unit", "order unit"),
        example="箱",
        width=12,
        help=gettext_lazy("The base unit or one of the pack units."),
    ),
    Column(
        "moq",
        "起订量",
        kind="quantity",
        required=False,
        aliases=("moq", "minimum order quantity"),
        example=24,
        width=10,
        help=gettext_lazy("Minimum order quantity in base units (2箱 is converted)."),
    ),
    Column(
        "order_multiple",
        "倍数",
        kind="quantity",
        required=False,
        aliases=("order multiple", "multiple"),
        example=24,
        width=10,
        help=gettext_lazy("Order in multiples of this many base units (6瓶 or 1箱)."),
    ),
    Column(
        "list_price",
        "指导价(含税)",
        kind="decimal",
        required=False,
        aliases=("list price", "price", "指导价"),
        example=Decimal("2.50"),
        help=gettext_lazy("Tax-inclusive price per base unit; required for a new SKU."),
    ),
    Column(
        "vat_rate",
        "税率",
        required=False,
        aliases=("vat rate", "vat"),
        example="13%",
        width=8,
        help=gettext_lazy("The VAT rate in per cent: 13, 9, 6 or 0 (blank: 13 for a new SKU)."),
    ),
    Column(
        "shelf_life_days",
        "保质期(天)",
        kind=_days,
        required=False,
        aliases=("shelf life", "shelf life days", "保质期"),
        example=365,
        width=10,
        help=gettext_lazy("Shelf life in days; blank for none."),
    ),
    Column(
        "tags",
        "标签",
        required=False,
        aliases=("tags",),
        example="new",
        help=gettext_lazy("Tag codes or names, separated by commas."),
    ),
)
PRODUCT_KEYS = ("product_name", "category", "brand", "status", "shelf_life_days", "tags")


Progress = Callable[..., None]  # (done: int, total: int, message: str = "")


@dataclass
class ImportResult:
    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    skus_created: int = 0
    skus_updated: int = 0
    skus_unchanged: int = 0
    search_reindexed: bool = True
    product_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("product_ids")
        return data


# --- columns -------------------------------------------------------------------------------------


def attribute_header(attribute: Attribute, *, ambiguous: bool = False) -> str:
    label = f"{attribute.name}({attribute.unit})" if attribute.unit else attribute.name
    return f"{ATTR_PREFIX}{label}[{attribute.code}]" if ambiguous else f"{ATTR_PREFIX}{label}"


def attribute_columns(attributes: Sequence[Attribute]) -> list[Column]:
    """One column per attribute. Aliases that two attributes would share are left out."""
    names = Counter(a.name for a in attributes)
    candidates: dict[int, list[str]] = {}
    for a in attributes:
        ambiguous = names[a.name] > 1
        forms = [attribute_header(a, ambiguous=ambiguous), f"attr:{a.code}", f"{ATTR_PREFIX}{a.code}"]
        if not ambiguous:
            forms.append(f"{ATTR_PREFIX}{a.name}")
        candidates[a.pk] = forms
    counts = Counter(header_key(form) for forms in candidates.values() for form in set(forms))
    columns = []
    for a in attributes:
        primary, *others = candidates[a.pk]
        aliases = tuple(o for o in others if counts[header_key(o)] == 1)
        kind_hint = {
            Attribute.Kind.NUMBER: _("a number") + (f" ({a.unit})" if a.unit else ""),
            Attribute.Kind.BOOLEAN: _("是 or 否"),
            Attribute.Kind.CHOICE: _("one of %(choices)s") % {"choices": "、".join(map(str, a.choices or []))},
            Attribute.Kind.TEXT: _("text"),
        }[a.kind]
        columns.append(
            Column(
                f"attr:{a.code}",
                primary,
                required=False,
                aliases=aliases,
                help=_("Attribute %(code)s: %(hint)s") % {"code": a.code, "hint": kind_hint},
            )
        )
    return columns


# --- loading what the rows refer to ---------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Catalog:
    """The tenant's categories, brands, tags and attributes, read once."""

    def __init__(self) -> None:
        self.categories = {c.code: c for c in Category.objects.all()}
        self.categories_by_id = {c.pk: c for c in self.categories.values()}
        self.brands = {b.code: b for b in Brand.objects.all()}
        self.brands_by_id = {b.pk: b for b in self.brands.values()}
        tags = list(Tag.objects.all())
        self.tags_by_id = {t.pk: t for t in tags}
        name_counts = Counter(t.name for t in tags)
        self.tags = {t.name.lower(): t for t in tags if name_counts[t.name] == 1}
        self.tags.update({t.code.lower(): t for t in tags})
        self.attributes = list(Attribute.objects.order_by("sort", "code"))
        self.attributes_by_id = {a.pk: a for a in self.attributes}
        self._applicable: dict[int, frozenset[int]] = {}

    def applicable(self, category: Category) -> frozenset[int]:
        if category.pk not in self._applicable:
            ids = set(category_ancestor_ids(category))
            self._applicable[category.pk] = frozenset(
                a.pk for a in self.attributes if a.category_id is None or a.category_id in ids
            )
        return self._applicable[category.pk]


@dataclass(frozen=True)
class _UnitRow:
    pk: int
    sku_id: int
    name: str
    factor: Decimal
    is_default: bool


@dataclass
class _Existing:
    products: dict[str, Product]
    skus: dict[str, Sku]
    sku_product_codes: dict[int, str]
    units: dict[int, list[_UnitRow]]
    values: dict[tuple[int, int | None, int], tuple[int, CleanValue]]  # (product, sku, attribute) → (pk, value)
    tags: dict[int, set[int]]
    attributes_used: dict[int, set[int]]  # product id → attribute ids with a value (product or SKU level)


def _load_existing(product_codes: list[str], sku_codes: list[str]) -> _Existing:
    products: dict[str, Product] = {}
    for chunk in _chunks(product_codes):
        products.update({p.code: p for p in Product.objects.filter(code__in=chunk)})
    skus: dict[str, Sku] = {}
    sku_product_codes: dict[int, str] = {}
    for chunk in _chunks(sku_codes):
        for sku in Sku.objects.filter(code__in=chunk).annotate(product_code=F("product__code")):
            skus[sku.code] = sku
            sku_product_codes[sku.pk] = sku.product_code
    # Units and values are many: plain tuples, not model instances.
    units: dict[int, list[_UnitRow]] = defaultdict(list)
    for chunk in _chunks([s.pk for s in skus.values()]):
        fields = ("pk", "sku_id", "name", "factor", "is_default")
        for row in SkuUnit.objects.filter(sku_id__in=chunk).values_list(*fields):
            units[row[1]].append(_UnitRow(*row))
    values: dict[tuple[int, int | None, int], tuple[int, CleanValue]] = {}
    tags: dict[int, set[int]] = defaultdict(set)
    used: dict[int, set[int]] = defaultdict(set)
    through = Product.tags.through
    for chunk in _chunks([p.pk for p in products.values()]):
        fields = ("pk", "product_id", "sku_id", "attribute_id", "value_number", "value_text", "value_bool")
        for pk, product_id, sku_id, attribute_id, number, text, boolean in AttributeValue.objects.filter(
            product_id__in=chunk
        ).values_list(*fields):
            values[(product_id, sku_id, attribute_id)] = (pk, CleanValue(number, text, boolean))
            used[product_id].add(attribute_id)
        for product_id, tag_id in through.objects.filter(product_id__in=chunk).values_list("product_id", "tag_id"):
            tags[product_id].add(tag_id)
    return _Existing(products, skus, sku_product_codes, units, values, tags, used)


# --- cell parsers that need more than a Column kind ----------------------------------------------


def parse_vat(text: str) -> Decimal:
    """ "13%", "13", 13 and 0.13 all mean 13%; only 13%, 9%, 6% and 0% are VAT rates."""
    cleaned = text.replace(" ", "")
    try:
        number = Decimal(cleaned[:-1]) / 100 if cleaned.endswith("%") else Decimal(cleaned)
        if number > 1:
            number = number / 100
        return clean_vat_rate(number)
    except (InvalidOperation, DomainError):
        raise errors.VatRateInvalid(value=text[:20], detail={"vat_rate": text[:20]})


def parse_pack_units(text: str, base_unit: str) -> list[UnitSpec]:
    """ "箱=24;提=6" → [箱 24, 提 6]; "箱=4提;提=6" → [箱 24, 提 6]; "箱" alone has no conversion."""
    direct: dict[str, Decimal | None] = {}
    relative: dict[str, tuple[Decimal, str]] = {}
    for part in _LIST_SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        part = part.strip()
        if not part:
            continue
        match = _UNIT_PART.match(part)
        if match is None:
            if "=" in part or ":" in part:
                raise errors.UnitFactorInvalid(unit=part, detail={"pack_units": part})
            direct[re.sub(r"^1(?=\D)", "", part)] = None
            continue
        name = re.sub(r"^1(?=\D)", "", match.group("name").strip())
        factor, of = Decimal(match.group("factor")), match.group("of").strip()
        if name in direct or name in relative:
            raise errors.UnitDuplicate(unit=name, detail={"pack_units": name})
        if of and of != base_unit:
            relative[name] = (factor, of)
        else:
            direct[name] = factor
    while relative:
        progress = False
        for name, (factor, of) in list(relative.items()):
            if direct.get(of) is not None:
                direct[name] = factor * direct[of]
                del relative[name]
                progress = True
        if not progress:
            name, (_factor, of) = next(iter(relative.items()))
            raise errors.UnitWithoutConversion(unit=of, base=base_unit, detail={"pack_units": of})
    return [UnitSpec(name, factor) for name, factor in direct.items()]


def _tag_list(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，;；、\s]+", text) if t.strip()]


# --- the import ----------------------------------------------------------------------------------


@dataclass
class _SkuPlan:
    row: Row
    code: str
    existing: Sku | None
    fields: dict[str, Any]
    units: list[PlannedUnit]
    attrs: dict[int, CleanValue | None]  # SKU-level (spec) attribute values; None removes
    state: dict[str, Any]
    before: dict[str, Any] | None
    sku: Sku | None = None


@dataclass
class _ProductPlan:
    code: str
    rows: list[Row]
    existing: Product | None
    fields: dict[str, Any] = field(default_factory=dict)
    tag_ids: set[int] | None = None
    attrs: dict[int, CleanValue | None] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    skus: list[_SkuPlan] = field(default_factory=list)
    product: Product | None = None


class _Import:
    def __init__(self, actor: Actor, data: bytes, on_progress: Progress | None) -> None:
        self.actor = actor
        self.data = data
        self.on_progress = on_progress or (lambda done, total, message="": None)
        self.catalog = _Catalog()
        self.columns = [*BASE_COLUMNS, *attribute_columns(self.catalog.attributes)]
        self.attr_by_key = {f"attr:{a.code}": a for a in self.catalog.attributes}
        self._memo: dict[Any, Any] = {}

    # -- reading and validating --

    def read(self) -> Table:
        table = read_table(self.data, self.columns)
        for row in table.rows:  # undo xlsx.safe_cell, so that an export reads back as it was written
            for key, value in row.values.items():
                if isinstance(value, str) and _ESCAPED_FORMULA.match(value):
                    row.values[key] = value[1:]
        keys = {header_key(h) for h in table.headers if h}
        self.present = {c.key for c in self.columns if c.names() & keys}
        known = set().union(*(c.names() for c in self.columns))
        # Attribute columns nobody defined: every row with a value there gets an "unknown attribute" error.
        for index, header in enumerate(table.headers):
            hkey = header_key(header)
            if not hkey.startswith(("属性", "attr")) or hkey in known:
                continue
            name = re.sub(r"^(属性|attr)\s*[:：]?\s*", "", header, flags=re.IGNORECASE).rstrip("*")
            for row in table.rows:
                if index < len(row.raw) and row.raw[index] not in (None, ""):
                    row.errors.setdefault(
                        header,
                        errors.UnknownAttribute(attribute=name, category=row.values.get("category") or "").message,
                    )
        return table

    def validate(self, table: Table) -> list[_ProductPlan]:
        groups: dict[str, list[Row]] = {}
        seen_skus: dict[str, int] = {}
        for row in table.rows:
            for key in ("product_code", "sku_code"):
                value = row.values.get(key)
                if key in row.errors or value is None:
                    continue
                try:
                    row.values[key] = clean_code(value, field=key)
                except DomainError as exc:
                    row.errors[key] = exc.message
            sku_code = row.values.get("sku_code")
            if "sku_code" not in row.errors and sku_code:
                if sku_code in seen_skus:
                    row.errors["sku_code"] = _("SKU code “%(code)s” is also in row %(row)s.") % {
                        "code": sku_code,
                        "row": seen_skus[sku_code],
                    }
                else:
                    seen_skus[sku_code] = row.number
            if "product_code" not in row.errors and row.values.get("product_code"):
                groups.setdefault(row.values["product_code"], []).append(row)
        self.existing = _load_existing(list(groups), list(seen_skus))
        plans, done, reported = [], 0, 0
        for code, rows in groups.items():
            plans.append(self._plan_product(code, rows))
            done += len(rows)
            if done - reported >= BATCH:
                self.on_progress(done, len(table.rows) + 1)  # the last step is the write
                reported = done
        return plans

    def _cell(self, row: Row, key: str, parse: Callable[[Any], Any], memo: Any = None) -> tuple[bool, Any]:
        """(True, value) for a filled, valid cell; (False, None) for blank, absent or wrong (error noted).

        With ``memo`` (the parse's context, hashable), results are remembered per distinct cell value:
        a file repeats its categories, units, rates and attribute values on thousands of rows.
        """
        raw = row.values.get(key)
        if key not in self.present or key in row.errors or raw is None or raw == "":
            return False, None
        cache_key = (key, raw, memo)
        hit = self._memo.get(cache_key) if memo is not None else None
        if hit is None:
            try:
                hit = (True, parse(raw))
            except DomainError as exc:
                hit = (False, exc.message)
            except (ValueError, ArithmeticError):
                hit = (False, _("“%(value)s” is not valid") % {"value": str(raw)[:40]})
            if memo is not None:
                self._memo[cache_key] = hit
        if hit[0]:
            return hit
        row.errors[key] = hit[1]
        return False, None

    def _plan_units(
        self, base: str, specs: list[UnitSpec], default: str | None
    ) -> tuple[list[PlannedUnit] | None, Any]:
        """``plan_units``, remembered per distinct (base, units, default): (units, None) or (None, (field, message))."""
        cache_key = ("units", base, tuple((s.name, s.factor) for s in specs), default)
        if cache_key not in self._memo:
            try:
                self._memo[cache_key] = (plan_units(base_unit=base, units=specs, default_unit=default), None)
            except DomainError as exc:
                field = next(iter(exc.detail)) if isinstance(exc.detail, dict) and exc.detail else "pack_units"
                self._memo[cache_key] = (None, (field, exc.message))
        return self._memo[cache_key]

    def _parse_category(self, code: Any) -> Category:
        category = self.catalog.categories.get(str(code))
        if category is None:
            raise errors.CategoryNotFound(_("Unknown category code “%(code)s”."), code=code, detail={"category": code})
        return category

    def _parse_brand(self, code: Any) -> Brand:
        brand = self.catalog.brands.get(str(code))
        if brand is None:
            raise errors.BrandNotFound(_("Unknown brand code “%(code)s”."), code=code, detail={"brand": code})
        return brand

    def _parse_status(self, text: Any) -> str:
        status = _STATUS_WORDS.get(str(text).strip().lower())
        if status is None:
            raise errors.StatusInvalid(value=str(text)[:20], detail={"status": str(text)[:20]})
        return status

    def _parse_tags(self, text: Any) -> frozenset[int]:
        ids = set()
        for word in _tag_list(str(text)):
            tag = self.catalog.tags.get(word.lower())
            if tag is None:
                raise errors.TagNotFound(_("Unknown tag “%(tag)s”."), tag=word, detail={"tags": word})
            ids.add(tag.pk)
        return frozenset(ids)

    def _merge(self, rows: list[Row], key: str, parse: Callable[[Any], Any], memo: Any = None) -> tuple[bool, Any]:
        """A product column over the product's rows: blank cells defer to filled ones, filled ones must agree."""
        found, value, first_row = False, None, 0
        for row in rows:
            ok, parsed = self._cell(row, key, parse, memo=memo)
            if not ok:
                continue
            if found and parsed != value:
                row.errors[key] = _("Differs from row %(row)s of the same product.") % {"row": first_row}
                continue
            if not found:
                found, value, first_row = True, parsed, row.number
        return found, value

    def _plan_product(self, code: str, rows: list[Row]) -> _ProductPlan:
        catalog, existing = self.catalog, self.existing
        product = existing.products.get(code)
        plan = _ProductPlan(code=code, rows=rows, existing=product)
        first = rows[0]
        has_name, name = self._merge(
            rows, "product_name", lambda v: clean_text(v, field="product_name", max_length=120)
        )
        has_category, category = self._merge(rows, "category", self._parse_category, memo=())
        has_brand, brand = self._merge(rows, "brand", self._parse_brand, memo=())
        has_status, status = self._merge(rows, "status", self._parse_status, memo=())
        has_shelf, shelf = self._merge(rows, "shelf_life_days", lambda v: v)
        has_tags, tag_ids = self._merge(rows, "tags", self._parse_tags, memo=())
        if not has_name and product is None and "product_name" not in first.errors:
            first.errors["product_name"] = _("Required for a new product.")
        if not has_category and product is None and "category" not in first.errors:
            first.errors["category"] = _("Required for a new product.")
        category = (
            category if has_category else (catalog.categories_by_id.get(product.category_id) if product else None)
        )
        if product is not None and has_status:
            try:
                check_status_change(product.status, status)
            except DomainError as exc:
                next(r for r in rows if r.values.get("status")).errors["status"] = exc.message
        plan.fields = {
            "name": name if has_name else (product.name if product else ""),
            "category_id": category.pk if category else None,
            "brand_id": (brand.pk if has_brand else None)
            if "brand" in self.present
            else (product.brand_id if product else None),
            "status": status if has_status else (product.status if product else Product.Status.DRAFT),
            "shelf_life_days": (shelf if has_shelf else None)
            if "shelf_life_days" in self.present
            else (product.shelf_life_days if product else None),
        }
        if "tags" in self.present:
            plan.tag_ids = set(tag_ids) if has_tags else set()
        # Attribute values: per product for ordinary attributes, per SKU for the ones that distinguish SKUs.
        applicable = catalog.applicable(category) if category else frozenset()
        for key, attribute in self.attr_by_key.items():
            if key not in self.present or attribute.is_spec:
                continue
            found, value = self._merge(
                rows, key, lambda v, a=attribute: clean_attribute_value(a, v, lenient=True), memo=()
            )
            if found and attribute.pk not in applicable and category is not None:
                self._unknown_attribute(rows, key, attribute, category)
            plan.attrs[attribute.pk] = value if found else None
        if product is not None and category is not None and category.pk != product.category_id:
            kept = {
                a
                for a in existing.attributes_used.get(product.pk, set())
                if f"attr:{catalog.attributes_by_id[a].code}" not in self.present
            }
            lost = sorted(catalog.attributes_by_id[a].code for a in kept - applicable)
            if lost:
                row = next(r for r in rows if r.values.get("category"))
                row.errors.setdefault(
                    "category",
                    errors.AttributesWouldBeLost(attributes="、".join(lost)).message,
                )
        plan.state = self._product_state(plan.fields, plan.tag_ids, plan.attrs, product)
        plan.before = self._existing_product_state(product) if product else None
        for row in rows:
            sku_plan = self._plan_sku(row, plan, applicable, category)
            if sku_plan is not None:
                plan.skus.append(sku_plan)
        return plan

    def _unknown_attribute(self, rows: list[Row], key: str, attribute: Attribute, category: Category) -> None:
        message = errors.UnknownAttribute(attribute=attribute.name, category=category.name).message
        for row in rows:
            if row.values.get(key) not in (None, "") and key not in row.errors:
                row.errors[key] = message

    def _plan_sku(
        self, row: Row, plan: _ProductPlan, applicable: frozenset[int], category: Category | None
    ) -> _SkuPlan | None:
        # A row whose SKU code is wrong is still checked cell by cell, so that all its problems show at once.
        code = row.values.get("sku_code")
        valid = bool(code) and "sku_code" not in row.errors
        sku = self.existing.skus.get(code) if valid else None
        if sku is not None and self.existing.sku_product_codes[sku.pk] != plan.code:
            row.errors["sku_code"] = _("SKU “%(code)s” belongs to product %(product)s.") % {
                "code": code,
                "product": self.existing.sku_product_codes[sku.pk],
            }
            valid, sku = False, None
        have_units = self.existing.units.get(sku.pk, []) if sku else []

        def given(key: str, parse: Callable[[Any], Any], fallback: Any, memo: Any = None) -> Any:
            ok, value = self._cell(row, key, parse, memo)
            return value if ok else fallback

        fields: dict[str, Any] = {}
        present = self.present
        fields["name"] = (
            given("spec", lambda v: clean_text(v, field="spec", max_length=120, required=False), "")
            if "spec" in present
            else (sku.name if sku else "")
        )
        fields["barcode"] = (
            given("barcode", lambda v: clean_barcode(v, field="barcode"), "")
            if "barcode" in present
            else (sku.barcode if sku else "")
        )
        base = given(
            "base_unit", lambda v: clean_unit_name(v, field="base_unit"), sku.base_unit if sku else "件", memo=()
        )
        fields["base_unit"] = base
        if "pack_units" in present:
            specs = given("pack_units", lambda v: parse_pack_units(str(v), base), [], memo=base)
        else:
            specs = [UnitSpec(u.name, u.factor) for u in have_units if u.name != (sku.base_unit if sku else base)]
        current_default = next((u.name for u in have_units if u.is_default), None)
        default = given("default_unit", lambda v: clean_unit_name(v, field="default_unit"), None, memo=())
        if default is None and current_default in {s.name for s in specs} | {base}:
            default = current_default
        units: list[PlannedUnit] = [PlannedUnit(base, Decimal(1), True)]
        units_ok = not ({"base_unit", "pack_units", "default_unit"} & set(row.errors))
        if units_ok:
            planned, problem = self._plan_units(base, specs, default)
            if planned is not None:
                units = planned
            else:
                key, message = problem
                row.errors[key if key in ("base_unit", "default_unit") else "pack_units"] = message
                units_ok = False
        factors = {u.name: u.factor for u in units}

        def quantity(key: str, positive: bool) -> Callable[[Any], Decimal]:
            def parse(value: tuple[Decimal, str]) -> Decimal:
                number, unit = value
                if unit and unit not in factors and not units_ok:
                    return Decimal(1)  # the units are wrong already; one error for the row is enough
                if unit and unit not in factors:
                    raise errors.UnitWithoutConversion(unit=unit, base=base, detail={key: unit})
                return clean_quantity(number * factors.get(unit, Decimal(1)), field=key, positive=positive)

            return parse

        fields["moq"] = given("moq", quantity("moq", False), sku.moq if sku else Decimal(1))
        fields["order_multiple"] = given(
            "order_multiple", quantity("order_multiple", True), sku.order_multiple if sku else Decimal(1)
        )
        price = given(
            "list_price", lambda v: clean_price(v, field="list_price"), sku.list_price if sku else None, memo=()
        )
        if price is None and "list_price" not in row.errors:
            row.errors["list_price"] = _("Required for a new SKU.")
        fields["list_price"] = price
        fields["vat_rate"] = given(
            "vat_rate", lambda v: parse_vat(str(v)), sku.vat_rate if sku else Decimal("0.13"), memo=()
        )
        attrs: dict[int, CleanValue | None] = {}
        for key, attribute in self.attr_by_key.items():
            if key not in present or not attribute.is_spec:
                continue
            ok, value = self._cell(row, key, lambda v, a=attribute: clean_attribute_value(a, v, lenient=True), ())
            if ok and category is not None and attribute.pk not in applicable:
                row.errors[key] = errors.UnknownAttribute(attribute=attribute.name, category=category.name).message
            attrs[attribute.pk] = value if ok else None
        if not valid:
            return None
        state = self._sku_state(plan.code, fields, units, attrs, sku)
        before = self._existing_sku_state(sku, plan.code) if sku else None
        return _SkuPlan(
            row=row, code=code, existing=sku, fields=fields, units=units, attrs=attrs, state=state, before=before
        )

    # -- states: what a product or SKU is (or will be), as comparable, auditable plain data --

    def _attr_state(self, values: dict[int, CleanValue | None]) -> dict[str, str | None]:
        return {
            f"attr:{self.catalog.attributes_by_id[a].code}": (v.display() if v else None) for a, v in values.items()
        }

    def _existing_attrs(self, product_id: int, sku_id: int | None, spec: bool) -> dict[int, CleanValue | None]:
        return {
            a.pk: self.existing.values[(product_id, sku_id, a.pk)][1]
            if (product_id, sku_id, a.pk) in self.existing.values
            else None
            for a in self.catalog.attributes
            if a.is_spec == spec
        }

    def _product_state(
        self,
        fields: dict[str, Any],
        tag_ids: set[int] | None,
        attrs: dict[int, CleanValue | None],
        product: Product | None,
    ) -> dict[str, Any]:
        catalog = self.catalog
        if product is not None:
            all_attrs = self._existing_attrs(product.pk, None, spec=False)
            all_attrs.update(attrs)
            tags = tag_ids if tag_ids is not None else self.existing.tags.get(product.pk, set())
        else:
            all_attrs, tags = attrs, tag_ids or set()
        category = catalog.categories_by_id.get(fields["category_id"])
        brand = catalog.brands_by_id.get(fields["brand_id"])
        return {
            "name": fields["name"],
            "category": category.code if category else None,
            "brand": brand.code if brand else None,
            "status": fields["status"],
            "shelf_life_days": fields["shelf_life_days"],
            "tags": sorted(catalog.tags_by_id[t].code for t in tags),
            **{k: v for k, v in self._attr_state(all_attrs).items() if v is not None},
        }

    def _existing_product_state(self, product: Product) -> dict[str, Any]:
        fields = {
            "name": product.name,
            "category_id": product.category_id,
            "brand_id": product.brand_id,
            "status": product.status,
            "shelf_life_days": product.shelf_life_days,
        }
        return self._product_state(fields, None, {}, product)

    def _sku_state(
        self,
        product_code: str,
        fields: dict[str, Any],
        units: Sequence[PlannedUnit],
        attrs: dict[int, CleanValue | None],
        sku: Sku | None,
    ) -> dict[str, Any]:
        all_attrs = self._existing_attrs(sku.product_id, sku.pk, spec=True) if sku else {}
        all_attrs.update(attrs)
        price = fields["list_price"]
        return {
            "product": product_code,
            "name": fields["name"],
            "barcode": fields["barcode"],
            "base_unit": fields["base_unit"],
            "units": units_text(units, fields["base_unit"]),
            "default_unit": next((u.name for u in units if u.is_default), fields["base_unit"]),
            "moq": number_text(fields["moq"]),
            "order_multiple": number_text(fields["order_multiple"]),
            "list_price": None if price is None else f"{price:.2f}",
            "vat_rate": f"{fields['vat_rate']:.2f}",
            **{k: v for k, v in self._attr_state(all_attrs).items() if v is not None},
        }

    def _existing_sku_state(self, sku: Sku, product_code: str) -> dict[str, Any]:
        units = self.existing.units.get(sku.pk, [])
        planned = [PlannedUnit(u.name, u.factor, u.is_default) for u in units]
        fields = {f: getattr(sku, f) for f in ("name", "barcode", "base_unit", "moq", "order_multiple")}
        fields.update(list_price=sku.list_price, vat_rate=sku.vat_rate)
        return self._sku_state(product_code, fields, planned, {}, sku)

    # -- writing --

    def write(self, plans: list[_ProductPlan]) -> ImportResult:
        result = ImportResult(rows=sum(len(p.rows) for p in plans))
        now = timezone.now()
        events: list[AuditEvent] = []
        touched: set[int] = set()
        with transaction.atomic():
            new_products, changed_products, product_fields = [], [], set()
            for plan in plans:
                if plan.existing is None:
                    plan.product = Product(code=plan.code, **plan.fields)
                    new_products.append(plan.product)
                else:
                    plan.product = plan.existing
                    diff = {k: v for k, v in plan.fields.items() if getattr(plan.product, k) != v}
                    if diff:
                        for key, value in diff.items():
                            setattr(plan.product, key, value)
                        plan.product.updated_at = now
                        product_fields |= set(diff)
                        changed_products.append(plan.product)
            Product.objects.bulk_create(stamp_tenant(new_products), batch_size=BATCH)
            if changed_products:
                Product.objects.bulk_update(changed_products, [*sorted(product_fields), "updated_at"], batch_size=BATCH)

            new_skus, changed_skus, sku_fields = [], [], set()
            for plan in plans:
                for sp in plan.skus:
                    if sp.existing is None:
                        sp.sku = Sku(product_id=plan.product.pk, code=sp.code, **sp.fields)
                        new_skus.append(sp.sku)
                    else:
                        sp.sku = sp.existing
                        diff = {k: v for k, v in sp.fields.items() if getattr(sp.sku, k) != v}
                        if diff:
                            for key, value in diff.items():
                                setattr(sp.sku, key, value)
                            sku_fields |= set(diff)
                            changed_skus.append(sp.sku)
            Sku.objects.bulk_create(stamp_tenant(new_skus), batch_size=BATCH)
            if changed_skus:
                Sku.objects.bulk_update(changed_skus, sorted(sku_fields), batch_size=BATCH)

            self._write_units(plans)
            self._write_values(plans)
            self._write_tags(plans)

            for plan in plans:
                product = plan.product
                if plan.before is None:
                    result.products_created += 1
                    events.append(AuditEvent.of("product.created", product, after=plan.state, reason="import"))
                    touched.add(product.pk)
                elif plan.before != plan.state:
                    result.products_updated += 1
                    old, new = _diff(plan.before, plan.state)
                    events.append(AuditEvent.of("product.updated", product, before=old, after=new, reason="import"))
                    touched.add(product.pk)
                for sp in plan.skus:
                    if sp.before is None:
                        result.skus_created += 1
                        events.append(AuditEvent.of("sku.created", sp.sku, after=sp.state, reason="import"))
                        touched.add(product.pk)
                    elif sp.before != sp.state:
                        result.skus_updated += 1
                        old, new = _diff(sp.before, sp.state)
                        events.append(AuditEvent.of("sku.updated", sp.sku, before=old, after=new, reason="import"))
                        touched.add(product.pk)
                    else:
                        result.skus_unchanged += 1
            audit_write(actor=self.actor, events=events)
        # The search text is derived data: refreshed once the rows are committed, so that the write
        # transaction stays short. A failure here leaves the import saved and is logged.
        try:
            reindex(touched)
        except Exception:
            log.exception("catalog import: reindexing %s products failed", len(touched))
            result.search_reindexed = False
        result.product_ids = sorted(touched)
        return result

    def _write_units(self, plans: list[_ProductPlan]) -> None:
        delete, update, create = [], [], []
        for plan in plans:
            for sp in plan.skus:
                if sp.before is not None and (
                    sp.before["units"],
                    sp.before["default_unit"],
                    sp.before["base_unit"],
                ) == (
                    sp.state["units"],
                    sp.state["default_unit"],
                    sp.state["base_unit"],
                ):
                    continue
                have = {u.name: u for u in self.existing.units.get(sp.sku.pk, [])}
                for unit in sp.units:
                    row = have.pop(unit.name, None)
                    if row is None:
                        create.append(PlannedUnitRow(sp.sku.pk, unit.name, unit.factor, unit.is_default))
                    elif row.factor != unit.factor or row.is_default != unit.is_default:
                        update.append(SkuUnit(pk=row.pk, factor=unit.factor, is_default=unit.is_default))
                delete.extend(u.pk for u in have.values())
        for chunk in _chunks(delete):
            SkuUnit.objects.filter(pk__in=chunk).delete()
        if update:
            SkuUnit.objects.bulk_update(update, ["factor", "is_default"], batch_size=BATCH)
        tenant_id = current_tenant_id()
        insert_rows(
            SkuUnit,
            ["tenant_id", "sku_id", "name", "factor", "barcode", "is_default", "is_whole"],
            [(tenant_id, u.sku_id, u.name, u.factor, "", u.is_default, True) for u in create],
        )

    def _write_values(self, plans: list[_ProductPlan]) -> None:
        delete, update, create = [], [], []
        tenant_id = current_tenant_id()

        def apply(product_id: int, sku_id: int | None, values: dict[int, CleanValue | None]) -> None:
            for attribute_id, clean in values.items():
                row = self.existing.values.get((product_id, sku_id, attribute_id))
                if clean is None:
                    if row is not None:
                        delete.append(row[0])
                elif row is None:
                    create.append(
                        (tenant_id, product_id, sku_id, attribute_id, clean.number, clean.text, clean.boolean)
                    )
                elif row[1] != clean:
                    update.append(
                        AttributeValue(
                            pk=row[0], value_number=clean.number, value_text=clean.text, value_bool=clean.boolean
                        )
                    )

        for plan in plans:
            apply(plan.product.pk, None, plan.attrs)
            for sp in plan.skus:
                apply(plan.product.pk, sp.sku.pk, sp.attrs)
        for chunk in _chunks(delete):
            AttributeValue.objects.filter(pk__in=chunk).delete()
        if update:
            AttributeValue.objects.bulk_update(update, ["value_number", "value_text", "value_bool"], batch_size=BATCH)
        columns = ["tenant_id", "product_id", "sku_id", "attribute_id", "value_number", "value_text", "value_bool"]
        insert_rows(AttributeValue, columns, create)

    def _write_tags(self, plans: list[_ProductPlan]) -> None:
        through = Product.tags.through
        changed = [
            p
            for p in plans
            if p.tag_ids is not None
            and (p.existing is None or p.tag_ids != self.existing.tags.get(p.product.pk, set()))
        ]
        for chunk in _chunks([p.product.pk for p in changed if p.existing is not None]):
            through.objects.filter(product_id__in=chunk).delete()
        rows = [(p.product.pk, t) for p in changed for t in sorted(p.tag_ids or ())]
        insert_rows(through, ["product_id", "tag_id"], rows)


@dataclass(frozen=True)
class PlannedUnitRow:
    sku_id: int
    name: str
    factor: Decimal
    is_default: bool


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert plain rows whose ids nobody needs back: COPY on PostgreSQL, ``bulk_create`` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BATCH
        )
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


def import_products(*, actor: Actor, data: bytes, on_progress: Progress | None = None) -> ImportResult:
    """Validate every row of ``data`` (an .xlsx), then create or update everything at once, or nothing.

    Raises ``XlsxError`` subclasses for a file that is not a safe, readable workbook, and
    ``ProductImportInvalid`` (``detail["rows"]`` lists row, column and message; ``.table`` feeds
    ``xlsx.error_report``) when any row is wrong. ``on_progress(done, total, message)`` is called
    as rows are checked (outside any transaction). Search text is refreshed after the commit.
    """
    require(actor, "catalog.manage")
    run = _Import(actor, data, on_progress)
    table = run.read()
    plans = run.validate(table)
    if table.errors:
        rows = table.errors
        raise errors.ProductImportInvalid(
            table=table, count=len({e["row"] for e in rows}), detail={"rows": rows[:1000]}
        )
    total = len(table.rows)
    run.on_progress(total, total + 1, _("Saving…"))
    result = run.write(plans)
    run.on_progress(total, total, "")
    return result


# --- export and template -------------------------------------------------------------------------


def _headers(columns: Sequence[Column]) -> list[str]:
    return [str(c.header) for c in columns]


def _number(value: Decimal) -> Decimal:
    """24.000 → 24 and 100.000 → 100 (not 1E+2), for a tidy numeric cell."""
    return Decimal(number_text(value))


def _attribute_cell(attribute: Attribute, value: AttributeValue | None) -> Any:
    if value is None:
        return None
    if attribute.kind == Attribute.Kind.NUMBER and value.value_number is not None:
        return _number(value.value_number)
    return value_of(value).display()


def export_rows(product_ids: Sequence[int] | None = None) -> tuple[list[Column], list[list[Any]]]:
    """Columns and rows of the products (all of the tenant's when None), one row per SKU."""
    products = Product.objects.select_related("category", "brand").order_by("code")
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    product_list = list(products)
    by_id = {p.pk: p for p in product_list}
    tags: dict[int, list[str]] = defaultdict(list)
    skus: dict[int, list[Sku]] = defaultdict(list)
    units: dict[int, list[SkuUnit]] = defaultdict(list)
    values: dict[tuple[int, int | None], dict[int, AttributeValue]] = defaultdict(dict)
    through = Product.tags.through
    ids = list(by_id)
    for chunk in _chunks(ids):
        for product_id, code in through.objects.filter(product_id__in=chunk).values_list("product_id", "tag__code"):
            tags[product_id].append(code)
        for sku in Sku.objects.filter(product_id__in=chunk).order_by("product_id", "sort", "code"):
            skus[sku.product_id].append(sku)
        for unit in SkuUnit.objects.filter(sku__product_id__in=chunk):
            units[unit.sku_id].append(unit)
        for value in AttributeValue.objects.filter(product_id__in=chunk):
            values[(value.product_id, value.sku_id)][value.attribute_id] = value
    used = {a for group in values.values() for a in group}
    attributes = [a for a in Attribute.objects.order_by("sort", "code") if a.pk in used]
    columns = [*BASE_COLUMNS, *attribute_columns(attributes)]
    rows = []
    for product in product_list:
        for sku in skus.get(product.pk, []):
            sku_units = units.get(sku.pk, [])
            row = [
                product.code,
                product.name,
                product.category.code,
                product.brand.code if product.brand else None,
                STATUS_TEXT[product.status],
                sku.code,
                sku.name,
                sku.barcode or None,
                sku.base_unit,
                units_text(sku_units, sku.base_unit) or None,
                next((u.name for u in sku_units if u.is_default), sku.base_unit),
                _number(sku.moq),
                _number(sku.order_multiple),
                sku.list_price,
                f"{(sku.vat_rate * 100).normalize():f}%",
                product.shelf_life_days,
                ",".join(sorted(tags.get(product.pk, []))) or None,
            ]
            for a in attributes:
                scope = (product.pk, sku.pk) if a.is_spec else (product.pk, None)
                row.append(_attribute_cell(a, values[scope].get(a.pk)))
            rows.append(row)
    return columns, rows


def export_products(*, actor: Actor, product_ids: Sequence[int] | None = None) -> bytes:
    """An .xlsx of the products (all of the tenant's when None) that ``import_products`` reads back unchanged."""
    require(actor, "catalog.manage")
    columns, rows = export_rows(product_ids)
    sheet = Sheet(title=SHEET_TITLE, headers=_headers(columns), rows=rows, widths=[c.width for c in columns])
    return write_workbook([sheet])


def import_template(*, actor: Actor) -> bytes:
    """The import template: the tenant's attribute columns, example rows, and a sheet explaining each column."""
    require(actor, "catalog.manage")
    attributes = list(Attribute.objects.order_by("sort", "code"))
    columns = [*BASE_COLUMNS, *attribute_columns(attributes)]
    category = Category.objects.order_by("path").first()
    brand = Brand.objects.order_by("code").first()
    tag = Tag.objects.order_by("code").first()
    category_code = category.code if category else "01"
    brand_code = brand.code if brand else None
    examples = [
        [
            "QS-500",
            "清泉天然矿泉水 500ml",
            category_code,
            brand_code,
            "在售",
            "QS-500-24",
            "500ml×24瓶",
            "6901234567892",
            "瓶",
            "箱=24;提=6",
            "箱",
            24,
            6,
            Decimal("2.50"),
            "13%",
            365,
            tag.code if tag else None,
        ],
        [
            "QS-500",
            None,
            None,
            None,
            None,
            "QS-500-12",
            "500ml×12瓶",
            None,
            "瓶",
            "箱=12",
            "箱",
            12,
            12,
            Decimal("2.60"),
            "13%",
            None,
            None,
        ],
    ]
    for example in examples:
        example.extend([None] * (len(columns) - len(BASE_COLUMNS)))
    return xlsx_template(columns, title=SHEET_TITLE, examples=examples)


# --- background job ------------------------------------------------------------------------------


def start_product_import(*, actor: Actor, file: File) -> Job:
    """Queue an import of an uploaded .xlsx; the worker runs ``run_product_import``."""
    require(actor, "catalog.manage")
    limit = settings.DINGHUO_MAX_UPLOAD_BYTES
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        raise XlsxTooLarge(size=f"{size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}", detail={"file": size})
    name = str(getattr(file, "name", "") or "products.xlsx").rsplit("/", 1)[-1][-80:]
    with transaction.atomic():
        return job_start(actor=actor, kind=JOB_KIND, handler=JOB_HANDLER, input_file=file, params={"filename": name})


def run_product_import(job: Job) -> None:
    """The job handler: progress while validating, then the result or an error report (.xlsx)."""
    limit = settings.DINGHUO_MAX_UPLOAD_BYTES
    size = job.input_file.size
    if size > limit:
        raise XlsxTooLarge(size=f"{size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}", detail={"file": size})
    with job.input_file.open("rb") as fh:
        data = fh.read(limit + 1)
    actor = current_actor() or Actor.system(current_tenant_id(), "job")
    if actor.is_system and job.created_by_id:
        # Started by a superuser from the admin (no membership in this tenant): audit under their name.
        from dinghuo.accounts.models import User

        user = User.objects.filter(pk=job.created_by_id, is_superuser=True).first()
        if user is not None:
            actor = Actor(
                tenant_id=job.tenant_id,
                user_id=user.pk,
                role="superuser",
                kind="system",
                label=user.get_username(),
                via="admin",
            )
    job_progress(job, done=0, total=0, message=_("Reading the file…"))

    def progress(done: int, total: int, message: str = "") -> None:
        job_progress(job, done=done, total=total, message=message)

    try:
        result = import_products(actor=actor, data=data, on_progress=progress)
    except errors.ProductImportInvalid as exc:
        report = ContentFile(error_report(exc.table), name=f"errors-{job.pk}.xlsx")
        job_fail(job, message=exc.message, result={"error": exc.as_dict()}, output=report)
        return
    message = _(
        "%(created)s products created, %(updated)s updated; %(skus)s SKUs created, %(sku_updated)s updated."
    ) % {
        "created": result.products_created,
        "updated": result.products_updated,
        "skus": result.skus_created,
        "sku_updated": result.skus_updated,
    }
    job_finish(job, result=result.as_dict(), message=message)
