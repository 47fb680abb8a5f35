"""Writes for the catalog: categories, brands, attributes, tags, products, SKUs, units, relations, images.

Every service takes keyword-only typed arguments, checks ``catalog.manage``, validates everything
before it writes, and writes its rows and their audit rows in one short transaction: on an error
nothing is saved. Objects passed in are re-read in the current tenant, so another tenant's
category, brand, tag or product is "not found". The ``clean_*`` validators are shared with the
Excel import (``catalog/importers.py``), so both say the same thing about the same mistake.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.catalog import errors
from dinghuo.catalog.models import (
    VAT_RATES,
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductImage,
    RelatedProduct,
    Sku,
    SkuUnit,
    Tag,
)
from dinghuo.core import regions
from dinghuo.core.audit import AuditEvent, audit_write, snapshot
from dinghuo.core.errors import NOT_EDITABLE, REQUIRED, ValidationError
from dinghuo.core.money import CENT, to_decimal
from dinghuo.core.tenancy import Actor, current_tenant_id
from dinghuo.core.xlsx import normalise_text, parse_bool, parse_decimal

MAX_CATEGORY_DEPTH = 10
TAG_COLORS = ("primary", "secondary", "success", "danger", "warning", "info", "light", "dark")
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_UNIT_NAME = re.compile(r"^[^\s\d=;:,，；：、.+\-*/]{1,10}$")
QUANTITY_PLACES = Decimal("0.001")
NUMBER_PLACES = Decimal("0.0001")
VAT_VALUES = tuple(rate for rate, _label in VAT_RATES)
STATUS_FLOW: dict[str, frozenset[str]] = {
    Product.Status.DRAFT: frozenset({Product.Status.ON_SALE}),
    Product.Status.ON_SALE: frozenset({Product.Status.DISCONTINUED}),
    Product.Status.DISCONTINUED: frozenset({Product.Status.ON_SALE}),
}
PRODUCT_FIELDS = (
    "code",
    "name",
    "subtitle",
    "category",
    "brand",
    "description",
    "status",
    "shelf_life_days",
    "expiry_sensitive",
    "sale_regions",
    "sort",
)
PRODUCT_EDITABLE = frozenset(PRODUCT_FIELDS) - {"status"} | {"tags"}
SKU_FIELDS = (
    "product",
    "code",
    "name",
    "barcode",
    "spec",
    "base_unit",
    "moq",
    "order_multiple",
    "list_price",
    "vat_rate",
    "allow_backorder",
    "is_active",
    "weight_kg",
    "sort",
)
SKU_EDITABLE = frozenset(SKU_FIELDS) - {"product"}


# --- validators shared with the import -------------------------------------------------------------


def clean_text(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    text = unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise ValidationError(detail={field: str(value)[:60]})
    if required and not text:
        raise ValidationError(detail={field: REQUIRED})
    if len(text) > max_length:
        raise ValidationError(detail={field: _("At most %(n)s characters.") % {"n": max_length}})
    return text


def clean_code(value: Any, *, field: str = "code", max_length: int = 40) -> str:
    text = clean_text(value, field=field, max_length=10_000)
    if len(text) > max_length or any(ch.isspace() for ch in text) or not text.isprintable():
        raise errors.CodeInvalid(value=text[:60], max=max_length, detail={field: text[:60]})
    return text


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit of the digits before it (EAN-8, UPC-A, EAN-13, GTIN-14)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def clean_barcode(value: Any, *, field: str = "barcode") -> str:
    """Optional; any code without spaces, and when it looks like EAN-13/UPC/EAN-8/GTIN-14 its check digit must hold."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return ""
    if len(text) > 32 or any(ch.isspace() for ch in text) or not text.isprintable():
        raise errors.BarcodeTooLong(value=text[:40], detail={field: text[:40]})
    if text.isascii() and text.isdigit() and len(text) in (8, 12, 13, 14):
        expected = gtin_check_digit(text[:-1])
        if int(text[-1]) != expected:
            raise errors.BarcodeInvalid(value=text, expected=expected, detail={field: text})
    return text


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool | float) or value is None:
        return None
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def clean_price(value: Any, *, field: str = "list_price") -> Decimal:
    """A tax-inclusive price: Decimal (or int/str), zero or more, cents at most."""
    number = _decimal(value)
    if number is None or number < 0 or number != number.quantize(CENT) or number >= Decimal(10) ** 14:
        raise errors.PriceInvalid(value=str(value)[:40], detail={field: str(value)[:40]})
    return number.quantize(CENT)


def clean_quantity(value: Any, *, field: str, positive: bool) -> Decimal:
    number = _decimal(value)
    ok = (
        number is not None
        and (number > 0 if positive else number >= 0)
        and number == number.quantize(QUANTITY_PLACES)
        and number < Decimal(10) ** 11
    )
    if not ok:
        expected = errors.EXPECT_POSITIVE if positive else errors.EXPECT_NOT_NEGATIVE
        raise errors.QuantityInvalid(value=str(value)[:40], expected=expected, detail={field: str(value)[:40]})
    return number.quantize(QUANTITY_PLACES)


def clean_vat_rate(value: Any, *, field: str = "vat_rate") -> Decimal:
    number = _decimal(value)
    if number is None or number not in VAT_VALUES:
        raise errors.VatRateInvalid(value=str(value)[:20], detail={field: str(value)[:20]})
    return number.quantize(CENT)


def clean_unit_name(value: Any, *, field: str = "unit") -> str:
    text = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""
    if not _UNIT_NAME.match(text):
        raise errors.UnitNameInvalid(value=str(value or "")[:20], detail={field: str(value or "")[:20]})
    return text


def clean_status(value: Any, *, field: str = "status") -> str:
    if value not in Product.Status.values:
        raise errors.StatusInvalid(value=str(value)[:20], detail={field: str(value)[:20]})
    return str(value)


def check_status_change(current: str, wanted: str, *, field: str = "status") -> None:
    """draft → on sale → discontinued; discontinued can go back on sale. Staying put is fine."""
    if current != wanted and wanted not in STATUS_FLOW.get(current, frozenset()):
        raise errors.StatusTransitionInvalid(
            current=Product.Status(current).label, wanted=Product.Status(wanted).label, detail={field: wanted}
        )


@dataclass(frozen=True)
class UnitSpec:
    """A pack unit: ``factor`` base units per unit (None = no conversion given, which is an error)."""

    name: str
    factor: Decimal | None
    barcode: str = ""
    is_whole: bool = True


@dataclass(frozen=True)
class PlannedUnit:
    name: str
    factor: Decimal
    is_default: bool
    barcode: str = ""
    is_whole: bool = True


def plan_units(
    *, base_unit: str, units: Iterable[UnitSpec], default_unit: str | None = None, field: str = "units"
) -> list[PlannedUnit]:
    """The base unit (factor 1) first, then the pack units; exactly one is the default order unit."""
    base = clean_unit_name(base_unit, field="base_unit")
    planned: dict[str, UnitSpec] = {}
    for spec in units:
        name = clean_unit_name(spec.name, field=field)
        if name in planned:
            raise errors.UnitDuplicate(unit=name, detail={field: name})
        if name == base:
            if spec.factor is not None and _decimal(spec.factor) != 1:
                raise errors.BaseUnitFactor(unit=name, detail={field: name})
            planned[name] = UnitSpec(name, Decimal(1), clean_barcode(spec.barcode, field=field), spec.is_whole)
            continue
        if spec.factor is None:
            raise errors.UnitWithoutConversion(unit=name, base=base, detail={field: name})
        factor = _decimal(spec.factor)
        if factor is None or factor <= 0 or factor != factor.quantize(QUANTITY_PLACES) or factor >= Decimal(10) ** 11:
            raise errors.UnitFactorInvalid(unit=name, detail={field: name})
        planned[name] = UnitSpec(name, factor.quantize(QUANTITY_PLACES), clean_barcode(spec.barcode, field=field))
    default = base if default_unit in (None, "") else clean_unit_name(default_unit, field="default_unit")
    if default != base and default not in planned:
        raise errors.UnitWithoutConversion(unit=default, base=base, detail={"default_unit": default})
    base_spec = planned.pop(base, UnitSpec(base, Decimal(1)))
    result = [PlannedUnit(base, Decimal(1), default == base, base_spec.barcode, base_spec.is_whole)]
    for spec in sorted(planned.values(), key=lambda s: (s.factor, s.name)):
        result.append(PlannedUnit(spec.name, spec.factor, spec.name == default, spec.barcode, spec.is_whole))
    return result


def units_text(units: Iterable[Any], base_unit: str) -> str:
    """Pack units as people write them: "提=6;箱=24" (the base unit is implied)."""
    parts = [
        f"{u.name}={number_text(u.factor)}"
        for u in sorted(units, key=lambda u: (u.factor, u.name))
        if u.name != base_unit
    ]
    return ";".join(parts)


def number_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value else "0"


def category_ancestor_ids(category: Category) -> list[int]:
    """The category and its ancestors, from its path ("/3/17/42/" → [3, 17, 42])."""
    return [int(part) for part in category.path.strip("/").split("/") if part]


def attributes_for_category(category: Category) -> dict[str, Attribute]:
    """Attributes defined for the category, one of its ancestors, or for every category."""
    ids = category_ancestor_ids(category)
    qs = Attribute.objects.filter(Q(category__isnull=True) | Q(category_id__in=ids))
    return {a.code: a for a in qs.order_by("sort", "code")}


@dataclass(frozen=True)
class CleanValue:
    number: Decimal | None = None
    text: str = ""
    boolean: bool | None = None

    def display(self) -> str:
        if self.number is not None:
            return number_text(self.number)
        if self.boolean is not None:
            return "是" if self.boolean else "否"
        return self.text


def value_of(row: AttributeValue) -> CleanValue:
    return CleanValue(number=row.value_number, text=row.value_text, boolean=row.value_bool)


def clean_attribute_value(attribute: Attribute, value: Any, *, lenient: bool = False) -> CleanValue | None:
    """A typed value for ``attribute`` (None: no value). Lenient parsing is for spreadsheet cells."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind, shown = attribute.kind, str(value)[:40]

    def invalid(expected: Any) -> errors.AttributeValueInvalid:
        return errors.AttributeValueInvalid(
            value=shown,
            attribute=attribute.name,
            expected=expected,
            detail={"attribute": attribute.code, "value": shown},
        )

    if kind == Attribute.Kind.NUMBER:
        number = None
        if lenient:
            try:
                number = parse_decimal(value)
            except (ValueError, ArithmeticError):
                number = None
        elif isinstance(value, Decimal | int) and not isinstance(value, bool):
            number = Decimal(value)
        if number is None or not number.is_finite() or number != number.quantize(NUMBER_PLACES):
            raise invalid(errors.EXPECT_NUMBER)
        if abs(number) >= Decimal(10) ** 10:
            raise invalid(errors.EXPECT_NUMBER)
        return CleanValue(number=number.quantize(NUMBER_PLACES))
    if kind == Attribute.Kind.BOOLEAN:
        if isinstance(value, bool):
            return CleanValue(boolean=value)
        if lenient:
            try:
                return CleanValue(boolean=parse_bool(value))
            except ValueError:
                pass
        raise invalid(errors.EXPECT_BOOLEAN)
    if not isinstance(value, str) and not lenient:
        raise invalid(errors.EXPECT_TEXT)
    text = normalise_text(value) if lenient else value.strip()
    if kind == Attribute.Kind.CHOICE:
        choices = [str(c) for c in attribute.choices or []]
        match = next((c for c in choices if c == text), None)
        if match is None and lenient:
            wanted = normalise_text(text).lower()
            match = next((c for c in choices if normalise_text(c).lower() == wanted), None)
        if match is None:
            raise invalid(errors.EXPECT_CHOICE % {"choices": "、".join(choices)})
        return CleanValue(text=match)
    if len(text) > 200:
        raise invalid(errors.EXPECT_TEXT)
    return CleanValue(text=text)


# --- plumbing -------------------------------------------------------------------------------------


def _resolve(model: type[models.Model], value: Any, error: type[errors.NotFound], field: str) -> Any:
    """Re-read ``value`` (an object or an id) in the current tenant: another tenant's row is not found."""
    if value is None:
        return None
    if isinstance(value, models.Model) and not isinstance(value, model):
        raise error(detail={field: str(value.pk)})
    pk = value.pk if isinstance(value, models.Model) else value
    obj = model.objects.filter(pk=pk).first() if isinstance(pk, int) and not isinstance(pk, bool) else None
    if obj is None:
        raise error(detail={field: str(pk)})
    return obj


def _own(obj: Any, model: type[models.Model], error: type[errors.NotFound], field: str) -> Any:
    """The subject of a write must be a saved row of the current tenant."""
    if not isinstance(obj, model) or obj.pk is None or obj.tenant_id != current_tenant_id():
        raise error(detail={field: str(getattr(obj, "pk", obj))})
    return obj


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def reindex(product_ids: Iterable[int]) -> None:
    """Refresh search text through catalog.search.reindex_products, when that module provides it."""
    ids = sorted({pid for pid in product_ids if pid is not None})
    if not ids or importlib.util.find_spec("dinghuo.catalog.search") is None:
        return
    from dinghuo.catalog import search

    reindex_products = getattr(search, "reindex_products", None)
    if reindex_products is not None:
        reindex_products(product_ids=ids)


def _unique(model: type[models.Model], code: str, error: type[errors.CodeTaken], exclude: int | None = None) -> None:
    qs = model.objects.filter(code=code)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise error(value=code, detail={"code": code})


# --- categories, brands, tags, attributes --------------------------------------------------------


def category_create(
    *, actor: Actor, code: str, name: str, parent: Category | int | None = None, sort: int = 0
) -> Category:
    require(actor, "catalog.manage")
    code = clean_code(code)
    name = clean_text(name, field="name", max_length=80)
    try:
        with transaction.atomic():
            parent = _resolve(Category, parent, errors.CategoryNotFound, "parent")
            if parent is not None and parent.depth + 1 >= MAX_CATEGORY_DEPTH:
                raise errors.CategoryTooDeep(max=MAX_CATEGORY_DEPTH, detail={"parent": str(parent.pk)})
            _unique(Category, code, errors.CategoryCodeTaken)
            category = Category(code=code, name=name, parent=parent, sort=sort)
            category.save()
            category.path = f"{parent.path if parent else '/'}{category.pk}/"
            category.depth = parent.depth + 1 if parent else 0
            category.save(update_fields=["path", "depth"])
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "category.created", category, after=snapshot(category, ["code", "name", "parent", "path"])
                    )
                ],
            )
    except IntegrityError:
        raise errors.CategoryCodeTaken(value=code, detail={"code": code})
    return category


def category_move(*, actor: Actor, category: Category | int, parent: Category | int | None) -> Category:
    """Move a category (with its subtree) under ``parent`` (None: to the top). Refuses cycles."""
    require(actor, "catalog.manage")
    with transaction.atomic():
        category = _resolve(Category, category, errors.CategoryNotFound, "category")
        parent = _resolve(Category, parent, errors.CategoryNotFound, "parent")
        if parent is not None and parent.path.startswith(category.path):
            raise errors.CategoryCycle(detail={"parent": str(parent.pk)})
        old_path, old_depth, old_parent = category.path, category.depth, category.parent_id
        new_path = f"{parent.path if parent else '/'}{category.pk}/"
        if new_path == old_path:
            return category
        delta = (parent.depth + 1 if parent else 0) - old_depth
        subtree = Category.objects.filter(path__startswith=old_path)
        deepest = subtree.aggregate(depth=Max("depth"), length=Max(Length("path")))
        too_deep = (deepest["depth"] or 0) + delta >= MAX_CATEGORY_DEPTH
        too_long = (deepest["length"] or 0) + len(new_path) - len(old_path) > 255  # the path column's size
        if too_deep or too_long:
            raise errors.CategoryTooDeep(max=MAX_CATEGORY_DEPTH, detail={"parent": str(parent.pk if parent else "")})
        # Attributes inherited from the old ancestors stop applying: refuse when products use them.
        lost = set(category_ancestor_ids(category)[:-1]) - set(category_ancestor_ids(parent) if parent else [])
        used = sorted(
            AttributeValue.objects.filter(product__category__path__startswith=old_path, attribute__category_id__in=lost)
            .values_list("attribute__code", flat=True)
            .distinct()
        )
        if used:
            raise errors.AttributesWouldBeLost(attributes="、".join(used), detail={"parent": ", ".join(used)})
        subtree.update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1), output_field=models.CharField()),
            depth=F("depth") + delta,
        )
        category.parent = parent
        category.save(update_fields=["parent"])
        category.refresh_from_db(fields=["path", "depth"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "category.moved",
                    category,
                    before={"parent": old_parent, "path": old_path},
                    after={"parent": parent.pk if parent else None, "path": category.path},
                )
            ],
        )
    return category


def brand_create(*, actor: Actor, code: str, name: str) -> Brand:
    require(actor, "catalog.manage")
    code = clean_code(code)
    name = clean_text(name, field="name", max_length=80)
    try:
        with transaction.atomic():
            _unique(Brand, code, errors.BrandCodeTaken)
            brand = Brand.objects.create(code=code, name=name)
            audit_write(actor=actor, events=[AuditEvent.of("brand.created", brand, after={"code": code, "name": name})])
    except IntegrityError:
        raise errors.BrandCodeTaken(value=code, detail={"code": code})
    return brand


def tag_create(*, actor: Actor, code: str, name: str, color: str = "secondary") -> Tag:
    require(actor, "catalog.manage")
    code = clean_code(code, max_length=30)
    name = clean_text(name, field="name", max_length=30)
    if color not in TAG_COLORS and not _HEX_COLOR.match(color or ""):
        raise errors.TagColorInvalid(value=str(color)[:20], detail={"color": str(color)[:20]})
    try:
        with transaction.atomic():
            _unique(Tag, code, errors.TagCodeTaken)
            tag = Tag.objects.create(code=code, name=name, color=color)
            audit_write(
                actor=actor,
                events=[AuditEvent.of("tag.created", tag, after={"code": code, "name": name, "color": color})],
            )
    except IntegrityError:
        raise errors.TagCodeTaken(value=code, detail={"code": code})
    return tag


def attribute_define(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    category: Category | int | None = None,
    unit: str = "",
    choices: Sequence[str] | None = None,
    is_filterable: bool = True,
    is_spec: bool = False,
    sort: int = 0,
) -> Attribute:
    """Define a typed attribute for ``category`` and its subtree (None: for every category)."""
    require(actor, "catalog.manage")
    code = clean_code(code)
    name = clean_text(name, field="name", max_length=40)
    if kind not in Attribute.Kind.values:
        raise errors.AttributeKindInvalid(value=str(kind)[:20], detail={"kind": str(kind)[:20]})
    unit = clean_text(unit, field="unit", max_length=16, required=False)
    if unit and kind != Attribute.Kind.NUMBER:
        raise ValidationError(detail={"unit": _("Only number attributes have a unit.")})
    cleaned: list[str] = []
    for choice in choices or []:
        text = unicodedata.normalize("NFC", choice).strip() if isinstance(choice, str) else ""
        if not text or len(text) > 200 or text in cleaned:
            raise errors.AttributeChoicesInvalid(detail={"choices": str(choice)[:40]})
        cleaned.append(text)
    if (kind == Attribute.Kind.CHOICE) != bool(cleaned):
        raise errors.AttributeChoicesInvalid(detail={"choices": "、".join(cleaned)})
    try:
        with transaction.atomic():
            category = _resolve(Category, category, errors.CategoryNotFound, "category")
            _unique(Attribute, code, errors.AttributeCodeTaken)
            attribute = Attribute.objects.create(
                code=code,
                name=name,
                kind=kind,
                category=category,
                unit=unit,
                choices=cleaned,
                is_filterable=is_filterable,
                is_spec=is_spec,
                sort=sort,
            )
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "attribute.defined",
                        attribute,
                        after=snapshot(attribute, ["code", "name", "kind", "category", "unit", "choices", "is_spec"]),
                    )
                ],
            )
    except IntegrityError:
        raise errors.AttributeCodeTaken(value=code, detail={"code": code})
    return attribute


# --- products -------------------------------------------------------------------------------------


def _clean_product_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "code":
            out[key] = clean_code(value)
        elif key == "name":
            out[key] = clean_text(value, field="name", max_length=120)
        elif key == "subtitle":
            out[key] = clean_text(value, field="subtitle", max_length=200, required=False)
        elif key == "description":
            out[key] = clean_text(value, field="description", max_length=20_000, required=False)
        elif key == "category":
            out[key] = _resolve(Category, value, errors.CategoryNotFound, "category")
            if out[key] is None:
                raise ValidationError(detail={"category": REQUIRED})
        elif key == "brand":
            out[key] = _resolve(Brand, value, errors.BrandNotFound, "brand")
        elif key == "tags":
            out[key] = [_resolve(Tag, t, errors.TagNotFound, "tags") for t in dict.fromkeys(value or [])]
        elif key == "shelf_life_days":
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise errors.QuantityInvalid(
                    value=str(value), expected=errors.EXPECT_WHOLE_DAYS, detail={"shelf_life_days": str(value)}
                )
            out[key] = value
        elif key == "sale_regions":
            codes = [str(c).strip() for c in value or []]
            for c in codes:
                if regions.get(c) is None:
                    raise ValidationError(detail={"sale_regions": c})
            out[key] = list(dict.fromkeys(codes))
        elif key in ("expiry_sensitive",):
            out[key] = bool(value)
        elif key == "sort":
            out[key] = int(value)
        elif key == "status":
            out[key] = clean_status(value)
    return out


def _product_state(product: Product) -> dict[str, Any]:
    state = snapshot(product, PRODUCT_FIELDS)
    state["tags"] = sorted(product.tags.values_list("code", flat=True)) if product.pk else []
    return state


def product_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    category: Category | int,
    brand: Brand | int | None = None,
    subtitle: str = "",
    description: str = "",
    status: str = Product.Status.DRAFT,
    tags: Sequence[Tag | int] = (),
    shelf_life_days: int | None = None,
    expiry_sensitive: bool = False,
    sale_regions: Sequence[str] | None = None,
    sort: int = 0,
) -> Product:
    require(actor, "catalog.manage")
    given = {
        "code": code,
        "name": name,
        "subtitle": subtitle,
        "description": description,
        "status": status,
        "shelf_life_days": shelf_life_days,
        "expiry_sensitive": expiry_sensitive,
        "sale_regions": sale_regions,
        "sort": sort,
    }
    try:
        with transaction.atomic():
            fields = _clean_product_fields({**given, "category": category, "brand": brand, "tags": tags})
            tag_objs = fields.pop("tags")
            _unique(Product, fields["code"], errors.ProductCodeTaken)
            product = Product.objects.create(**fields)
            product.tags.set(tag_objs)
            audit_write(actor=actor, events=[AuditEvent.of("product.created", product, after=_product_state(product))])
            reindex([product.pk])
    except IntegrityError:
        raise errors.ProductCodeTaken(value=code, detail={"code": code})
    return product


def product_update(*, actor: Actor, product: Product, **changes: Any) -> Product:
    """Change a product's fields (not its status: see ``product_set_status``)."""
    require(actor, "catalog.manage")
    unknown = set(changes) - PRODUCT_EDITABLE
    if unknown:
        raise ValidationError(detail=dict.fromkeys(sorted(unknown), NOT_EDITABLE))
    product = _own(product, Product, errors.ProductNotFound, "product")
    try:
        with transaction.atomic():
            fields = _clean_product_fields(changes)
            before = _product_state(product)
            if "code" in fields:
                _unique(Product, fields["code"], errors.ProductCodeTaken, exclude=product.pk)
            if "category" in fields and fields["category"].pk != product.category_id:
                applicable = {a.pk for a in attributes_for_category(fields["category"]).values()}
                lost = sorted(
                    AttributeValue.objects.filter(product=product)
                    .exclude(attribute_id__in=applicable)
                    .values_list("attribute__code", flat=True)
                    .distinct()
                )
                if lost:
                    raise errors.AttributesWouldBeLost(attributes="、".join(lost), detail={"category": ", ".join(lost)})
            tag_objs = fields.pop("tags", None)
            for key, value in fields.items():
                setattr(product, key, value)
            if fields:
                product.save(update_fields=[*fields, "updated_at"])
            if tag_objs is not None:
                product.tags.set(tag_objs)
            old, new = _changes(before, _product_state(product))
            if new:
                audit_write(actor=actor, events=[AuditEvent.of("product.updated", product, before=old, after=new)])
                reindex([product.pk])
    except IntegrityError:
        raise errors.ProductCodeTaken(value=changes.get("code"), detail={"code": str(changes.get("code"))})
    return product


def product_set_status(*, actor: Actor, product: Product, status: str, reason: str = "") -> Product:
    """draft → on sale → discontinued; discontinued can go back on sale."""
    require(actor, "catalog.manage")
    product = _own(product, Product, errors.ProductNotFound, "product")
    status = clean_status(status)
    check_status_change(product.status, status)
    if status == product.status:
        return product
    with transaction.atomic():
        before = product.status
        product.status = status
        product.save(update_fields=["status", "updated_at"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "product.status_changed",
                    product,
                    before={"status": before},
                    after={"status": status},
                    reason=reason,
                )
            ],
        )
        reindex([product.pk])
    return product


def product_set_attributes(
    *, actor: Actor, product: Product, values: Mapping[str | Attribute, Any], sku: Sku | None = None
) -> dict[str, AttributeValue]:
    """Set typed attribute values of a product (or of one of its SKUs); a None value removes one.

    Values must match the attribute's kind: Decimal or int for numbers, one of the choices for a
    choice, bool for yes/no, str for text. An attribute not defined for the product's category
    (or an ancestor, or every category) is refused as unknown, by name.
    """
    require(actor, "catalog.manage")
    product = _own(product, Product, errors.ProductNotFound, "product")
    if sku is not None and (_own(sku, Sku, errors.SkuNotFound, "sku").product_id != product.pk):
        raise errors.SkuNotFound(detail={"sku": str(sku.pk)})
    category = product.category
    applicable = attributes_for_category(category)
    wanted: dict[Attribute, CleanValue | None] = {}
    for key, value in values.items():
        code = key.code if isinstance(key, Attribute) else str(key)
        attribute = applicable.get(code)
        if attribute is None:
            raise errors.UnknownAttribute(attribute=code, category=category.name, detail={"attribute": code})
        wanted[attribute] = clean_attribute_value(attribute, value)
    with transaction.atomic():
        existing = {
            row.attribute_id: row
            for row in AttributeValue.objects.filter(product=product, sku=sku, attribute__in=[a.pk for a in wanted])
        }
        before, after, result = {}, {}, {}
        for attribute, clean in wanted.items():
            row = existing.get(attribute.pk)
            old = value_of(row) if row else None
            if old == clean:
                if row:
                    result[attribute.code] = row
                continue
            before[attribute.code] = old.display() if old else None
            after[attribute.code] = clean.display() if clean else None
            if clean is None:
                row.delete()
                continue
            row = row or AttributeValue(product=product, sku=sku, attribute=attribute)
            row.value_number, row.value_text, row.value_bool = clean.number, clean.text, clean.boolean
            row.save()
            result[attribute.code] = row
        if after:
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "product.attributes_changed",
                        product,
                        before={"sku": sku.code if sku else None, **before},
                        after={"sku": sku.code if sku else None, **after},
                    )
                ],
            )
            reindex([product.pk])
    return result


# --- SKUs and units --------------------------------------------------------------------------------


def _clean_sku_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "code":
            out[key] = clean_code(value)
        elif key == "name":
            out[key] = clean_text(value, field="name", max_length=120, required=False)
        elif key == "barcode":
            out[key] = clean_barcode(value)
        elif key == "base_unit":
            out[key] = clean_unit_name(value, field="base_unit")
        elif key == "moq":
            out[key] = clean_quantity(value, field="moq", positive=False)
        elif key == "order_multiple":
            out[key] = clean_quantity(value, field="order_multiple", positive=True)
        elif key == "list_price":
            out[key] = clean_price(value)
        elif key == "vat_rate":
            out[key] = clean_vat_rate(value)
        elif key == "spec":
            if not isinstance(value or {}, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in (value or {}).items()
            ):
                raise ValidationError(detail={"spec": str(value)[:60]})
            out[key] = dict(value or {})
        elif key == "weight_kg":
            out[key] = None if value is None else clean_quantity(value, field="weight_kg", positive=False)
        elif key in ("allow_backorder", "is_active"):
            out[key] = bool(value)
        elif key == "sort":
            out[key] = int(value)
    return out


def _sku_state(sku: Sku) -> dict[str, Any]:
    state = snapshot(sku, SKU_FIELDS)
    units = list(sku.units.all()) if sku.pk else []
    state["units"] = units_text(units, sku.base_unit)
    state["default_unit"] = next((u.name for u in units if u.is_default), sku.base_unit)
    return state


def sku_create(
    *,
    actor: Actor,
    product: Product,
    code: str,
    list_price: Decimal,
    name: str = "",
    barcode: str = "",
    base_unit: str = "件",
    moq: Decimal = Decimal(1),
    order_multiple: Decimal = Decimal(1),
    vat_rate: Decimal = Decimal("0.13"),
    spec: dict[str, str] | None = None,
    allow_backorder: bool = False,
    weight_kg: Decimal | None = None,
    sort: int = 0,
) -> Sku:
    """Create a SKU with its base unit (factor 1, the default order unit)."""
    require(actor, "catalog.manage")
    product = _own(product, Product, errors.ProductNotFound, "product")
    fields = _clean_sku_fields(
        {
            "code": code,
            "list_price": list_price,
            "name": name,
            "barcode": barcode,
            "base_unit": base_unit,
            "moq": moq,
            "order_multiple": order_multiple,
            "vat_rate": vat_rate,
            "spec": spec,
            "allow_backorder": allow_backorder,
            "weight_kg": weight_kg,
            "sort": sort,
        }
    )
    try:
        with transaction.atomic():
            _unique(Sku, fields["code"], errors.SkuCodeTaken)
            sku = Sku.objects.create(product=product, **fields)
            SkuUnit.objects.create(sku=sku, name=sku.base_unit, factor=Decimal(1), is_default=True)
            audit_write(actor=actor, events=[AuditEvent.of("sku.created", sku, after=_sku_state(sku))])
            reindex([product.pk])
    except IntegrityError:
        raise errors.SkuCodeTaken(value=fields["code"], detail={"code": fields["code"]})
    return sku


def sku_update(*, actor: Actor, sku: Sku, **changes: Any) -> Sku:
    """Change a SKU's fields; a new base unit renames the base unit row (its pack units keep their factors)."""
    require(actor, "catalog.manage")
    unknown = set(changes) - SKU_EDITABLE
    if unknown:
        raise ValidationError(detail=dict.fromkeys(sorted(unknown), NOT_EDITABLE))
    sku = _own(sku, Sku, errors.SkuNotFound, "sku")
    fields = _clean_sku_fields(changes)
    try:
        with transaction.atomic():
            before = _sku_state(sku)
            if "code" in fields:
                _unique(Sku, fields["code"], errors.SkuCodeTaken, exclude=sku.pk)
            if "base_unit" in fields and fields["base_unit"] != sku.base_unit:
                if SkuUnit.objects.filter(sku=sku, name=fields["base_unit"]).exists():
                    raise errors.UnitDuplicate(unit=fields["base_unit"], detail={"base_unit": fields["base_unit"]})
                SkuUnit.objects.filter(sku=sku, name=sku.base_unit).update(name=fields["base_unit"])
            for key, value in fields.items():
                setattr(sku, key, value)
            if fields:
                sku.save(update_fields=list(fields))
            old, new = _changes(before, _sku_state(sku))
            if new:
                audit_write(actor=actor, events=[AuditEvent.of("sku.updated", sku, before=old, after=new)])
                reindex([sku.product_id])
    except IntegrityError:
        raise errors.SkuCodeTaken(value=changes.get("code"), detail={"code": str(changes.get("code"))})
    return sku


def sku_set_units(
    *,
    actor: Actor,
    sku: Sku,
    units: Sequence[UnitSpec] | Mapping[str, Decimal | None],
    default_unit: str | None = None,
) -> list[SkuUnit]:
    """Replace a SKU's pack units. The base unit (factor 1) is always kept; ``default_unit`` (the base
    unit when None) is the one default order unit. A unit without a conversion is refused by name."""
    require(actor, "catalog.manage")
    sku = _own(sku, Sku, errors.SkuNotFound, "sku")
    specs = [UnitSpec(name, factor) for name, factor in units.items()] if isinstance(units, Mapping) else list(units)
    planned = plan_units(base_unit=sku.base_unit, units=specs, default_unit=default_unit)
    with transaction.atomic():
        before = _sku_state(sku)
        existing = {u.name: u for u in SkuUnit.objects.filter(sku=sku)}
        wanted = {p.name: p for p in planned}
        SkuUnit.objects.filter(pk__in=[u.pk for name, u in existing.items() if name not in wanted]).delete()
        for p in planned:
            row = existing.get(p.name) or SkuUnit(sku=sku, name=p.name)
            row.factor, row.is_default, row.barcode, row.is_whole = p.factor, p.is_default, p.barcode, p.is_whole
            row.save()
        old, new = _changes(before, _sku_state(sku))
        if new:
            audit_write(actor=actor, events=[AuditEvent.of("sku.units_changed", sku, before=old, after=new)])
            reindex([sku.product_id])
    return list(SkuUnit.objects.filter(sku=sku).order_by("factor", "name"))


# --- related products and images -------------------------------------------------------------------


def related_set(*, actor: Actor, product: Product, kind: str, related: Sequence[Product | int]) -> list[RelatedProduct]:
    """Replace the product's related products of one kind (accessory, complement, substitute), in order."""
    require(actor, "catalog.manage")
    product = _own(product, Product, errors.ProductNotFound, "product")
    if kind not in RelatedProduct.Kind.values:
        raise errors.RelatedKindInvalid(value=str(kind)[:20], detail={"kind": str(kind)[:20]})
    targets: list[Product] = []
    for item in related:
        target = _resolve(Product, item, errors.ProductNotFound, "related")
        if target.pk == product.pk:
            raise errors.RelatedToSelf(detail={"related": str(target.pk)})
        if target.pk not in {t.pk for t in targets}:
            targets.append(target)
    with transaction.atomic():
        rows = RelatedProduct.objects.filter(product=product, kind=kind)
        before = list(rows.order_by("sort").values_list("related__code", flat=True))
        rows.delete()
        created = RelatedProduct.objects.bulk_create(
            [
                RelatedProduct(tenant_id=product.tenant_id, product=product, related=t, kind=kind, sort=i)
                for i, t in enumerate(targets)
            ]
        )
        after = [t.code for t in targets]
        if before != after:
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "product.related_changed",
                        product,
                        before={"kind": kind, "related": before},
                        after={"kind": kind, "related": after},
                    )
                ],
            )
    return created


def product_image_add(
    *, actor: Actor, product: Product, file: bytes | IO[bytes], alt: str = "", sort: int | None = None
) -> ProductImage:
    """Store a verified image and its ~240 px thumbnail through Django's storage."""
    from dinghuo.catalog.images import prepare_image

    require(actor, "catalog.manage")
    product = _own(product, Product, errors.ProductNotFound, "product")
    alt = clean_text(alt, field="alt", max_length=120, required=False)
    prepared = prepare_image(file)  # decoding happens before any transaction or file is opened
    stem = uuid.uuid4().hex
    image = ProductImage(product=product, alt=alt, tenant_id=product.tenant_id)
    image.image.save(f"{stem}.{prepared.extension}", ContentFile(prepared.data), save=False)
    image.thumbnail.save(f"{stem}_thumb.{prepared.thumbnail_extension}", ContentFile(prepared.thumbnail), save=False)
    try:
        with transaction.atomic():
            if sort is None:
                sort = (ProductImage.objects.filter(product=product).aggregate(m=Max("sort"))["m"] or 0) + 1
            image.sort = sort
            image.save()
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "product.image_added",
                        product,
                        after={
                            "image": image.image.name,
                            "thumbnail": image.thumbnail.name,
                            "size": f"{prepared.width}x{prepared.height}",
                        },
                    )
                ],
            )
    except Exception:
        image.image.delete(save=False)
        image.thumbnail.delete(save=False)
        raise
    return image
